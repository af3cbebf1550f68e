//! Integration tests of the local Plaid API, compiled as one binary: servers on 127.0.0.1
//! port 0 over freshly seeded databases, driven over HTTP. One module per area.

mod cli;
mod clock;
mod endpoints;
mod errors;
mod postgres;
mod support;
mod sync;
