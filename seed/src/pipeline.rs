//! The seeding pipeline: generate (in parallel) → write JSON → load, streaming in chunks.
//!
//! The run's rows (its run tables', [`generate_run`]) go first, as a chunk of their own.
//! Then the main thread keeps the rayon pool `AHEAD` (two) chunks of users ahead; each
//! chunk is generated and JSON-encoded in parallel, then handed, in order, to the writer
//! thread and to the loader thread through bounded channels. At most a few chunks exist at
//! once, so memory does not grow with the number of users, and chunks keep their order, so
//! the bytes written do not depend on the number of threads.

use std::collections::VecDeque;
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use backend::{DatabaseUrl, SeedRun};
use rayon::prelude::*;

use crate::changes::ChangeStamp;
use crate::dataset::Meta;
use crate::generate::{GenConfig, generate_run, generate_user};
use crate::interrupt;
use crate::json::{
    EncodedRows, JsonOut, JsonWriter, PreparedJson, SwappedJson, encode_rows, read_json,
};
use crate::load::{LoadMode, LoadOptions, LoadReport, Loader, seed_run};
use crate::profile::Profile;
use crate::progress::Progress;
use crate::stats::{Collector, Stats};
use crate::tables::{RowBatch, RowCounts};

/// How many users a chunk holds and a parallel task generates: enough to keep both cores
/// busy and amortise a task, few enough that the chunks in flight (generated, queued for the
/// sink, queued for the loader) stay within a few tens of MiB. A calibrated user has about
/// five times a story user's rows, so its chunks hold a quarter of the users. The bytes
/// written do not depend on either number.
#[derive(Debug, Clone, Copy)]
pub struct Chunking {
    /// Users per chunk.
    pub users: u64,
    /// Users per parallel task within a chunk.
    pub per_task: u64,
}

impl Chunking {
    /// The chunking of users drawn from `profile`.
    pub fn of(profile: &Profile) -> Chunking {
        match profile {
            Profile::Story(_) => Chunking {
                users: 64,
                per_task: 16,
            },
            Profile::Calibrated(_) => Chunking {
                users: 16,
                per_task: 4,
            },
        }
    }
}

/// Chunks that may wait in each channel.
const QUEUE: usize = 2;

/// Chunks generated at once: enough that the pool's threads always have a task while the
/// main thread waits for the oldest chunk.
const AHEAD: usize = 2;

/// Rows per batch when reading a JSON file.
const READ_BATCH_ROWS: usize = 16_384;

/// Where the rows go.
#[derive(Debug, Clone)]
pub struct Outputs {
    /// The JSON file to write, if any.
    pub json: Option<JsonOut>,
    /// The database to load, if any, and how.
    pub database: Option<Database>,
}

/// A database to load, and how.
#[derive(Debug, Clone)]
pub struct Database {
    /// Where it is.
    pub url: DatabaseUrl,
    /// Replace its rows, or add to them.
    pub mode: LoadMode,
    /// Replace users that no seed run recorded.
    pub allow_unseeded: bool,
}

impl Database {
    /// A replacing load of `url` that refuses unrecorded users.
    pub fn replace(url: DatabaseUrl) -> Database {
        Database {
            url,
            mode: LoadMode::Replace,
            allow_unseeded: false,
        }
    }
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
/// at either output unless everything succeeds (see [`publish`]).
pub fn generate(
    config: &GenConfig,
    meta: &Meta,
    range: Range<u64>,
    outputs: &Outputs,
    progress: &Progress,
) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let writer = match &outputs.json {
        Some(out) => Some(JsonWriter::create(out, meta)?),
        None => None,
    };
    let loader = start_loader(outputs, progress)?;
    // Measured from the same rows the file receives, so the report needs no second read.
    // Each task's users are whole, so they are measured on their own, in the generating
    // task, and only their summary is merged: no ids, no user's signals.
    let stats = writer.is_some().then(Stats::default);
    let wanted = Wanted {
        json: writer.is_some(),
        stats: writer.is_some(),
        rows: loader.is_some(),
    };
    let pool = Arc::new(BufferPool::default());
    let loader = match loader {
        Some(loader) => Some((loader, ChangeStamp::for_load(meta)?)),
        None => None,
    };
    let sink = Sink {
        writer,
        loader,
        stats,
        counts: RowCounts::default(),
        pool: Arc::clone(&pool),
    };

