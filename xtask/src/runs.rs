//! What the benches share: a measured [`Run`] and the names the targets look runs up by, the
//! machine they ran on, removing a SQLite file and its journals, and writing a table between
//! its markers in BENCHMARKS.md.

use std::path::Path;
use std::time::Duration;

use xshell::{Shell, cmd};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// Writes what earlier runs left in the page cache to disk (a SQLite load writes with
/// synchronous=OFF), so that the kernel's writeback of one run is not timed in the next.
pub(crate) fn sync_disk(sh: &Shell) {
    let _ = cmd!(sh, "sync").quiet().run();
}

/// One measured command.
pub(crate) struct Run {
    pub(crate) size: u64,
    pub(crate) what: String,
    pub(crate) wall: Duration,
    pub(crate) rows: u64,
    pub(crate) peak_rss_mib: Option<f64>,
    pub(crate) note: String,
    /// For a load (its insert phase), SQLite's own fills and the C client: the span until
    /// the last row was in.
    pub(crate) insert: Option<Duration>,
    /// For a median of several rounds: the fastest and the slowest round's wall time.
    pub(crate) spread: Option<(Duration, Duration)>,
}

/// Each run's median by wall time over `rounds` (whole rounds of the same runs), in the
/// first round's order, with the highest peak RSS any round of it reached and, when there
/// were several rounds, the fastest and slowest of them.
pub(crate) fn medians(rounds: Vec<Vec<Run>>) -> anyhow::Result<Vec<Run>> {
    let mut rounds = rounds.into_iter();
    let Some(first) = rounds.next() else {
        return Ok(Vec::new());
    };
    let mut each: Vec<Vec<Run>> = first.into_iter().map(|run| vec![run]).collect();
    for round in rounds {
        anyhow::ensure!(round.len() == each.len(), "rounds of different runs");
        for (runs, run) in each.iter_mut().zip(round) {
            anyhow::ensure!(
                runs[0].what == run.what && runs[0].size == run.size,
                "rounds of different runs: {} and {}",
                runs[0].what,
                run.what
            );
            runs.push(run);
        }
    }
    Ok(each
        .into_iter()
        .map(|mut runs| {
            let peak = runs
                .iter()
                .filter_map(|run| run.peak_rss_mib)
                .reduce(f64::max);
            runs.sort_by_key(|run| run.wall);
            let spread = (runs.len() > 1).then(|| (runs[0].wall, runs[runs.len() - 1].wall));
            let mut median = runs.swap_remove(runs.len() / 2);
            median.peak_rss_mib = peak;
            median.spread = spread;
            median
        })
        .collect())
}

/// What each measured run is called in the table; the targets look runs up by it.
pub(crate) const GENERATE_JSON: &str = "generate + JSON";
pub(crate) const GENERATE_SQLITE: &str = "generate + SQLite";
pub(crate) const GENERATE_JSON_SQLITE: &str = "generate + JSON + SQLite";
pub(crate) const FROM_JSON: &str = "JSON file → SQLite (--from)";
pub(crate) const GENERATE_POSTGRES: &str = "generate + PostgreSQL (COPY)";
pub(crate) const PSQL_KEYS_IN_PLACE: &str = "psql \\copy CSV, keys in place";
pub(crate) const PSQL_KEYS_REBUILT: &str = "psql \\copy CSV, keys rebuilt after";
pub(crate) const ADVANCE_1_SQLITE: &str = "advance --days 1, SQLite";
pub(crate) const ADVANCE_30_SQLITE: &str = "advance --days 30 after it, SQLite";
pub(crate) const ADVANCE_1_POSTGRES: &str = "advance --days 1, PostgreSQL";
pub(crate) const ADVANCE_30_POSTGRES: &str = "advance --days 30 after it, PostgreSQL";
pub(crate) const FILL_PREFIX: &str = "SQLite in-database fill: ";
pub(crate) const CLIENT_PREFIX: &str = "C client binding the rows: ";

pub(crate) fn remove_db(sh: &Shell, db: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        sh.remove_path(format!("{}{suffix}", db.display()))?;
    }
    Ok(())
}

/// The machine a bench ran on, as its table names it.
pub(crate) fn machine(sh: &Shell) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpu_name(&cpuinfo);
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0 / 1024.0);
    let rustc = cmd!(sh, "rustc --version").read().unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem_gib:.1} GiB RAM; {rustc}")
}

