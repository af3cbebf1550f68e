//! Golden digests: the exact bytes of the pinned runs and of the committed fixtures.
//!
//! `seed/tests/golden.sha256` holds the SHA-256 of the `users.json` of each run of
//! `seed::fixtures::GOLDEN_RUNS`, one line per run named by its `seed` command line; `cargo
//! xtask fixtures` writes it, with the committed fixture file. Here each run is generated
//! again (by this crate's own writer loop, not the pipeline that wrote the file) and compared.
//! A failure means generated output changed. If the change is deliberate, run `cargo xtask
//! fixtures` and commit what it rewrites, with the version in Cargo.toml (`GENERATOR`'s)
//! bumped if users should notice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use clap::Parser;
use seed::cli::flags::Cli;
use seed::cli::plan::{SeedPlan, Source};
use seed::fixtures::{GOLDEN_PATH, GOLDEN_RUNS, golden_text, parse_golden, sha256_hex};

use crate::support::write_config_json_bytes;

/// A file of the workspace, by its path from the root.
fn workspace_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path)
}

/// The committed golden file's lines by command line; a command line named twice fails.
fn committed_digests(text: &str) -> BTreeMap<String, String> {
    let lines = parse_golden(text).unwrap_or_else(|e| panic!("{GOLDEN_PATH}: {e}"));
    let mut digests = BTreeMap::new();
    for (command, digest) in lines {
        let named_before = digests.insert(command.clone(), digest).is_some();
        assert!(!named_before, "{GOLDEN_PATH} names `{command}` twice");
    }
    digests
}

#[test]
fn every_golden_run_writes_its_committed_digest() {
    let text = std::fs::read_to_string(workspace_file(GOLDEN_PATH))
        .unwrap_or_else(|e| panic!("{GOLDEN_PATH} is committed: {e}"));
    let committed = committed_digests(&text);
    let listed: Vec<String> = GOLDEN_RUNS.iter().map(|r| r.command_line()).collect();
    for (i, command) in listed.iter().enumerate() {
        assert!(
            !listed[..i].contains(command),
            "GOLDEN_RUNS lists `{command}` twice"
        );
    }
    for command in committed.keys() {
        assert!(
            listed.contains(command),
            "{GOLDEN_PATH} has a line for `{command}`, which is no run of GOLDEN_RUNS: run \
             `cargo xtask fixtures`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let mut digests = Vec::new();
    let mut changed = Vec::new();
    for run in GOLDEN_RUNS {
        let command = run.command_line();
        let config = run.config().unwrap();
        let bytes = write_config_json_bytes(
            &config,
            &config.meta(run.num_users),
            run.num_users,
            dir.path(),
        );
        let digest = sha256_hex(&bytes);
        match committed.get(&command) {
            None => changed.push(format!(
                "{GOLDEN_PATH} has no line for `{command}` (its digest is {digest})"
            )),
            Some(pinned) if *pinned != digest => changed.push(format!(
                "users.json of `{command}` changed: its SHA-256 is {digest}, {GOLDEN_PATH} pins \
                 {pinned}"
            )),
            Some(_) => {}
        }
        digests.push(digest);
    }
    assert!(
        changed.is_empty(),
        "generated output differs from {GOLDEN_PATH}:\n  {}\nif the change is deliberate, run \
         `cargo xtask fixtures` and commit what it rewrites (and bump the version in Cargo.toml \
         if users should notice)",
        changed.join("\n  ")
    );
    assert!(
        text == golden_text(&digests),
        "{GOLDEN_PATH} is not what `cargo xtask fixtures` writes (its header or its order \
         differs): run `cargo xtask fixtures`"
    );
}

/// The command line a golden line is named by is a real one: `seed` parses it and resolves it
/// to the run's settings, so the file says which run each digest is of.
#[test]
fn each_golden_command_line_resolves_to_its_run() {
    let today = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("users.json");
    for run in GOLDEN_RUNS {
        let command = run.command_line();
        let outputs = ["--no-db", "--out", out.to_str().unwrap()];
        let args = command.split_whitespace().chain(outputs);
        let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("`{command}`: {e}"));
        assert!(cli.command.is_none(), "`{command}` is a plain seed run");
        let plan = SeedPlan::resolve(cli.seed, today).unwrap();
        let Source::Generate {
            config,
            meta,
            users,
            shard,
            ..
        } = plan.source
        else {
            panic!("`{command}` generates");
        };
        let expected = run.config().unwrap();
        assert_eq!(meta, expected.meta(run.num_users), "`{command}`");
        assert_eq!(config.meta(run.num_users), meta, "`{command}`");
        assert_eq!(users, 0..run.num_users, "`{command}`");
        assert_eq!(shard, None, "`{command}`");
    }
}

#[test]
fn the_committed_fixtures_match_the_generator() {
    let committed = workspace_file(seed::fixtures::JSON_PATH);
    let committed = std::fs::read(&committed).expect("the fixture file is committed");
    let dir = tempfile::tempdir().unwrap();
    let config = seed::fixtures::config();
    let meta = seed::fixtures::meta();
    let fresh = write_config_json_bytes(&config, &meta, seed::fixtures::NUM_USERS, dir.path());
    assert!(
        committed == fresh,
        "{} is stale: run `cargo xtask fixtures`",
        seed::fixtures::JSON_PATH
    );
}
