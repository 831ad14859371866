//! PyPI probe (in progress).