    // The sink thread writes, measures and forwards each chunk while the pool generates the
    // next one.
    let (to_sink, from_main) = mpsc::sync_channel::<RowChunk>(QUEUE);
    let sink_thread = std::thread::Builder::new()
        .name("sink".into())
        .spawn(move || sink.run(from_main))
        .expect("spawn the sink thread");
    // The run's rows first, parents of any user row that references them: every run, and
    // every shard of one, writes them. A sink that failed stops the loop below at its first
    // send, and says why when it is joined.
    let interrupted = run_chunk(config, wanted).and_then(|chunk| {
        if let Some(chunk) = chunk {
            progress.add_generated(0, chunk.counts.total());
            let _ = to_sink.send(chunk);
        }
        feed(config, range, wanted, &pool, progress, &to_sink)
    });
    drop(to_sink);
    // Returning early drops the loader, which rolls back, and the writer, which deletes its
    // temp files: neither output changes.
    let sink = sink_thread
        .join()
        .expect("the sink thread does not panic")?;
    interrupted?;
    let Sink {
        writer,
        loader,
        stats,
        counts,
        ..
    } = sink;
    let prepared = writer.map(JsonWriter::finish).transpose()?;
    let produce = started.elapsed();
    let json_bytes = prepared.as_ref().map(PreparedJson::bytes);
    let loader = loader.map(|(loader, _)| loader);
    let load = publish(prepared, loader, seed_run(meta, "generated"))?;
    Ok(RunReport {
        counts,
        produce,
        json_bytes,
        load,
        total: started.elapsed(),
        stats,
    })
}

/// Generates `range` in chunks and sends each to the sink in order, until the end,
/// Ctrl-C (the interruption returned) or a sink that stopped (its error is collected from
/// it). Up to [`AHEAD`] chunks are generated at once, each a task in the pool, so the pool's
/// threads move on to the next chunk while the slowest task of one finishes.
fn feed(
    config: &GenConfig,
    range: Range<u64>,
    wanted: Wanted,
    pool: &Arc<BufferPool>,
    progress: &Progress,
    to_sink: &mpsc::SyncSender<RowChunk>,
) -> anyhow::Result<()> {
    let users = Chunking::of(&config.profile).users;
    let mut starts = (range.start..range.end).step_by(users as usize);
    rayon::in_place_scope(|scope| {
        let mut pending = VecDeque::with_capacity(AHEAD);
        loop {
            while pending.len() < AHEAD {
                let Some(start) = starts.next() else { break };
                let end = (start + users).min(range.end);
                let (done, chunk) = mpsc::sync_channel(1);
                scope.spawn(move |_| {
                    // The receiver is gone only if generation stopped early: the chunk
                    // is not wanted then.
                    let _ = done.send(generate_parts(config, start..end, wanted, pool));
                });
                pending.push_back((end - start, chunk));
            }
            let Some((generated, chunk)) = pending.pop_front() else {
                return Ok(());
            };
            // A task that panicked sent nothing; the scope passes its panic on.
            let Ok(chunk) = chunk.recv() else {
                return Ok(());
            };
            let chunk = chunk?;
            progress.add_generated(generated, chunk.counts.total());
            crate::pause::at("generate");
            interrupt::check()?;
            if to_sink.send(chunk).is_err() {
                return Ok(());
            }
        }
    })
}

/// Makes a run's outputs visible together, or neither. The load finishes first (keys built
/// and checked, the run recorded) with its transaction still open; then the new JSON file
/// takes the old one's place, the old one kept aside; then, past the point of no return
/// ([`interrupt::begin_commit`]), the database commits. If the commit fails, or Ctrl-C comes
/// before it, the old JSON file goes back and the load rolls back; only after the commit is
/// the old file deleted. So no failure leaves a new file with an old database or the
/// reverse (a process killed between the rename and the commit still can).
fn publish(
    json: Option<PreparedJson>,
    loader: Option<Loader>,
    run: SeedRun,
) -> anyhow::Result<Option<LoadReport>> {
    let load = loader.map(|loader| loader.finish(run)).transpose()?;
    crate::pause::at("publish");
    interrupt::check()?;
    let swapped = json.map(PreparedJson::swap_in).transpose()?;
    crate::pause::at("swapped");
    let restore = |swapped: Option<SwappedJson>, error: anyhow::Error| match swapped {
        Some(swapped) => match swapped.restore() {
            Ok(()) => error,
            Err(restore) => error.context(format!("{restore:#}")),
        },
        None => error,
    };
    if let Err(e) = interrupt::begin_commit() {
        return Err(restore(swapped, e.into()));
    }
    crate::pause::at("commit");
    let report = match load {
        Some(load) => match load.commit() {
            Ok(report) => Some(report),
            Err(e) => return Err(restore(swapped, e)),
        },
        None => None,
    };
    if let Some(swapped) = swapped {
        swapped.keep();
    }
    Ok(report)
}

