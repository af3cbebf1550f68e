//! Every number in a built-in profile shapes the data: each numeric value of `story.toml` and
//! `calibrated.toml` in turn is moved within its valid range, and the users drawn from the
//! changed profile differ from those of the shipped one. A value that changes nothing is a key
//! the generator does not read, or reads where it cannot matter; the test names each one, and
//! fails unless it is one of the few that cannot matter by construction, listed with why.
//!
//! The values are found in the profile's text (a TOML number sits outside strings and
//! comments, after a key's `=` or inside an array or inline table), so the test needs no
//! TOML writer and covers every leaf, however deeply nested. Each value is moved by the
//! smallest steps first (a quarter of itself, then one, up or down), then by larger ones
//! (doubled, halved, four times), a distribution's `min` or `max` also to its median (as far as
//! a bound can move), and where no value alone can move (shares that sum to 100, an hour range
//! at the day's end) together with the next value of its key. The first valid move that
//! changes a user ends the search. Users are compared one by one and each comparison stops at
//! the first that differs, so a value that matters costs a user or two; one that matters
//! rarely is looked for among up to `USERS` users.

use chrono::NaiveDate;
use rayon::prelude::*;
use seed::generate::GenConfig;
use seed::generate::timeline::Timeline;
use seed::profile::{CALIBRATED_PROFILE, Profile, STORY_PROFILE};

/// The most users a value's effect is looked for among.
const USERS: u64 = 300;

/// A numeric value of a profile's text: where it is, what it is, and the key it belongs to.
#[derive(Debug, Clone)]
struct Leaf {
    start: usize,
    end: usize,
    /// The line it is on.
    line: usize,
    text: String,
    key: String,
}

#[test]
fn every_numeric_key_of_the_story_profile_shapes_the_data() {
    let mut expected = vec![
        // Weights are relative: the only merchant group of entertainment and of utilities
        // takes all of its category whatever its share.
        "categories.groups.share = 100",
        "categories.groups.share = 100",
        // The same for income's only group; and paydays follow the payroll's schedule, not
        // the group's weekday weights (the story validates them like any group's, but its
        // generator never reads them).
        "categories.groups.share = 100",
    ];
    expected.extend(["categories.groups.days = 1"; 5]);
    expected.extend(["categories.groups.days = 0"; 2]);
    // A variable earner's account holds too few transactions for the story to fit any
    // recurring merchant in: they get none, whatever their range says.
    expected.extend([
        "personas.variable_income.subscriptions = 0",
        "personas.variable_income.subscriptions = 2",
    ]);
    assert_eq!(inert_keys(STORY_PROFILE), expected);
}

#[test]
fn every_numeric_key_of_the_calibrated_profile_shapes_the_data() {
    let expected = [
        // Weights are relative: a persona's only revolving band is every revolver's band
        // whatever its weight.
        "personas.steady.weight = 1",
        "personas.variable_income.weight = 1",
        "personas.subscription_heavy.weight = 1",
        // Savings builders never revolve (their card_use gives revolving no weight), so their
        // band's lower edge, the least a revolver keeps owing, is never needed; its upper
        // edge sets their transactors' ceiling.
        "personas.savings_builder.percent = 5",
        "personas.savings_builder.weight = 1",
    ];
    assert_eq!(inert_keys(CALIBRATED_PROFILE), expected);
}

/// The values of `source` no valid move of which changes a user among the first [`USERS`],
/// in the file's order. A user is compared by their timeline (every transaction's life, the
/// accounts, the recurring series): what every as-of date shows follows from it.
fn inert_keys(source: &str) -> Vec<String> {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date");
    let config = |text: &str| {
        let profile = Profile::parse(text, "p.toml", "p.toml").expect("a valid profile");
        GenConfig::with_profile(7, as_of, profile)
    };
    let shipped = config(source);
    let day = shipped.day_of(as_of);
    let base: Vec<Timeline<'_>> = (0..USERS)
        .into_par_iter()
        .map(|i| shipped.timeline(i, &[day]))
        .collect();
    let leaves = leaves(source);
    assert!(leaves.len() > 100, "{} numeric values", leaves.len());
    leaves
        .par_iter()
        .filter_map(|leaf| {
            let changes = moves(source, leaf, &leaves).into_iter().any(|text| {
                let changed = config(&text);
                (0..USERS).any(|i| differ(&changed.timeline(i, &[day]), &base[i as usize]))
            });
            (!changes).then(|| format!("{} = {}", leaf.key, leaf.text))
        })
        .collect()
}

/// Whether two timelines of a user differ in anything a run shows.
fn differ(a: &Timeline<'_>, b: &Timeline<'_>) -> bool {
    a.user != b.user || a.accounts_at != b.accounts_at || a.lives != b.lives || a.series != b.series
}

