//! The SpendSense seeder: deterministic synthetic users, accounts and transactions.
//!
//! Generation ([`generate`]) is pure and draws from a [`profile`]; [`json`] writes and reads `users.json`; [`load`] puts
//! rows into a database through the `backend` crate's models; [`pipeline`] streams between
//! them; [`stats`] measures a dataset's shape and each persona's signal.

pub mod advance;
pub mod calendar;
pub mod catalog;
pub mod changes;
pub mod cli;
pub mod database;
pub mod dataset;
pub mod fixtures;
pub mod generate;
pub mod guard;
pub mod interrupt;
pub mod json;
pub mod load;
pub mod pause;
pub mod persona;
pub mod pipeline;
pub mod profile;
pub mod progress;
pub mod rules;
pub mod stats;
pub(crate) mod stderr;
pub mod tables;
