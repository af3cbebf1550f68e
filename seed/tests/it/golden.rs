//! Golden digests: the exact bytes of the default dataset and of the committed fixtures.
//!
//! A failure here means generated output changed. If the change is deliberate, bump
//! `GENERATOR`'s version if users should notice, update the digest below, and run
//! `cargo xtask fixtures` to refresh the committed fixture file.

use sha2::{Digest, Sha256};

use crate::support::{AS_OF, as_of, write_json_bytes};

/// SHA-256 of `seed --num-users 50 --seed 42 --as-of 2025-06-01`'s users.json.
const DEFAULT_50_USERS_SHA256: &str =
    "ca522a731c5b040f55ca746a3ad4a5757d54b27a7c9399a5122c0edeea2c8eb2";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn the_default_dataset_matches_its_golden_digest() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::config(42);
    let meta = config.meta(50);
    assert_eq!(meta.as_of, as_of());
    let bytes = write_json_bytes(&meta, 42, 50, dir.path());
    let digest = hex(&bytes);
    assert_eq!(
        digest, DEFAULT_50_USERS_SHA256,
        "users.json for 50 users, seed 42, as of {AS_OF} changed; if deliberate, update the digest"
    );
}

#[test]
fn the_committed_fixtures_match_the_generator() {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(seed::fixtures::JSON_PATH);
    let committed = std::fs::read(&committed).expect("the fixture file is committed");
    let dir = tempfile::tempdir().unwrap();
    let config = seed::fixtures::config();
    let meta = seed::fixtures::meta();
    let fresh = write_json_bytes(&meta, config.seed, seed::fixtures::NUM_USERS, dir.path());
    assert!(
        committed == fresh,
        "{} is stale: run `cargo xtask fixtures`",
        seed::fixtures::JSON_PATH
    );
}
