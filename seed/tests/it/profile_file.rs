//! The profile file: the default parses, a bad file is one clear line naming key and line,
//! and `--config` really swaps the distributions.

use std::path::PathBuf;
use std::process::Command;

use seed::profile::{Profile, STORY_PROFILE};

/// A scratch path unique to this test process.
fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("seed-it-{}-{name}", std::process::id()))
}

fn line_of(source: &str, needle: &str) -> usize {
    source
        .lines()
        .position(|l| l.contains(needle))
        .expect("the needle is in the profile")
        + 1
}

/// Runs the seed binary; returns (success, stdout, stderr).
fn run_seed(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_seed"))
        .args(args)
        .output()
        .expect("run seed");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_wrong_type_names_the_key_and_the_line() {
    let source = STORY_PROFILE.replacen("window_days = 180", "window_days = \"half a year\"", 1);
    let err =
        Profile::parse(&source, "bad.toml", "bad.toml").expect_err("a string is not a day count");
    assert_eq!(err.line, line_of(&source, "window_days ="));
    assert_eq!(err.key, "window_days");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("bad.toml: line {}: window_days: ", err.line)),
        "{text}"
    );
    assert!(!text.contains('\n'));
}

#[test]
fn a_bad_value_in_a_table_array_names_the_key_and_the_line() {
    let source = STORY_PROFILE.replacen(
        "weight = 25\n\n[[categories.groups]]",
        "weight = 26\n\n[[categories.groups]]",
        1,
    );
    let err = Profile::parse(&source, "bad.toml", "bad.toml").expect_err("weights sum to 101");
    assert!(err.key.contains("weight"), "{err}");
    assert!(err.message.contains("101"), "{err}");

    let source = STORY_PROFILE.replacen("share = 30\npayroll", "share = 31\npayroll", 1);
    let err =
        Profile::parse(&source, "bad.toml", "bad.toml").expect_err("persona shares sum to 101");
    assert_eq!(err.line, line_of(&source, "share = 31"), "{err}");
    assert_eq!(err.key, "personas.share", "{err}");

    let source = STORY_PROFILE.replacen("hours = [6, 11]", "hours = [11, 6]", 1);
    let err = Profile::parse(&source, "bad.toml", "bad.toml").expect_err("hours run backwards");
    assert_eq!(err.line, line_of(&source, "hours = [11, 6]"), "{err}");
    assert!(err.key.ends_with("groups[coffee].hours"), "{err}");
}

#[test]
fn an_unknown_key_is_named_with_its_line() {
    let source = STORY_PROFILE.replacen(
        "drop_percent = 1.0",
        "drop_percent = 1.0\ndrop_pecrent = 1.0",
        1,
    );
    let err = Profile::parse(&source, "bad.toml", "bad.toml").expect_err("a misspelt key");
    assert_eq!(err.line, line_of(&source, "drop_pecrent"), "{err}");
    assert!(err.to_string().contains("drop_pecrent"), "{err}");
}

