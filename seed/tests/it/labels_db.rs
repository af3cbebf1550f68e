//! Persona labels in the database: loaded with the users, one per user, replaced on reseed,
//! and read back from `users.json` by `--from`.

use std::path::PathBuf;

use backend::schema::{persona_labels, users};
use backend::{AnyConnection, DatabaseUrl, PersonaLabel};
use chrono::NaiveDate;
use diesel::prelude::*;
use seed::generate::GenConfig;
use seed::json::JsonOut;
use seed::pipeline::{self, Database, Outputs};
use seed::progress::Progress;

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("seed-it-labels-{}-{name}", std::process::id()))
}

fn labels(url: &DatabaseUrl) -> (i64, Vec<PersonaLabel>) {
    let AnyConnection::Sqlite(mut conn) = url.open().expect("open the database") else {
        panic!("a SQLite database");
    };
    let users: i64 = users::table
        .count()
        .get_result(&mut conn)
        .expect("count users");
    let labels = persona_labels::table
        .select(PersonaLabel::as_select())
        .order(persona_labels::user_id)
        .load(&mut conn)
        .expect("read labels");
    (users, labels)
}

#[test]
fn labels_load_with_users_and_are_replaced_on_reseed() {
    let db = scratch("seed.db");
    let json = scratch("users.json");
    let url = DatabaseUrl::parse(db.to_str().expect("utf-8")).expect("a path");
    let config = GenConfig::new(4, NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date"));
    let outputs = Outputs {
        json: Some(JsonOut::File(json.clone())),
        database: Some(Database::replace(url.clone())),
    };
    let meta = config.meta(30);
    let progress = Progress::default();
    let report = pipeline::generate(&config, &meta, 0..30, &outputs, &progress).expect("seed");
    assert_eq!(report.counts.persona_labels, 30);
    let (users, first) = labels(&url);
    assert_eq!((users, first.len()), (30, 30));

    // Seeding again replaces every table, labels included: one copy, the same rows.
    pipeline::generate(&config, &meta, 0..30, &outputs, &progress).expect("seed again");
    assert_eq!(labels(&url).1, first);

    // Loading the JSON file back puts the same labels in.
    pipeline::load_file(&json, &Database::replace(url.clone()), &progress).expect("load the file");
    assert_eq!(labels(&url).1, first);

    let data: seed::dataset::Dataset =
        serde_json::from_reader(std::fs::File::open(&json).expect("open json"))
            .expect("parse json");
    let mut from_json = data.persona_labels;
    from_json.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    assert_eq!(from_json, first);
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(&json);
}
