//! The seed crate's integration tests, compiled as one binary; one module per area.

mod coherence;
mod personas;
mod profile_file;
