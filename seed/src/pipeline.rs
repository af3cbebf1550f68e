//! The seeding pipeline: generate (in parallel) → write JSON → load, streaming in chunks.
//!
//! The main thread asks the rayon pool for one chunk of users at a time; each chunk is
//! generated and JSON-encoded in parallel, then handed to the writer thread and to the loader
//! thread through bounded channels. At most a few chunks exist at once, so memory does not
//! grow with the number of users, and chunks keep their order, so the bytes written do not
//! depend on the number of threads.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use backend::DatabaseUrl;
use rayon::prelude::*;

use crate::dataset::{Meta, RowBatch, RowCounts};
use crate::generate::{GENERATOR, GenConfig, generate_user};
use crate::json::{EncodedRows, JsonWriter, PreparedJson, encode_bundle, read_json};
use crate::load::{LoadMode, LoadReport, Loader};
use crate::progress::{INTERRUPTED, Progress};
use crate::stats::{Collector, Stats};

/// Users generated per chunk: large enough to keep both cores busy, small enough that a
/// few chunks in flight stay within a few tens of MiB.
pub const CHUNK_USERS: u64 = 128;

/// Chunks that may wait in each channel.
const QUEUE: usize = 2;

/// Rows per batch when reading a JSON file.
const READ_BATCH_ROWS: usize = 16_384;

/// Where the rows go.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The JSON file to write, if any.
    pub json: Option<PathBuf>,
    /// The database to load, if any, and how.
    pub database: Option<(DatabaseUrl, LoadMode)>,
}

/// What a run did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// Rows produced (generated or read).
    pub counts: RowCounts,
    /// Wall time of producing and writing, until the last row left.
    pub produce: Duration,
    /// Bytes of JSON written, if a file was written.
    pub json_bytes: Option<u64>,
    /// The database load's report, if a database was loaded.
    pub load: Option<LoadReport>,
    /// Wall time of the whole run.
    pub total: Duration,
    /// The dataset's measured shape, when a JSON file was written.
    pub stats: Option<Stats>,
}

/// Generates users `range` (global indexes) and sends them to `outputs`. Nothing is visible
/// at either output unless everything succeeds: the JSON is renamed into place only after
/// the database transaction has committed.
pub fn generate(
    config: &GenConfig,
    meta: &Meta,
    range: Range<u64>,
    outputs: &Outputs,
    progress: &Progress,
) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let mut loader = start_loader(outputs, progress)?;
    let mut writer = match &outputs.json {
        Some(path) => Some(JsonWriter::create(path, meta)?),
        None => None,
    };

    // The writer runs on its own thread so that encoding the next chunk overlaps the write.
    let (to_writer, from_main) = mpsc::sync_channel::<(EncodedRows, RowCounts)>(QUEUE);
    let writer_thread = writer.take().map(|mut writer| {
        let progress = progress.clone();
        std::thread::Builder::new()
            .name("json-writer".into())
            .spawn(move || -> anyhow::Result<JsonWriter> {
                for (encoded, counts) in from_main {
                    writer.write(&encoded, counts)?;
                    progress.add_written(counts.total());
                }
                Ok(writer)
            })
            .expect("spawn the json writer thread")
    });

    let mut counts = RowCounts::default();
    let want_json = writer_thread.is_some();
    // Measured from the same rows the file receives, so the report needs no second read.
    // Each chunk holds whole users, so it is measured on its own and only its per-user
    // signals are kept, not its ids.
    let mut stats = want_json.then(Stats::default);
    let mut send_result = Ok(());
    let mut start = range.start;
    while start < range.end {
        let end = (start + CHUNK_USERS).min(range.end);
        let (rows, encoded) = generate_chunk(config, start..end, want_json);
        let chunk_counts = rows.counts();
        counts.add(chunk_counts);
        progress.add_generated(end - start, chunk_counts.total());
        if INTERRUPTED.load(Ordering::Relaxed) {
            send_result = Err(anyhow::anyhow!("interrupted; nothing was changed"));
            break;
        }
        if let Some(stats) = stats.as_mut() {
            let mut collector = Collector::new(config.profile.window_days);
            collector.add(&rows)?;
            stats.merge(collector.finish());
        }
        if want_json && to_writer.send((encoded, chunk_counts)).is_err() {
            break; // The writer failed; its error is collected below.
        }
        if let Some(loader) = loader.as_mut() {
            send_result = loader.send(rows);
            if send_result.is_err() {
                break;
            }
        }
        start = end;
    }
    drop(to_writer);
    let writer = writer_thread
        .map(|thread| thread.join().expect("the json writer does not panic"))
        .transpose();
    // Returning early drops the loader, which rolls back, and the writer, which deletes its
    // temp files: neither output changes.
    send_result?;
    let prepared = writer?.map(JsonWriter::finish).transpose()?;
    let produce = started.elapsed();
    let load = match loader {
        Some(loader) => Some(loader.commit()?),
        None => None,
    };
    let json_bytes = prepared.as_ref().map(PreparedJson::bytes);
    if let Some(prepared) = prepared {
        prepared.persist()?;
    }
    Ok(RunReport {
        counts,
        produce,
        json_bytes,
        load,
        total: started.elapsed(),
        stats,
    })
}

