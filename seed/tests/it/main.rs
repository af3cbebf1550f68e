//! The seed crate's integration tests, compiled as one binary; one module per area.

mod coherence;
mod labels_db;
mod personas;
mod profile_file;
