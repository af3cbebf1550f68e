//! Criterion benchmarks of the generator's hot path: one user, its JSON, and a parallel chunk.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use seed::generate::{GenConfig, generate_user};
use seed::json::{EncodedRows, encode_rows};
use seed::pipeline::generate_chunk;

fn config() -> GenConfig {
    GenConfig::new(
        42,
        NaiveDate::from_ymd_opt(2025, 6, 1).expect("a real date"),
    )
}

fn generator(c: &mut Criterion) {
    let config = config();
    let rows_per_user = generate_user(&config, 0).counts().total();
    let mut group = c.benchmark_group("user");
    group.throughput(Throughput::Elements(rows_per_user));
    group.bench_function("generate_user", |b| {
        b.iter(|| generate_user(&config, black_box(0)))
    });
    let rows = generate_user(&config, 0);
    group.bench_function("encode_rows", |b| {
        b.iter(|| {
            let mut out = EncodedRows::default();
            encode_rows(black_box(&rows), &mut out);
            out
        })
    });
    group.finish();

    let mut group = c.benchmark_group("chunk");
    group.sample_size(20);
    for users in [128u64, 1024] {
        group.throughput(Throughput::Elements(users));
        group.bench_with_input(
            BenchmarkId::new("generate_and_encode", users),
            &users,
            |b, &users| b.iter(|| generate_chunk(&config, 0..users, true)),
        );
    }
    group.finish();
}

criterion_group!(benches, generator);
criterion_main!(benches);
