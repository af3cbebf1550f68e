//! `users.json`: a streaming writer and a streaming reader for the dataset file.
//!
//! The file is `{"meta": …}` followed by one array per section (`"users": […]`, …, in
//! [`SECTIONS`](crate::tables::SECTIONS) order) with a two-space indent, byte for byte what
//! `serde_json::to_string_pretty` prints for a [`Dataset`](crate::tables::Dataset), plus a
//! final newline. Neither side ever holds the whole dataset.

mod encode;
mod read;
mod write;

pub use read::{JsonSource, read_json};
pub use write::{EncodedRows, JsonWriter, PreparedJson, encode_rows};