/// What a run does with the rows it generates, so that the generating tasks do the work
/// that can be done in parallel and drop what nothing downstream reads.
#[derive(Debug, Clone, Copy)]
struct Wanted {
    /// Encode them as JSON.
    json: bool,
    /// Measure them.
    stats: bool,
    /// Keep them, for the database.
    rows: bool,
}

/// One chunk of users on its way from the generator to the sink.
struct RowChunk {
    /// Rows per table.
    counts: RowCounts,
    /// The rows themselves if the database takes them; else empty.
    rows: RowBatch,
    /// Their JSON, a buffer per task, in order (empty without a file).
    parts: Vec<EncodedRows>,
    /// Their statistics, a part per task, in order (empty without a file).
    stats: Vec<Stats>,
}

/// Everything downstream of generation, run on one thread: the JSON writer, the merging
/// of the statistics and the hand-off to the loader.
struct Sink {
    writer: Option<JsonWriter>,
    /// The loader, and where the `added` changes of the rows it loads go in the change log:
    /// the sink numbers them, the loader writes them.
    loader: Option<(Loader, ChangeStamp)>,
    stats: Option<Stats>,
    counts: RowCounts,
    pool: Arc<BufferPool>,
}

impl Sink {
    fn run(mut self, chunks: mpsc::Receiver<RowChunk>) -> anyhow::Result<Sink> {
        for chunk in chunks {
            self.counts.add(chunk.counts);
            if let Some(writer) = self.writer.as_mut() {
                for part in &chunk.parts {
                    writer.write(part)?;
                }
            }
            self.pool.give(chunk.parts);
            if let Some(stats) = self.stats.as_mut() {
                for part in chunk.stats {
                    stats.merge(part);
                }
            }
            if let Some((loader, stamp)) = self.loader.as_mut() {
                let added = stamp.reserve(chunk.rows.transactions.len())?;
                loader.send(chunk.rows, added)?;
            }
        }
        Ok(self)
    }
}

/// The run's rows ([`generate_run`]) as a chunk of their own, with their JSON and their
/// statistics (counts only: they are no user's) if asked; `None` if the run has none.
fn run_chunk(config: &GenConfig, wanted: Wanted) -> anyhow::Result<Option<RowChunk>> {
    let rows = RowBatch {
        run: generate_run(config),
        ..RowBatch::default()
    };
    if rows.run.is_empty() {
        return Ok(None);
    }
    let mut encoded = EncodedRows::default();
    if wanted.json {
        encode_rows(&rows, &mut encoded);
    }
    let stats = measure(config, &rows, wanted)?;
    Ok(Some(RowChunk {
        counts: rows.counts(),
        rows,
        parts: vec![encoded],
        stats,
    }))
}

/// The statistics of `rows` (whole users, or the run's rows) as a chunk's one part, if
/// `wanted`; else none.
fn measure(config: &GenConfig, rows: &RowBatch, wanted: Wanted) -> anyhow::Result<Vec<Stats>> {
    if !wanted.stats {
        return Ok(Vec::new());
    }
    let mut collector = Collector::new();
    collector.add(rows)?;
    Ok(vec![collector.finish(&config.profile, config.as_of)])
}

/// Generates users `range` in parallel; returns their rows and, if asked, their JSON.
pub fn generate_chunk(
    config: &GenConfig,
    range: Range<u64>,
    encode: bool,
) -> (RowBatch, EncodedRows) {
    let wanted = Wanted {
        json: encode,
        stats: false,
        rows: true,
    };
    let chunk = generate_parts(config, range, wanted, &BufferPool::default())
        .expect("rows are measured only when asked");
    let mut encoded = EncodedRows::default();
    for part in &chunk.parts {
        encoded.append(part);
    }
    (chunk.rows, encoded)
}

