//! A test hook: with `SEED_TEST_PAUSE=<point>` in its environment, a run stops at that named
//! point of its work, says `paused at <point>` on standard error, and waits for a line on
//! standard input. Tests use it to interrupt a run at a known moment instead of guessing
//! one with timers. Without the variable, [`at`] does nothing.

use std::io::BufRead;

/// The environment variable naming the point to pause at.
pub const ENV: &str = "SEED_TEST_PAUSE";

/// Pauses here if `SEED_TEST_PAUSE` names `point`.
pub fn at(point: &str) {
    if std::env::var_os(ENV).is_some_and(|p| p == point) {
        crate::stderr::write_line!("paused at {point}");
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
    }
}
