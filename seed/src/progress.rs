//! Progress: counters the pipeline's threads bump, and a display thread that shows them.
//!
//! On a terminal the display draws one indicatif bar per phase with rows/s and ETA, once a run
//! has lasted about a second; when stderr is not a terminal (CI logs) it prints a plain line
//! every few seconds instead; `--quiet` shows neither.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

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
    generated_rows: AtomicU64,
    loaded_rows: AtomicU64,
    phase: AtomicU8,
}

impl Progress {
    /// Counts users generated, and their rows.
    pub fn add_generated(&self, users: u64, rows: u64) {
        self.0.generated_users.fetch_add(users, Ordering::Relaxed);
        self.0.generated_rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Counts rows inserted into the database.
    pub fn add_loaded(&self, rows: u64) {
        self.0.loaded_rows.fetch_add(rows, Ordering::Relaxed);
    }

    /// Records the loader's current step.
    pub fn phase(&self, phase: Phase) {
        self.0.phase.store(phase as u8, Ordering::Relaxed);
    }

    /// Users generated (or read) so far.
    pub fn generated(&self) -> u64 {
        self.0.generated_users.load(Ordering::Relaxed)
    }

    /// Rows generated (or read) so far.
    pub fn generated_rows(&self) -> u64 {
        self.0.generated_rows.load(Ordering::Relaxed)
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

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisplayMode {
    /// Bars on a terminal, plain lines otherwise.
    Auto,
    /// Nothing.
    Quiet,
}

/// What the run does, so the display knows which bars to draw.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Where the users come from.
    pub users: Users,
    /// Whether rows go to a database.
    pub loads: bool,
}

/// Where a run's users come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Users {
    /// Generated, this many.
    Generated(u64),
    /// Read from a file, as many as it holds.
    Read,
    /// Advanced in a database, as many as it holds.
    Advanced,
}

impl Users {
    /// How many, if known up front.
    fn total(self) -> Option<u64> {
        match self {
            Users::Generated(total) => Some(total),
            Users::Read | Users::Advanced => None,
        }
    }

    /// What is done to them, as a bar's prefix.
    fn verb(self) -> &'static str {
        match self {
            Users::Generated(_) => "generate",
            Users::Read => "read",
            Users::Advanced => "advance",
        }
    }

    /// What was done to them, in a progress line.
    fn done(self) -> &'static str {
        match self {
            Users::Generated(_) => "generated",
            Users::Read => "read",
            Users::Advanced => "advanced",
        }
    }
}

/// The display thread; stops when finished or dropped.
pub struct Display {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

/// How often bars refresh and how long a run lasts before they appear.
const TICK: Duration = Duration::from_millis(100);
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// How often a plain progress line is printed when stderr is not a terminal.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Display {
    /// Starts showing `progress` on stderr.
    pub fn start(progress: &Progress, plan: Plan, mode: DisplayMode) -> Display {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        if mode == DisplayMode::Quiet {
            return Display { stop, thread: None };
        }
        let terminal = std::io::stderr().is_terminal();
        let progress = progress.clone();
        let signal = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                if terminal {
                    run_bars(&progress, plan, &signal);
                } else {
                    run_plain(&progress, plan, &signal);
                }
            })
            .expect("spawn the progress thread");
        Display {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the display and clears its bars.
    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        let (lock, wake) = &*self.stop;
        *lock.lock().expect("progress lock") = true;
        wake.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Waits up to `timeout` for the stop signal; true once stopped.
fn wait_stop(signal: &(Mutex<bool>, Condvar), timeout: Duration) -> bool {
    let (lock, wake) = signal;
    let stopped = lock.lock().expect("progress lock");
    if *stopped {
        return true;
    }
    let (stopped, _) = wake.wait_timeout(stopped, timeout).expect("progress lock");
    *stopped
}

fn run_bars(progress: &Progress, plan: Plan, signal: &(Mutex<bool>, Condvar)) {
    let started = Instant::now();
    while started.elapsed() < SHOW_AFTER {
        if wait_stop(signal, TICK) {
            return;
        }
    }
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{prefix:>9} [{bar:30}] {human_pos}/{human_len} {msg} ({per_sec}, ETA {eta})",
    )
    .expect("a valid template")
    .progress_chars("=> ");
    let spinner = ProgressStyle::with_template("{prefix:>9} {spinner} {msg} ({elapsed})")
        .expect("a valid template");
    let generate = multi.add(ProgressBar::new(plan.users.total().unwrap_or(0)));
    generate.set_style(style.clone());
    generate.set_prefix(plan.users.verb());
    generate.set_message("users");
    let load = plan.loads.then(|| {
        let bar = multi.add(ProgressBar::new(0));
        bar.set_style(style.clone());
        bar.set_prefix("load");
        bar.set_message("rows");
        bar
    });
    let mut phase_bar: Option<(Phase, ProgressBar)> = None;
    loop {
        let stopped = wait_stop(signal, TICK);
        let users = progress.generated();
        match plan.users.total() {
            Some(_) => generate.set_position(users),
            None => {
                generate.set_length(users);
                generate.set_position(users);
            }
        }
        if plan.users.total().is_some_and(|total| users >= total) && !generate.is_finished() {
            generate.finish();
        }
        if let Some(load) = &load {
            load.set_length(progress.generated_rows().max(progress.loaded()));
            load.set_position(progress.loaded());
            let phase = progress.current_phase();
            if matches!(phase, Phase::Index | Phase::Check)
                && phase_bar.as_ref().is_none_or(|(p, _)| *p != phase)
            {
                load.finish();
                if let Some((_, bar)) = phase_bar.take() {
                    bar.finish();
                }
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(spinner.clone());
                bar.set_prefix(if phase == Phase::Index {
                    "index"
                } else {
                    "check"
                });
                bar.set_message(if phase == Phase::Index {
                    "building indexes and keys"
                } else {
                    "checking foreign keys"
                });
                bar.enable_steady_tick(TICK);
                phase_bar = Some((phase, bar));
            }
        }
        if stopped {
            break;
        }
    }
    if let Some((_, bar)) = phase_bar {
        bar.finish();
    }
    let _ = multi.clear();
}

fn run_plain(progress: &Progress, plan: Plan, signal: &(Mutex<bool>, Condvar)) {
    let started = Instant::now();
    while !wait_stop(signal, PLAIN_EVERY) {
        let secs = started.elapsed().as_secs_f64();
        let users = progress.generated();
        let done = plan.users.done();
        let mut line = match plan.users.total() {
            Some(total) => format!("seed: {secs:.0}s: {done} {users}/{total} users"),
            None => format!("seed: {secs:.0}s: {done} {users} users"),
        };
        if plan.loads {
            let loaded = progress.loaded();
            line.push_str(&format!(
                ", loaded {loaded} rows ({:.0} rows/s)",
                loaded as f64 / secs
            ));
            match progress.current_phase() {
                Phase::Index => line.push_str(", building indexes"),
                Phase::Check => line.push_str(", checking foreign keys"),
                Phase::Idle | Phase::Insert => {}
            }
        }
        crate::stderr::write_line!("{line}");
    }
}
