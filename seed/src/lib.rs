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

#[cfg(test)]
pub mod run_tables;

/// Hands the list of seeded tables (`tables::with_seeded_tables!`) to a consumer's macro as
/// it is.
#[cfg(not(test))]
macro_rules! with_test_tables {
    ($callback:ident $($list:tt)*) => {
        $callback! { $($list)* }
    };
}

/// Hands the list of seeded tables (`tables::with_seeded_tables!`) to a consumer's macro with
/// the run table of this crate's unit tests first ([`run_tables`]). Its generator is named
/// from the `generate` module, as every run table's is.
#[cfg(test)]
macro_rules! with_test_tables {
    ($callback:ident $($list:tt)*) => {
        $callback! {
            run test_merchants: $crate::run_tables::TestMerchant =
                super::run_tables::test_merchants,
            $($list)*
        }
    };
}
pub(crate) use with_test_tables;

/// The Diesel tables of the seeded ones, by table name: the backend's schema, and in this
/// crate's unit tests the run table only they declare.
mod schema {
    #[cfg(test)]
    pub(crate) use crate::run_tables::schema::*;
    pub(crate) use backend::schema::*;
}
