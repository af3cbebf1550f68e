//! Integration tests of the seeder and its loaders, compiled as one binary; one module per area.

mod calibrated;
mod changes;
mod cli;
mod coherence;
mod edges;
mod edges_more;
mod edges_more_pg;
mod edges_pg;
mod generate;
mod golden;
mod json;
mod labels_db;
mod layout;
mod personas;
mod pg_support;
mod postgres;
mod profile_file;
mod recurring;
mod running;
mod streams;
mod support;
mod time;
