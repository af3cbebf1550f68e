//! users.json: the streaming writer matches serde_json, and the streaming reader round-trips
//! and says where a broken file breaks.

use std::path::Path;

use seed::dataset::Dataset;
use seed::json::read_json;
use seed::tables::RowBatch;

use crate::support::{dataset, write_json_bytes};

fn read_all(path: &Path, batch_rows: usize) -> anyhow::Result<(Dataset, usize)> {
    let mut rows = RowBatch::default();
    let mut batches = 0;
    let source = read_json(path, batch_rows, &mut |_, mut batch| {
        // A batch holds at most `batch_rows` records of one section (a stream's record also
        // brings its links).
        let counts = batch.counts();
        assert!(counts.total() - counts.recurring_stream_transactions <= batch_rows as u64);
        batches += 1;
        rows.append(&mut batch);
        Ok(())
    })?;
    let data = Dataset::new(source.meta, rows);
    Ok((data, batches))
}

#[test]
fn the_streaming_writer_prints_what_serde_json_prints() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(5, 12);
    let bytes = write_json_bytes(&data.meta, 5, 12, dir.path());
    let expected = serde_json::to_string_pretty(&data).unwrap() + "\n";
    assert_eq!(String::from_utf8(bytes).unwrap(), expected);
}

#[test]
fn a_file_round_trips_through_the_streaming_reader() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(9, 25);
    write_json_bytes(&data.meta, 9, 25, dir.path());
    let (read, batches) = read_all(&dir.path().join("users.json"), 100).unwrap();
    assert_eq!(read, data);
    assert!(
        batches > data.transactions.len() / 100,
        "rows arrive in bounded batches"
    );
}

#[test]
fn a_truncated_file_fails_with_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(9, 5);
    let bytes = write_json_bytes(&data.meta, 9, 5, dir.path());
    let path = dir.path().join("cut.json");
    std::fs::write(&path, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let error = format!("{:#}", read_all(&path, 100).unwrap_err());
    assert!(error.contains("EOF while parsing"), "{error}");
    assert!(error.contains(" at line "), "{error}");
    assert!(error.contains("cut.json"), "{error}");
    assert_eq!(error.lines().count(), 1, "{error}");
}

#[test]
fn a_malformed_row_fails_naming_the_section_row_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(9, 3);
    let text = String::from_utf8(write_json_bytes(&data.meta, 9, 3, dir.path())).unwrap();
    // Break the amount of the third transaction, found after its (unique) id.
    let at = text.find(&data.transactions[2].id).unwrap();
    let amount = at + text[at..].find("\"amount\": ").unwrap();
    let end = amount + text[amount..].find(',').unwrap();
    let broken = format!("{}\"amount\": \"lots\"{}", &text[..amount], &text[end..]);
    assert_ne!(broken, text);
    let path = dir.path().join("bad.json");
    std::fs::write(&path, broken).unwrap();
    let error = format!("{:#}", read_all(&path, 100).unwrap_err());
    assert!(error.contains("transactions element 2"), "{error}");
    assert!(error.contains("invalid type: string \"lots\""), "{error}");
    assert!(error.contains(" at line "), "{error}");
}

#[test]
fn missing_sections_and_wrong_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.json");
    let meta = r#"{"seed": 1, "as_of": "2025-01-01", "num_users": 0, "generator": "g"}"#;
    std::fs::write(
        &path,
        format!(r#"{{"meta": {meta}, "users": [], "accounts": []}}"#),
    )
    .unwrap();
    let error = format!("{:#}", read_all(&path, 10).unwrap_err());
    assert!(error.contains("missing field `transactions`"), "{error}");

    let meta = meta.replace("\"num_users\": 0", "\"num_users\": 3");
    std::fs::write(
        &path,
        format!(r#"{{"meta": {meta}, "users": [], "accounts": [], "transactions": []}}"#),
    )
    .unwrap();
    let error = format!("{:#}", read_all(&path, 10).unwrap_err());
    assert!(
        error.contains("meta.num_users is 3 but the file holds 0 users"),
        "{error}"
    );

    std::fs::write(&path, "[1, 2]").unwrap();
    assert!(read_all(&path, 10).is_err());
}
