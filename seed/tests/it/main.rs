//! Integration tests of the `seed` binary and its loaders, compiled as one test binary.

mod pg_support;
mod postgres;
