//! Progress counters shared by the pipeline's threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The step a load is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Phase {
    /// Not started.
    Idle = 0,
    /// Inserting rows.
    Insert = 1,
    /// Building indexes and keys.
    Index = 2,
    /// Checking foreign keys.
    Check = 3,
}

/// Counters the generator, writer and loader bump as they go; cheap to clone and share.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    generated_users: AtomicU64,
    written_rows: AtomicU64,
    loaded_rows: AtomicU64,
    phase: AtomicU8,
}

impl Progress {
    /// Counts users generated.
    pub fn add_generated(&self, users: u64) {
        self.0.generated_users.fetch_add(users, Ordering::Relaxed);
    }

    /// Counts rows written to JSON.
    pub fn add_written(&self, rows: u64) {
        self.0.written_rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Counts rows inserted into the database.
    pub fn add_loaded(&self, rows: u64) {
        self.0.loaded_rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Records the loader's current step.
    pub fn phase(&self, phase: Phase) {
        self.0.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Users generated so far.
    pub fn generated(&self) -> u64 {
        self.0.generated_users.load(Ordering::Relaxed)
    }

    /// Rows written so far.
    pub fn written(&self) -> u64 {
        self.0.written_rows.load(Ordering::Relaxed)
    }

    /// Rows loaded so far.
    pub fn loaded(&self) -> u64 {
        self.0.loaded_rows.load(Ordering::Relaxed)
    }

    /// The loader's current step.
    pub fn current_phase(&self) -> Phase {
        match self.0.phase.load(Ordering::Relaxed) {
            1 => Phase::Insert,
            2 => Phase::Index,
            3 => Phase::Check,
            _ => Phase::Idle,
        }
    }
}
