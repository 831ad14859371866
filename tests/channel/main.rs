//! Channels and PyPI: files, HTTP, the pure parts and against the simulated world.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

mod channel_file;
mod channel_http;
mod channel_pure;
mod channel_sim;
mod pypi_http;
mod pypi_sim;
