//! The targets of issues 16 and 18 beside what one `cargo xtask bench` run measured: each a ratio of
//! two runs of the same table, side by side, so both saw the same machine at the same time.

use std::fmt::Write as _;

use crate::runs::{
    ADVANCE_1_POSTGRES, ADVANCE_1_SQLITE, CLIENT_PREFIX, FILL_PREFIX, FROM_JSON, GENERATE_JSON,
    GENERATE_JSON_SQLITE, GENERATE_POSTGRES, GENERATE_SQLITE, PSQL_KEYS_REBUILT, Run,
};

/// SQLite's fill the loader is held to: indexes built after the rows.
const FILL: &str = "indexes built after the rows";

/// One row of the targets table.
struct Line {
    target: &'static str,
    measured: String,
    met: Option<bool>,
}

/// The targets table for every size measured, empty if no run matches.
pub(crate) fn render(runs: &[Run]) -> String {
    let mut sizes: Vec<u64> = runs.iter().map(|r| r.size).collect();
    sizes.dedup();
    let mut out = String::new();
    for size in sizes {
        let lines = lines(runs, size);
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\nTargets at {size} users, from the runs above:\n");
        let _ = writeln!(out, "| target | measured | met? |");
        let _ = writeln!(out, "|---|---|---|");
        for line in lines {
            let met = match line.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "–",
            };
            let _ = writeln!(out, "| {} | {} | {met} |", line.target, line.measured);
        }
    }
    out
}

fn find<'a>(runs: &'a [Run], size: u64, what: &str) -> Option<&'a Run> {
    runs.iter().find(|r| r.size == size && r.what == what)
}

fn secs(run: &Run) -> f64 {
    run.wall.as_secs_f64()
}

fn lines(runs: &[Run], size: u64) -> Vec<Line> {
    let mut lines = Vec::new();
    // The issue sets its targets at 10k and 100k users; other sizes are shown, not judged.
    let judged = size == 10_000 || size == 100_000;
    lines.extend(sqlite_lines(runs, size, judged));
    if let (Some(psql), Some(load)) = (
        find(runs, size, PSQL_KEYS_REBUILT),
        find(runs, size, GENERATE_POSTGRES),
    ) {
        let ratio = secs(psql) / secs(load);
        lines.push(Line {
            target: "PostgreSQL ≥ 1.0× `psql \\copy`, keys rebuilt after",
            measured: format!(
                "{:.2} s against {:.2} s: {ratio:.2}×",
                secs(load),
                secs(psql)
            ),
            met: judged.then_some(ratio >= 1.0),
        });
    }
    lines.extend(advance_lines(runs, size));
    if let Some(run) = find(runs, size, GENERATE_JSON_SQLITE) {
        lines.push(Line {
            target: "peak RSS of generate + JSON + SQLite ≤ 200 MiB",
            measured: run
                .peak_rss_mib
                .map_or_else(|| "not measured".into(), |m| format!("{m:.1} MiB")),
            met: run.peak_rss_mib.filter(|_| judged).map(|m| m <= 200.0),
        });
    }
    if let Some(run) = find(runs, size, GENERATE_JSON) {
        let rate = run.rows as f64 / secs(run);
        lines.push(Line {
            target: "generate + JSON ≥ 1.3M rows/s (at 10,000 users)",
            measured: format!("{:.2} s, {:.2}M rows/s", secs(run), rate / 1e6),
            met: (size == 10_000).then_some(rate >= 1.3e6),
        });
    }
    lines
}

/// Issue 18's SQLite lines: each load against SQLite's own fill, and against the honest
/// ceiling beside it.
fn sqlite_lines(runs: &[Run], size: u64, judged: bool) -> Vec<Line> {
    let mut lines = Vec::new();
    let fill = find(runs, size, &format!("{FILL_PREFIX}{FILL}"));
    // The honest ceiling: the fastest C client's insert span, then the same index builds and
    // checks as SQLite's own fill (the time of its fill after its rows were in).
    let client = runs
        .iter()
        .filter(|r| r.size == size && r.what.starts_with(CLIENT_PREFIX))
        .min_by(|a, b| a.wall.cmp(&b.wall));
    let honest = match (fill, client) {
        (Some(fill), Some(client)) => {
            let after_rows = secs(fill) - fill.insert.map_or(0.0, |d| d.as_secs_f64());
            Some(secs(client) + after_rows)
        }
        _ => None,
    };
    for (target, what) in [
        (
            "SQLite while generating ≥ 90% of SQLite's own fill",
            GENERATE_SQLITE,
        ),
        (
            "SQLite from a JSON file ≥ 90% of SQLite's own fill",
            FROM_JSON,
        ),
    ] {
        if let (Some(fill), Some(load)) = (fill, find(runs, size, what)) {
            let ratio = secs(fill) / secs(load);
            let beside = honest.map_or(String::new(), |h| {
                format!(
                    "; against a C client binding the rows ({h:.2} s): {:.0}%",
                    100.0 * h / secs(load)
                )
            });
            lines.push(Line {
                target,
                measured: format!(
                    "{:.2} s against {:.2} s: {:.0}%{beside}",
                    secs(load),
                    secs(fill),
                    100.0 * ratio
                ),
                met: judged.then_some(ratio >= 0.9),
            });
        }
    }
    lines
}

/// Issue 16's lines: a day's advance of 100,000 users in at most a quarter of the time their
/// seed into the same backend takes (the seed without JSON, the stricter comparison).
fn advance_lines(runs: &[Run], size: u64) -> Vec<Line> {
    let mut lines = Vec::new();
    for (target, advance, seed) in [
        (
            "SQLite: advance --days 1 ≤ 25% of the seed (at 100,000 users)",
            ADVANCE_1_SQLITE,
            GENERATE_SQLITE,
        ),
        (
            "PostgreSQL: advance --days 1 ≤ 25% of the seed (at 100,000 users)",
            ADVANCE_1_POSTGRES,
            GENERATE_POSTGRES,
        ),
    ] {
        if let (Some(advance), Some(seed)) = (find(runs, size, advance), find(runs, size, seed)) {
            let share = secs(advance) / secs(seed);
            lines.push(Line {
                target,
                measured: format!(
                    "{:.2} s against {:.2} s: {:.0}%",
                    secs(advance),
                    secs(seed),
                    100.0 * share
                ),
                met: (size == 100_000).then_some(share <= 0.25),
            });
        }
    }
    lines
}
