//! Ctrl-C: what an interrupt does depends on how far the run got, and the run says so.
//!
//! Until the run starts to commit, the first Ctrl-C stops it: every step checks
//! [`check`] between units of work, the load rolls back, the JSON file stays as it was, and
//! the process exits with 130; a second Ctrl-C exits at once (SQLite's journal and
//! PostgreSQL's transaction still keep the database as it was). [`begin_commit`] is the
//! point of no return: it fails if an interrupt came first, and once it has succeeded an
//! interrupt only says that the run is finishing, because stopping between the database's
//! commit and the JSON file's rename would leave one without the other.

use std::sync::atomic::{AtomicU8, Ordering};

/// The run's stage, as the handler sees it.
static STAGE: AtomicU8 = AtomicU8::new(RUNNING);

const RUNNING: u8 = 0;
const INTERRUPTED: u8 = 1;
const COMMITTING: u8 = 2;

/// The run stopped because of Ctrl-C; nothing was changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted; nothing was changed")]
pub struct Interrupted;

/// The exit code of a run stopped by an interrupt (128 + SIGINT), as shells report it.
pub const EXIT_CODE: u8 = 130;

/// Installs the Ctrl-C handler. Returns without one if the process already has a handler.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        match STAGE.compare_exchange(RUNNING, INTERRUPTED, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => eprintln!("interrupted: rolling back (press Ctrl-C again to exit at once)"),
            Err(INTERRUPTED) => std::process::exit(i32::from(EXIT_CODE)),
            Err(_) => {
                eprintln!("interrupted while committing: the run finishes, and its new data stays")
            }
        }
    });
}

/// Whether an interrupt asked the run to stop.
pub fn interrupted() -> bool {
    STAGE.load(Ordering::SeqCst) == INTERRUPTED
}

/// Fails with [`Interrupted`] once an interrupt asked the run to stop.
pub fn check() -> Result<(), Interrupted> {
    if interrupted() {
        Err(Interrupted)
    } else {
        Ok(())
    }
}

/// Passes the point of no return: from here on the run commits and finishes whatever
/// comes. Fails with [`Interrupted`] if an interrupt came first.
pub fn begin_commit() -> Result<(), Interrupted> {
    match STAGE.compare_exchange(RUNNING, COMMITTING, Ordering::SeqCst, Ordering::SeqCst) {
        Ok(_) | Err(COMMITTING) => Ok(()),
        Err(_) => Err(Interrupted),
    }
}
