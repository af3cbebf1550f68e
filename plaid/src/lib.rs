//! A local Plaid API over a seeded SpendSense database.
//!
//! It answers Plaid's endpoints with Plaid's request and response shapes ([`endpoints`],
//! [`wire`]), one Item per seeded user ([`items`]), `/transactions/sync` from the seeder's
//! change log ([`sync`]), a clock that moves the data forward and sends webhooks ([`clock`],
//! [`webhook`]), and errors in Plaid's shape ([`error`]). It reads the database through the
//! backend's models on a bounded pool of read-only connections ([`pool`], [`store`]).

pub mod cli;
pub mod client;
pub mod clock;
pub mod endpoints;
pub mod error;
pub mod items;
pub mod links;
pub mod load;
pub mod pool;
pub mod request;
pub mod server;
pub mod store;
pub mod sync;
pub mod taxonomy;
pub mod webhook;
pub mod wire;
