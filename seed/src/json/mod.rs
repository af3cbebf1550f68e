//! `users.json`: a streaming writer and a streaming reader for the dataset file.
//!
//! The file is `{"meta": …}` followed by one array per section (`"users": […]`, …, in
//! [`SECTIONS`](crate::tables::SECTIONS) order) with a two-space indent, byte for byte what
//! `serde_json::to_string_pretty` prints for a [`Dataset`](crate::dataset::Dataset), plus a
//! final newline. Neither side ever holds the whole dataset.

mod assemble;
mod encode;
mod read;
mod write;

pub use read::{JsonSource, RowSink, read_json};
pub use write::{
    EncodedRows, JsonOut, JsonWriter, PreparedJson, SwappedJson, encode_rows,
    remove_stale_temp_files_of,
};

/// `error` with `what` was being done, saying "disk full" when that is what it was.
pub(crate) fn io_error(error: std::io::Error, what: &str) -> anyhow::Error {
    if error.kind() == std::io::ErrorKind::StorageFull {
        anyhow::anyhow!("{what}: disk full ({error}); nothing was changed")
    } else {
        anyhow::Error::new(error).context(what.to_owned())
    }
}