/// Generates users `range` in parallel tasks of [`Chunking::per_task`] users, each task encoding
/// and measuring its own users as `wanted` asks (JSON buffers from `pool`), and keeping
/// their rows only if the database takes them.
fn generate_parts(
    config: &GenConfig,
    range: Range<u64>,
    wanted: Wanted,
    pool: &BufferPool,
) -> anyhow::Result<RowChunk> {
    let per_task = Chunking::of(&config.profile).per_task;
    let tasks: Vec<Range<u64>> = (range.start..range.end)
        .step_by(per_task as usize)
        .map(|start| start..(start + per_task).min(range.end))
        .collect();
    let parts: Vec<RowChunk> = tasks
        .into_par_iter()
        .map(|task| {
            let rows = RowBatch::concat(task.map(|index| generate_user(config, index)).collect());
            let mut encoded = if wanted.json {
                pool.take()
            } else {
                EncodedRows::default()
            };
            if wanted.json {
                encode_rows(&rows, &mut encoded);
            }
            let stats = measure(config, &rows, wanted)?;
            Ok(RowChunk {
                counts: rows.counts(),
                rows: if wanted.rows {
                    rows
                } else {
                    RowBatch::default()
                },
                parts: vec![encoded],
                stats,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut chunk = RowChunk {
        counts: RowCounts::default(),
        rows: RowBatch::default(),
        parts: Vec::with_capacity(parts.len()),
        stats: Vec::with_capacity(parts.len()),
    };
    let mut rows = Vec::with_capacity(parts.len());
    for part in parts {
        chunk.counts.add(part.counts);
        rows.push(part.rows);
        chunk.parts.extend(part.parts);
        chunk.stats.extend(part.stats);
    }
    chunk.rows = RowBatch::concat(rows);
    Ok(chunk)
}

/// Encoding buffers handed back by the writer for the next chunk: reusing them keeps the
/// allocator from returning pages to the kernel and faulting them in again, which cost a
/// fifth of a run.
#[derive(Default)]
struct BufferPool(Mutex<Vec<EncodedRows>>);

/// Buffers kept at most: a few chunks' worth of tasks.
const POOLED_BUFFERS: usize = 64;

impl BufferPool {
    fn take(&self) -> EncodedRows {
        self.0
            .lock()
            .expect("buffer pool lock")
            .pop()
            .unwrap_or_default()
    }

    fn give(&self, mut buffers: Vec<EncodedRows>) {
        let mut pool = self.0.lock().expect("buffer pool lock");
        for mut buffer in buffers.drain(..) {
            if pool.len() >= POOLED_BUFFERS {
                break;
            }
            buffer.clear();
            pool.push(buffer);
        }
    }
}

/// Loads an existing `users.json` into the database, streaming.
pub fn load_file(
    path: &Path,
    database: &Database,
    progress: &Progress,
) -> anyhow::Result<RunReport> {
    let started = Instant::now();
    let outputs = Outputs {
        json: None,
        database: Some(database.clone()),
    };
    let mut loader = start_loader(&outputs, progress)?.expect("a database was given");
    let mut stamp = None;
    let source = read_json(path, READ_BATCH_ROWS, &mut |meta, batch| {
        let counts = batch.counts();
        progress.add_generated(counts.users, counts.total());
        interrupt::check()?;
        crate::rules::check(&batch)?;
        let stamp = match &mut stamp {
            Some(stamp) => stamp,
            None => stamp.insert(ChangeStamp::for_load(meta)?),
        };
        let added = stamp.reserve(batch.transactions.len())?;
        loader.send(batch, added)
    })?;
    let produce = started.elapsed();
    let run = seed_run(&source.meta, &path.display().to_string());
    let load = publish(None, Some(loader), run)?;
    Ok(RunReport {
        counts: source.counts,
        produce,
        json_bytes: None,
        load,
        total: started.elapsed(),
        stats: None,
    })
}

fn start_loader(outputs: &Outputs, progress: &Progress) -> anyhow::Result<Option<Loader>> {
    let Some(database) = &outputs.database else {
        return Ok(None);
    };
    let options = LoadOptions {
        mode: database.mode,
        allow_unseeded: database.allow_unseeded,
        queue: QUEUE,
    };
    Ok(Some(Loader::start(
        &database.url,
        &options,
        progress.clone(),
    )?))
}