/// The CPU as `/proc/cpuinfo` names it: its model name, and its family and model numbers
/// where the file gives them. A virtual machine may name only the line (`AMD EPYC`), and
/// two generations of it run the same bench at different speeds.
fn cpu_name(cpuinfo: &str) -> String {
    // The first processor's value of `key`; `model` is not `model name`.
    let field = |key: &str| {
        cpuinfo.lines().find_map(|line| {
            let (name, value) = line.split_once(':')?;
            (name.trim() == key).then(|| value.trim())
        })
    };
    let name = field("model name").unwrap_or("unknown CPU");
    match (field("cpu family"), field("model")) {
        (Some(family), Some(model)) => format!("{name} (CPU family {family}, model {model})"),
        _ => name.to_owned(),
    }
}

/// Replaces the table between the profile's markers (`bench:begin` and `bench:end` for the
/// default profile, `bench:begin NAME` and `bench:end NAME` for another), or adds them.
pub(crate) fn write_report(
    sh: &Shell,
    path: &Path,
    report: &str,
    profile: &str,
) -> anyhow::Result<()> {
    let (begin_marker, end_marker) = match profile {
        "story" => (BEGIN.to_owned(), END.to_owned()),
        name => (
            format!("<!-- bench:begin {name} -->"),
            format!("<!-- bench:end {name} -->"),
        ),
    };
    let existing = sh.read_file(path).unwrap_or_default();
    let generated = format!("{begin_marker}\n{report}{end_marker}");
    let updated = match (existing.find(&begin_marker), existing.find(&end_marker)) {
        (Some(begin), Some(end)) if begin < end => {
            format!(
                "{}{generated}{}",
                &existing[..begin],
                &existing[end + end_marker.len()..]
            )
        }
        _ if existing.is_empty() => format!("# Benchmarks\n\n{generated}\n"),
        _ => format!("{}\n\n{generated}\n", existing.trim_end()),
    };
    sh.write_file(path, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(what: &str, millis: u64, rss: Option<f64>) -> Run {
        Run {
            size: 10,
            what: what.into(),
            wall: Duration::from_millis(millis),
            rows: 1,
            peak_rss_mib: rss,
            note: format!("{millis}"),
            insert: None,
            spread: None,
        }
    }

    #[test]
    fn the_cpu_is_named_with_its_family_and_model_where_the_kernel_gives_them() {
        let cpuinfo = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\n\
                       model\t\t: 2\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\n\
                       cpu family\t: 25\nmodel\t\t: 1\nmodel name\t: other\n";
        assert_eq!(cpu_name(cpuinfo), "AMD EPYC (CPU family 26, model 2)");
        // Another architecture's file names neither number, or nothing at all.
        assert_eq!(
            cpu_name("model name\t: ARMv8 Processor\n"),
            "ARMv8 Processor"
        );
        assert_eq!(cpu_name(""), "unknown CPU");
    }

    #[test]
    fn a_median_is_the_middle_round_of_each_run_with_the_highest_peak() {
        let rounds = vec![
            vec![run("a", 30, Some(5.0)), run("b", 1, None)],
            vec![run("a", 10, Some(9.0)), run("b", 3, None)],
            vec![run("a", 20, Some(7.0)), run("b", 2, None)],
        ];
        let middle = medians(rounds).unwrap();
        assert_eq!(middle.len(), 2);
        assert_eq!(
            (middle[0].what.as_str(), middle[0].note.as_str()),
            ("a", "20")
        );
        assert_eq!(middle[0].peak_rss_mib, Some(9.0));
        assert_eq!(
            middle[0].spread,
            Some((Duration::from_millis(10), Duration::from_millis(30)))
        );
        assert_eq!(
            (middle[1].what.as_str(), middle[1].wall),
            ("b", Duration::from_millis(2))
        );
        assert_eq!(middle[1].peak_rss_mib, None);
        assert!(medians(vec![vec![run("a", 1, None)], vec![run("b", 1, None)]]).is_err());
        let single = medians(vec![vec![run("a", 4, None)]]).unwrap();
        assert_eq!(single[0].spread, None);
    }
}
