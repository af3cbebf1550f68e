//! The workspace's task runner.

// Not called yet: `cargo xtask bench` will report it beside its SQLite numbers.
#[allow(dead_code)]
mod pg_baseline;

fn main() {}