/// The texts `source` becomes with `leaf` moved, smallest moves first.
fn moves(source: &str, leaf: &Leaf, leaves: &[Leaf]) -> Vec<String> {
    let valid = |text: &str| Profile::parse(text, "p.toml", "p.toml").is_ok();
    let name = |l: &Leaf| l.key.rsplit('.').next().unwrap_or("").to_owned();
    let mut values = nearby(&leaf.text);
    // A distribution's bound can move as far as its median.
    let bound = ["min", "max", "min_cents", "max_cents"].contains(&name(leaf).as_str());
    if let Some(median) = leaves
        .iter()
        .find(|l| bound && l.line == leaf.line && name(l).starts_with("median"))
    {
        values.push(median.text.clone());
    }
    let same = |value: &String| value.replace('_', "") == leaf.text.replace('_', "");
    let texts: Vec<String> = values
        .into_iter()
        .filter(|value| !same(value))
        .map(|value| replace(source, &[(leaf, value)]))
        .filter(|text| valid(text))
        .collect();
    if !texts.is_empty() {
        return texts;
    }
    // No value alone can move: move it with the nearest other value of its key, one to
    // the other (shares that sum to 100) or both the same way (an hour range at the day's
    // end).
    let integer = |l: &Leaf| l.text.replace('_', "").parse::<i64>().ok();
    let Some(v) = integer(leaf) else {
        return Vec::new();
    };
    let mut others: Vec<&Leaf> = leaves
        .iter()
        .filter(|o| o.start != leaf.start && name(o) == name(leaf))
        .collect();
    others.sort_by_key(|o| o.start.abs_diff(leaf.start));
    for other in others {
        let Some(w) = integer(other) else { continue };
        for (dv, dw) in [(1, -1), (-1, 1), (1, 1), (-1, -1)] {
            let pair = [(leaf, (v + dv).to_string()), (other, (w + dw).to_string())];
            let text = replace(source, &pair);
            if valid(&text) {
                return vec![text];
            }
        }
    }
    Vec::new()
}

/// Values near `text`, nearest first: a quarter of it (at least one) up and down, one up and
/// down, then doubled, halved, ten times and a tenth.
fn nearby(text: &str) -> Vec<String> {
    let plain = text.replace('_', "");
    if let Ok(v) = plain.parse::<i64>() {
        let step = (v.abs() / 4).max(1);
        return [
            v + step,
            v - step,
            v + 1,
            v - 1,
            v * 2 + 1,
            v / 2,
            v * 10 + 10,
            v / 10,
        ]
        .iter()
        .map(i64::to_string)
        .collect();
    }
    let v: f64 = plain.parse().expect("a number");
    let step = if v == 0.0 { 0.25 } else { v.abs() / 4.0 };
    [
        v + step,
        v - step,
        v + 0.05,
        v - 0.05,
        v * 2.0 + 0.5,
        v / 2.0,
        v * 10.0 + 1.0,
        v / 10.0,
    ]
    .iter()
    .map(|x| format!("{x:?}"))
    .collect()
}

/// `source` with each leaf's text replaced by its new value.
fn replace(source: &str, changes: &[(&Leaf, String)]) -> String {
    let mut changes: Vec<&(&Leaf, String)> = changes.iter().collect();
    changes.sort_by_key(|(leaf, _)| std::cmp::Reverse(leaf.start));
    let mut text = source.to_owned();
    for (leaf, value) in changes {
        text.replace_range(leaf.start..leaf.end, value);
    }
    text
}

/// Every numeric value of a profile's text, with its dotted key: the table it is in and the
/// key before its `=` (an array's values share their key).
fn leaves(source: &str) -> Vec<Leaf> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut table = String::new();
    for (number, line) in source.split_inclusive('\n').enumerate() {
        let code = code_of(line);
        let trimmed = code.trim();
        if trimmed.starts_with('[') && !trimmed.contains('=') {
            table = trimmed.trim_matches(|c| c == '[' || c == ']').to_owned();
        } else {
            numbers_in(&code, |start, end, key| {
                let key = if table.is_empty() {
                    key.to_owned()
                } else {
                    format!("{table}.{key}")
                };
                out.push(Leaf {
                    start: offset + start,
                    end: offset + end,
                    line: number,
                    text: code[start..end].to_owned(),
                    key,
                });
            });
        }
        offset += line.len();
    }
    out
}

/// A line without its comment, with strings blanked out (same length, so offsets hold).
fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_string = false;
    for c in line.chars() {
        match (c, in_string) {
            ('"', _) => {
                in_string = !in_string;
                out.push(' ');
            }
            ('#', false) => break,
            (_, true) => out.extend(std::iter::repeat_n(' ', c.len_utf8())),
            (c, false) => out.push(c),
        }
    }
    out
}

/// Calls `found` with the span of each number in `code` and the key written before the
/// nearest `=` before it.
fn numbers_in(code: &str, mut found: impl FnMut(usize, usize, &str)) {
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            || (bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit));
        let after_word = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_');
        if !starts || after_word {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        while end < bytes.len()
            && (bytes[end].is_ascii_alphanumeric() || b"_.-+".contains(&bytes[end]))
        {
            end += 1;
        }
        let before = &code[..i];
        let key = before
            .rfind('=')
            .map(|eq| before[..eq].trim_end())
            .map(|k| {
                k.rsplit(|c: char| c == '{' || c == ',' || c.is_whitespace())
                    .next()
                    .unwrap_or(k)
            })
            .unwrap_or("");
        found(i, end, key);
        i = end;
    }
}
