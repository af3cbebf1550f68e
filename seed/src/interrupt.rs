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
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

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

/// How many hook threads are running, which the process waits for before it exits
/// ([`settle`]).
static RUNNING_HOOKS: Mutex<usize> = Mutex::new(0);

/// Told when a hook thread ends.
static HOOK_ENDED: Condvar = Condvar::new();

/// Runs every registered hook on a thread of its own: a hook may wait on the network, and
/// the handler must stay free to take a second Ctrl-C.
fn run_hooks() {
    let hooks: Vec<Hook> = HOOKS
        .lock()
        .map(|hooks| hooks.iter().map(|(_, hook)| Arc::clone(hook)).collect())
        .unwrap_or_default();
    for hook in hooks {
        spawn_hook(hook);
    }
}

/// Runs `hook` on a thread of its own, counted in [`RUNNING_HOOKS`] until it returns (or,
/// if the thread cannot start, until the closure holding the count is dropped with it).
fn spawn_hook(hook: Hook) {
    let running = HookRunning::count();
    let _ = std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            let _running = running;
            hook();
        });
}

/// A hook thread counted in [`RUNNING_HOOKS`] while it lives, however the hook returns.
struct HookRunning;

impl HookRunning {
    fn count() -> HookRunning {
        if let Ok(mut running) = RUNNING_HOOKS.lock() {
            *running += 1;
        }
        HookRunning
    }
}

impl Drop for HookRunning {
    fn drop(&mut self) {
        if let Ok(mut running) = RUNNING_HOOKS.lock() {
            *running = running.saturating_sub(1);
        }
        HOOK_ENDED.notify_all();
    }
}

/// Waits, at most `limit`, for the hook threads still running to return. A hook cancelling
/// a PostgreSQL statement may be inside libpq and OpenSSL, opening a connection, when the
/// run ends; the process's exit tears their global state down, under such a thread (a
/// crash, SIGSEGV, instead of exit 130). Its hook is unregistered by then, so it returns
/// after the attempt in progress.
pub fn settle(limit: Duration) {
    let Ok(running) = RUNNING_HOOKS.lock() else {
        return;
    };
    let _ = HOOK_ENDED.wait_timeout_while(running, limit, |running| *running > 0);
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
        spawn_hook(hook);
    }
    Registered { id, active }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_waits_for_a_running_hook_to_return() {
        let returned = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&returned);
        // A hook busy past the moment the run ends, as a cancel still connecting is.
        spawn_hook(Arc::new(move || {
            std::thread::sleep(Duration::from_millis(300));
            flag.store(true, Ordering::SeqCst);
        }));
        settle(Duration::from_secs(30));
        assert!(returned.load(Ordering::SeqCst));
        assert_eq!(*RUNNING_HOOKS.lock().unwrap(), 0);
    }
}
