//! What a run prints on stdout: what it did, how long each phase took, and the dataset's
//! statistics.

use std::sync::atomic::{AtomicBool, Ordering};

use backend::DatabaseUrl;

use crate::pipeline::RunReport;

/// Whether the summary goes to standard error, because standard output carries the JSON.
static TO_STDERR: AtomicBool = AtomicBool::new(false);

/// Sends what the run says to standard error (`true`) or standard output.
pub(crate) fn to_stderr(yes: bool) {
    TO_STDERR.store(yes, Ordering::Relaxed);
}

/// Prints a line of the summary. A closed stdout (`| head`) is not an error once the data is
/// written, so a failed write is ignored instead of panicking as `println!` would.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if $crate::cli::report::summary_to_stderr() {
            let _ = writeln!(std::io::stderr().lock(), $($arg)*);
        } else {
            let _ = writeln!(std::io::stdout().lock(), $($arg)*);
        }
    }};
}
pub(crate) use say;

/// Whether [`say!`] writes to standard error.
pub(crate) fn summary_to_stderr() -> bool {
    TO_STDERR.load(Ordering::Relaxed)
}

/// `Loaded … into …`, if the run loaded a database.
pub(crate) fn print_loaded(report: &RunReport, target: &DatabaseUrl) {
    if let Some(load) = &report.load {
        match &load.server {
            Some(server) => say!(
                "Loaded {} into {target}, connected to {server}",
                load.counts
            ),
            None => say!("Loaded {} into {target}", load.counts),
        }
    }
}

/// Prints wall time and rate per phase. Producing overlaps inserting, so the phases add up
/// to more than the total.
pub(crate) fn print_timings(report: &RunReport, produce: &str) {
    let rows = report.counts.total();
    let rate = |d: std::time::Duration| {
        let per_sec = rows as f64 / d.as_secs_f64().max(1e-9);
        if per_sec >= 1e6 {
            format!("{:.2}M rows/s", per_sec / 1e6)
        } else {
            format!("{:.0}k rows/s", per_sec / 1e3)
        }
    };
    let mut lines = vec![(produce, report.produce, Some(rate(report.produce)))];
    if let Some(load) = &report.load {
        lines.push(("insert", load.insert, Some(rate(load.insert))));
        lines.push(("index", load.index, None));
        lines.push(("check", load.check, None));
    }
    lines.push(("total", report.total, Some(rate(report.total))));
    for (name, time, rate) in lines {
        say!(
            "  {name:<14} {:>8.2} s  {}",
            time.as_secs_f64(),
            rate.unwrap_or_default()
        );
    }
    if let Some(kib) = peak_rss_kib() {
        say!("  peak RSS {:>10.1} MiB", kib as f64 / 1024.0);
    }
}

/// The process's peak resident set size, from Linux's /proc; `None` elsewhere.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What an advance did: the users and dates, the rows it wrote and skipped, the changes it
/// logged.
pub(crate) fn print_advanced(report: &crate::advance::AdvanceReport, target: &DatabaseUrl) {
    let a = &report.applied;
    say!(
        "Advanced users {}..{} of {target} from {} to {}: {} transactions added, {} removed, \
         {} modified; {} accounts, {} recurring streams and {} stream links updated",
        report.users.start,
        report.users.end,
        report.from,
        report.to,
        a.inserted,
        a.deleted,
        a.updated,
        a.accounts,
        a.streams,
        a.links
    );
    say!(
        "Logged {} changes in transaction_changes: cursor {} to {}",
        a.logged,
        report.since,
        report.until
    );
    if a.skipped > 0 {
        say!(
            "Skipped {} rows an application had changed or deleted: left as they were",
            a.skipped
        );
    }
    if let Some(pages) = report.pages {
        say!("Wrote {pages} /transactions/sync pages");
    }
    say!("  total {:>8.2} s", report.elapsed.as_secs_f64());
    if let Some(kib) = peak_rss_kib() {
        say!("  peak RSS {:>10.1} MiB", kib as f64 / 1024.0);
    }
}
