//! Ctrl-C: what an interrupt does depends on how far the run got, and the run says so.
//!
//! Until the run starts to commit, the first Ctrl-C stops it: every step checks
//! [`check`] between units of work, the load rolls back, the JSON file stays as it was, and
//! the process exits with 130; a second Ctrl-C exits at once (SQLite's journal and
//! PostgreSQL's transaction still keep the database as it was). [`begin_commit`] is the
//! point of no return: it fails if an interrupt came first, and once it has succeeded an
//! interrupt only says that the run is finishing, because stopping between the database's
//! commit and the JSON file's rename would leave one without the other.
//!
//! A wait inside a database server (a lock another connection holds) checks nothing between
//! units of work, so a PostgreSQL connection registers a hook ([`on_interrupt`]) that cancels
//! the statement it is running on the server; the statement fails at once and the run
//! rolls back as at any other step.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
            Ok(_) => {
                crate::stderr::write_line!(
                    "interrupted: rolling back (press Ctrl-C again to exit at once)"
                );
                run_hooks();
            }
            Err(INTERRUPTED) => std::process::exit(i32::from(EXIT_CODE)),
            Err(_) => {
                crate::stderr::write_line!(
                    "interrupted while committing: the run finishes, and its new data stays"
                )
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

/// Something to do when an interrupt asks the run to stop.
type Hook = Arc<dyn Fn() + Send + Sync>;

/// The registered hooks, by id.
static HOOKS: Mutex<Vec<(u64, Hook)>> = Mutex::new(Vec::new());

static NEXT_HOOK: AtomicU64 = AtomicU64::new(0);

/// Runs every registered hook on a thread of its own: a hook may wait on the network, and
/// the handler must stay free to take a second Ctrl-C.
fn run_hooks() {
    let hooks: Vec<Hook> = HOOKS
        .lock()
        .map(|hooks| hooks.iter().map(|(_, hook)| Arc::clone(hook)).collect())
        .unwrap_or_default();
    for hook in hooks {
        let _ = std::thread::Builder::new()
            .name("interrupt".into())
            .spawn(move || hook());
    }
}

/// A hook registered with [`on_interrupt`]; dropping it unregisters the hook, and tells a
/// hook still running that it is no longer wanted ([`Registered::active`]).
pub struct Registered {
    id: u64,
    active: Arc<AtomicBool>,
}

impl Registered {
    /// Whether the hook is still registered.
    pub fn active(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.active)
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.active.store(false, Ordering::SeqCst);
        if let Ok(mut hooks) = HOOKS.lock() {
            hooks.retain(|(id, _)| *id != self.id);
        }
    }
}

/// Calls `hook(active)` (on a thread of its own) when an interrupt asks the run to stop, or
/// at once if one already has; `active` turns false when the returned [`Registered`] is
/// dropped. For cancelling what a database server is doing for the run.
pub fn on_interrupt(hook: impl Fn(&AtomicBool) + Send + Sync + 'static) -> Registered {
    let id = NEXT_HOOK.fetch_add(1, Ordering::SeqCst);
    let active = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&active);
    let hook: Hook = Arc::new(move || hook(&flag));
    if let Ok(mut hooks) = HOOKS.lock() {
        hooks.push((id, Arc::clone(&hook)));
    }
    if interrupted() {
        let _ = std::thread::Builder::new()
            .name("interrupt".into())
            .spawn(move || hook());
    }
    Registered { id, active }
}