/// Generates users `range` in parallel; returns their rows and, if asked, their JSON.
pub fn generate_chunk(
    config: &GenConfig,
    range: Range<u64>,
    encode: bool,
) -> (RowBatch, EncodedRows) {
    let parts: Vec<_> = range
        .into_par_iter()
        .map(|index| {
            let bundle = generate_user(config, index);
            let mut encoded = EncodedRows::default();
            if encode {
                encode_bundle(&bundle, &mut encoded);
            }
            (bundle, encoded)
        })
        .collect();
    let mut rows = RowBatch::default();
    let mut encoded = EncodedRows::default();
    for (bundle, part) in parts {
        rows.push_bundle(bundle);
        encoded.append(&part);
    }
    (rows, encoded)
}

/// Loads an existing `users.json` into the database, streaming.
pub fn load_file(
    path: &Path,
    database: (DatabaseUrl, LoadMode),
    progress: &Progress,
) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let outputs = Outputs {
        json: None,
        database: Some(database),
    };
    let mut loader = start_loader(&outputs, progress)?.expect("a database was given");
    let source = read_json(path, READ_BATCH_ROWS, &mut |batch| {
        let counts = batch.counts();
        progress.add_generated(counts.users, counts.total());
        if INTERRUPTED.load(Ordering::Relaxed) {
            anyhow::bail!("interrupted; nothing was changed");
        }
        loader.send(batch)
    })?;
    let produce = started.elapsed();
    let load = loader.commit()?;
    let _ = source.meta;
    Ok(RunReport {
        counts: source.counts,
        produce,
        json_bytes: None,
        load: Some(load),
        total: started.elapsed(),
        stats: None,
    })
}

fn start_loader(outputs: &Outputs, progress: &Progress) -> anyhow::Result<Option<Loader>> {
    let Some((url, mode)) = &outputs.database else {
        return Ok(None);
    };
    url.create_if_missing()?;
    let conn = url.open()?;
    Ok(Some(Loader::start(
        conn,
        url.clone(),
        *mode,
        progress.clone(),
        QUEUE,
    )))
}

/// The `meta` object for a run.
pub fn meta(config: &GenConfig, num_users: u64) -> Meta {
    Meta {
        seed: config.seed,
        as_of: config.as_of,
        num_users,
        generator: GENERATOR.to_owned(),
        shard: None,
    }
}

/// Opens the database and re-applies every migration, leaving an empty, current schema.
pub fn reset_db(url: &DatabaseUrl) -> anyhow::Result<()> {
    url.create_if_missing()?;
    let mut conn = url.connect()?;
    backend::db::reset(&mut conn, url).context("reset the schema")?;
    Ok(())
}
