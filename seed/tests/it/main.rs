//! Integration tests of the seeder and its loaders, compiled as one binary.

mod cli;
mod generate;
mod golden;
mod json;
mod pg_support;
mod postgres;
mod support;
