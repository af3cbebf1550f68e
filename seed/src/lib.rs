//! The SpendSense seeder: deterministic synthetic users, accounts and transactions.
//!
//! Generation ([`generate`]) is pure; [`json`] writes and reads `users.json`; [`load`] puts
//! rows into a database through the `backend` crate's models; [`pipeline`] streams between
//! them.

pub mod catalog;
pub mod dataset;
pub mod fixtures;
pub mod generate;
pub mod json;
pub mod load;
pub mod pipeline;
pub mod progress;
