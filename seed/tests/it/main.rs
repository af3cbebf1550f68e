//! Integration tests of the seeder, compiled as one binary.

mod cli;
mod generate;
mod golden;
mod json;
mod support;
