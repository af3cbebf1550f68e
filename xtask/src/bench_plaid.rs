//! `cargo xtask bench --plaid`: seeds each size with the release `seed` binary, runs the
//! release `plaid load` on it (SQLite, and PostgreSQL with `--postgres-url`), and writes the
//! table between BENCHMARKS.md's `bench:begin plaid` and `bench:end plaid` markers.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use xshell::{Shell, cmd};

use crate::flags;
use crate::runs::{machine, remove_db, write_report};

/// Every run pins the date, so runs at any time serve the same rows.
const AS_OF: &str = "2025-06-01";

/// One load's `result` line, split.
struct Row {
    size: u64,
    backend: &'static str,
    fields: Vec<String>,
}

pub(crate) fn run(bench: &flags::Bench, sh: &Shell) -> anyhow::Result<ExitCode> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    cmd!(
        sh,
        "{cargo} build --release --package seed --bin seed --package plaid --bin plaid"
    )
    .run()?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let release = sh.current_dir().join(target.join("release"));
    let (seed, plaid) = (release.join("seed"), release.join("plaid"));
    let dir = sh.current_dir().join("target").join("bench");
    sh.create_dir(&dir)?;
    let db = dir.join("plaid.db");
    let db_s = db.to_str().context("bench path is UTF-8")?.to_owned();
    let (clients, seconds) = (bench.clients.to_string(), bench.seconds.to_string());
    let profile = bench.profile.as_str();
    let mut rows = Vec::new();
    for &size in &bench.sizes {
        let n = size.to_string();
        let mut targets: Vec<(&'static str, String)> = vec![("SQLite", db_s.clone())];
        remove_db(sh, &db)?;
        cmd!(sh, "{seed} --num-users {n} --as-of {AS_OF} --profile {profile} --no-json --quiet --database-url {db_s}")
            .quiet()
            .ignore_stdout()
            .run()?;
        if let Some(url) = &bench.postgres_url {
            cmd!(sh, "{seed} reset-db --allow-unseeded --database-url {url}")
                .quiet()
                .ignore_stdout()
                .run()?;
            cmd!(sh, "{seed} --num-users {n} --as-of {AS_OF} --profile {profile} --no-json --quiet --database-url {url}")
                .quiet()
                .ignore_stdout()
                .run()?;
            targets.push(("PostgreSQL", url.clone()));
        }
        for (backend, url) in targets {
            let out = cmd!(
                sh,
                "{plaid} load --database-url {url} --clients {clients} --seconds {seconds}"
            )
            .read()
            .with_context(|| format!("plaid load on {size} users ({backend})"))?;
            let line = out
                .lines()
                .find_map(|l| l.strip_prefix("result\t"))
                .context("no result line from plaid load")?;
            rows.push(Row {
                size,
                backend,
                fields: line.split('\t').map(str::to_owned).collect(),
            });
            eprintln!("bench --plaid: {size} users on {backend} done");
        }
    }
    remove_db(sh, &db)?;
    let report = render(sh, bench, &rows)?;
    write_report(sh, &bench.out, &report, "plaid")?;
    println!("{report}");
    println!("Wrote {}", bench.out.display());
    Ok(ExitCode::SUCCESS)
}

fn render(sh: &Shell, bench: &flags::Bench, rows: &[Row]) -> anyhow::Result<String> {
    let date = cmd!(sh, "date -u +%Y-%m-%d").read().unwrap_or_default();
    let commit = cmd!(sh, "git rev-parse --short HEAD")
        .read()
        .unwrap_or_default();
    let mut out = String::new();
    writeln!(
        out,
        "Measured {date} by `cargo xtask bench --plaid` at commit {commit} on: {}.",
        machine(sh)
    )?;
    writeln!(
        out,
        "Each row: `plaid load`, {} clients each syncing its own user from an empty cursor with \
         `count` 500 for {} s, against a release server with 8 connections on a database seeded \
         with `--profile {} --as-of {AS_OF}`; one advance of one day half-way. RSS is the \
         server's, after the first tenth of the run and at the end.",
        bench.clients, bench.seconds, bench.profile
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| users | database | requests | requests/s | p50 | p99 | errors | mutation errors | RSS after warm-up → end (peak) | advance |"
    )?;
    writeln!(out, "|---:|---|---:|---:|---:|---:|---:|---:|---|---|")?;
    for row in rows {
        // clients, seconds, count, requests, rate, p50, p99, errors, mutations, rss x3, advance
        let f = |i: usize| row.fields.get(i).map_or("?", String::as_str);
        writeln!(
            out,
            "| {} | {} | {} | {} | {} ms | {} ms | {} | {} | {} → {} MiB ({}) | {} |",
            row.size,
            row.backend,
            f(3),
            f(4),
            f(5),
            f(6),
            f(7),
            f(8),
            f(9),
            f(10),
            f(11),
            f(12)
        )?;
    }
    Ok(out)
}