#[test]
fn the_binary_reports_a_bad_profile_on_one_line_and_writes_nothing() {
    let profile = scratch("bad.toml");
    let out = scratch("bad.json");
    let source = STORY_PROFILE.replacen("drop_percent = 1.0", "drop_percent = 150.0", 1);
    std::fs::write(&profile, &source).expect("write the profile");
    let (ok, _, stderr) = run_seed(&[
        "--num-users",
        "5",
        "--no-db",
        "--config",
        profile.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    let _ = std::fs::remove_file(&profile);
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    let line = line_of(&source, "drop_percent =");
    assert!(
        stderr.contains(&format!("line {line}: pending.drop_percent")),
        "{stderr}"
    );
    assert!(!out.exists());
}

/// A profile whose purchases pend 30 to 40 days instead of 1 to 15 business days: the
/// observed pending rate follows, to about 72% x 35 / 180 = 14% of the window's
/// transactions. 400 users hold about 30,000 transactions, over 2,000 of them pending; ±2
/// points allows for the purchases' share of each user's rows, and 5% lies far away.
#[test]
fn config_swaps_the_distributions() {
    let profile = scratch("pending.toml");
    let out = scratch("pending.json");
    let source = STORY_PROFILE
        .replacen("lag_days = [1, 15]", "lag_days = [30, 40]", 1)
        .replacen("business_days = true", "business_days = false", 1);
    std::fs::write(&profile, &source).expect("write the profile");
    let (ok, stdout, stderr) = run_seed(&[
        "--num-users",
        "400",
        "--seed",
        "8",
        "--as-of",
        "2026-11-25",
        "--no-db",
        "--config",
        profile.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("purchases pend 30 to 40 days"), "{stdout}");
    let (meta, collector) = seed::stats::collect_file(&out).expect("read the output");
    let stats = collector.finish(&Profile::story(), meta.as_of);
    let _ = std::fs::remove_file(&profile);
    let _ = std::fs::remove_file(&out);
    let rate = 100.0 * stats.pending as f64 / stats.counts.transactions as f64;
    assert!((rate - 14.0).abs() <= 2.0, "pending {rate:.2}%");
}

#[test]
fn stats_subcommand_reads_a_file() {
    let out = scratch("stats.json");
    let (ok, _, stderr) = run_seed(&[
        "--num-users",
        "50",
        "--as-of",
        "2026-11-25",
        "--no-db",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert!(ok, "{stderr}");
    let (ok, stdout, stderr) = run_seed(&["stats", out.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&out);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("Rows: 50 users, "), "{stdout}");
    for persona in seed::persona::Persona::ALL {
        assert!(stdout.contains(persona.name()), "{stdout}");
    }
    assert!(stdout.lines().count() <= 22, "{stdout}");
}

/// Weights whose sum does not fit the generator's `u32` draws: one line naming the list, from
/// the library and from the binary, never a panic (exit 101) or a wrapped sum.
#[test]
fn weights_that_overflow_are_refused_on_one_line() {
    let max = u32::MAX.to_string();
    let cases = [
        (
            STORY_PROFILE.replacen(
                "spending_weights = { checking = 2,",
                &format!("spending_weights = {{ checking = {max},"),
                1,
            ),
            "spending_weights",
        ),
        (
            STORY_PROFILE.replacen("weight = 30", &format!("weight = {max}"), 1),
            "accounts.weight",
        ),
        (
            STORY_PROFILE.replacen(
                "days = [2, 2, 2, 2, 3, 5, 4]",
                &format!("days = [{max}, 2, 2, 2, 3, 5, 4]"),
                1,
            ),
            "days",
        ),
    ];
    for (source, key) in cases {
        assert_ne!(
            source, STORY_PROFILE,
            "the case for {key} edits the profile"
        );
        let err = Profile::parse(&source, "big.toml", "big.toml")
            .expect_err("a sum beyond u32 is refused");
        assert!(err.key.ends_with(key), "{key}: {err}");
        assert!(err.message.contains("more than 4294967295"), "{key}: {err}");
        assert!(!err.to_string().contains('\n'));

        let path = scratch(&format!("overflow-{}.toml", key.replace('.', "-")));
        std::fs::write(&path, &source).expect("write profile");
        let out = scratch(&format!("overflow-{}.json", key.replace('.', "-")));
        let (ok, _, stderr) = run_seed(&[
            "--config",
            path.to_str().unwrap(),
            "--num-users",
            "5",
            "--no-db",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(!ok, "{key}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{key}: {stderr}");
        assert!(stderr.contains("more than 4294967295"), "{key}: {stderr}");
        assert!(!out.exists(), "{key}: a refused profile writes nothing");
        std::fs::remove_file(&path).ok();
    }

    // Category weights must sum to 100: FOOD_AND_DRINK at u32::MAX and GENERAL_MERCHANDISE 26
    // higher make 2^32 + 100, which a u32 sum would wrap to exactly 100.
    let wrapped = STORY_PROFILE
        .replacen(
            "weight = 25\n\n[[categories.groups]]",
            &format!("weight = {max}\n\n[[categories.groups]]"),
            1,
        )
        .replacen(
            "weight = 20\n\n[[categories.groups]]",
            "weight = 46\n\n[[categories.groups]]",
            1,
        );
    assert_ne!(wrapped, STORY_PROFILE);
    let err = Profile::parse(&wrapped, "wrap.toml", "wrap.toml").expect_err("no wrap to 100");
    assert!(err.message.contains("must sum to 100"), "{err}");
    assert!(err.message.contains("4294967"), "{err}");

    // The same for persona shares.
    let wrapped = STORY_PROFILE
        .replacen(
            "[personas.high_utilization]\nshare = 20",
            &format!("[personas.high_utilization]\nshare = {max}"),
            1,
        )
        .replacen(
            "[personas.variable_income]\nshare = 15",
            "[personas.variable_income]\nshare = 36",
            1,
        );
    assert_ne!(wrapped, STORY_PROFILE);
    let err = Profile::parse(&wrapped, "wrap.toml", "wrap.toml").expect_err("no wrap to 100");
    assert!(err.message.contains("must sum to 100"), "{err}");
}
