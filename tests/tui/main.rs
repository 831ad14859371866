//! The cockpit: the real binary in tmux, the frame driver, idle, sizes and snapshots.
//!
//! One test crate for the area (one link of the whole library, not one per file);
//! each module below was a test crate of its own before.

mod tui_driver;
mod tui_e2e;
mod tui_idle;
mod tui_sizes;
mod tui_snapshots;
