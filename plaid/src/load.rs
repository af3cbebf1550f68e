//! `plaid load`: the load generator. It starts a server on a database as a child process
//! (so that the server's memory is measured alone), then runs many clients at once, each
//! syncing a different user from an empty cursor again and again, for a fixed time; at a
//! chosen moment it advances the clock once. Every page is checked: a pagination from an
//! empty cursor holds only `added`, each transaction once, or ends in the mutation error
//! (then it restarts, as a client must). It prints a summary and one `result` line for
//! `cargo xtask bench --plaid`, and fails if any request failed.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use crate::client::{Connection, Target};
use crate::items::{DataIdentity, Items};
use crate::request::{DEFAULT_CLIENT_ID, DEFAULT_SECRET};
use crate::server::served_database;

/// Flags of `plaid load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Concurrent clients, each syncing its own user.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// `count` of each sync request, 1 to 500.
    #[arg(long, default_value_t = 500)]
    count: u32,
    /// Advance the clock one day this many seconds into the run (default: half-way).
    #[arg(long, value_name = "SECONDS")]
    advance_at: Option<u64>,
    /// The server's database connections.
    #[arg(long, default_value_t = 8)]
    pool: usize,
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    errors: AtomicU64,
    mutations: AtomicU64,
    inconsistent: AtomicU64,
}

/// Runs the load on the database `database_url` names.
pub fn run(args: LoadArgs, database_url: Option<&str>) -> anyhow::Result<()> {
    if !(1..=500).contains(&args.count) || args.clients == 0 || args.seconds == 0 {
        anyhow::bail!("--count must be 1 to 500, --clients and --seconds at least 1");
    }
    let url = served_database(database_url)?;
    let tokens = tokens_of(&url, args.clients)?;
    let mut server = Server::start(&url.to_string(), database_url, args.pool)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the runtime")?;
    let outcome = runtime.block_on(drive(&args, &server.url, tokens, server.child.id()));
    let panics = server.stop();
    let (tally, mut latencies, rss, advance) = outcome?;
    latencies.sort_unstable();
    let pick = |p: usize| {
        latencies
            .get(latencies.len() * p / 100)
            .copied()
            .unwrap_or(0)
    };
    let requests = tally.requests.load(Ordering::Relaxed);
    let errors = tally.errors.load(Ordering::Relaxed) + tally.inconsistent.load(Ordering::Relaxed);
    let rate = requests as f64 / args.seconds as f64;
    let (p50, p99) = (pick(50) as f64 / 1000.0, pick(99) as f64 / 1000.0);
    // Memory after the first tenth of the run (warmed up) against the end.
    let first = rss.get(rss.len() / 10).copied().unwrap_or(0.0);
    let last = rss.last().copied().unwrap_or(0.0);
    let peak = rss.iter().copied().fold(0.0, f64::max);
    // Memory just before the advance, which runs inside the server and takes its own: what
    // the requests alone hold against what they hold after the first tenth.
    let advance_at = args.advance_at.unwrap_or(args.seconds / 2) as usize;
    let before_advance = rss
        .get(advance_at.saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    println!(
        "load: {} clients × {} s on {url}: {requests} requests, {rate:.0}/s, p50 {p50:.1} ms, p99 {p99:.1} ms",
        args.clients, args.seconds
    );
    println!(
        "load: {errors} errors, {} mutation errors (restarted), server RSS {first:.0} → {last:.0} MiB (peak {peak:.0}), advance: {advance}",
        tally.mutations.load(Ordering::Relaxed)
    );
    println!(
        "result\t{}\t{}\t{}\t{requests}\t{rate:.0}\t{p50:.1}\t{p99:.1}\t{errors}\t{}\t{first:.0}\t{last:.0}\t{peak:.0}\t{advance}",
        args.clients,
        args.seconds,
        args.count,
        tally.mutations.load(Ordering::Relaxed)
    );
    println!("load: server RSS just before the advance {before_advance:.0} MiB");
    if errors > 0 || panics > 0 {
        anyhow::bail!("{errors} requests failed and the server logged {panics} panics");
    }
    Ok(())
}

/// The access tokens of `clients` different users, spread over the database.
fn tokens_of(url: &backend::DatabaseUrl, clients: usize) -> anyhow::Result<Vec<String>> {
    let mut conn = crate::pool::open_read_only(url)?;
    let identity = DataIdentity::read(&mut conn)?.context("the database holds no seed run")?;
    let items = Items::read(&mut conn, &identity)?;
    let all = items.all();
    if all.len() < clients {
        anyhow::bail!(
            "{clients} clients need as many users; the database holds {}",
            all.len()
        );
    }
    let step = all.len() / clients;
    Ok((0..clients)
        .map(|i| all[i * step].access_token.clone())
        .collect())
}

/// The server under load: a child process of this binary.
struct Server {
    child: Child,
    url: String,
    panics: Arc<AtomicU64>,
}

impl Server {
    fn start(shown: &str, database_url: Option<&str>, pool: usize) -> anyhow::Result<Server> {
        let exe = std::env::current_exe().context("find the plaid binary")?;
        let mut command = Command::new(exe);
        if let Some(url) = database_url {
            command.args(["--database-url", url]);
        }
        let pool = pool.to_string();
        command
            .args(["--listen", "127.0.0.1:0", "--pool", &pool])
            .args(["--client-id", DEFAULT_CLIENT_ID, "--secret", DEFAULT_SECRET])
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = command.spawn().context("start the server")?;
        let mut lines = BufReader::new(child.stderr.take().expect("piped")).lines();
        let first = lines.next().transpose()?.unwrap_or_default();
        // "plaid: serving N items of DATABASE on http://ADDR": the address is the last word.
        let Some(url) = first
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://"))
        else {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("the server on {shown} did not start: {first}");
        };
        let url = url.to_owned();
        let panics = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&panics);
        // The server's log goes on to our standard error; panics are counted.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("panicked") {
                    counted.fetch_add(1, Ordering::Relaxed);
                }
                eprintln!("{line}");
            }
        });
        Ok(Server { child, url, panics })
    }

    /// Stops the server; returns how many panics it logged.
    fn stop(&mut self) -> u64 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.panics.load(Ordering::Relaxed)
    }
}

type Outcome = (Arc<Tally>, Vec<u32>, Vec<f64>, String);

async fn drive(
    args: &LoadArgs,
    url: &str,
    tokens: Vec<String>,
    pid: u32,
) -> anyhow::Result<Outcome> {
    let target = Target::parse(url).map_err(anyhow::Error::msg)?;
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut clients = tokio::task::JoinSet::new();
    for token in tokens {
        let (target, tally, count) = (target.clone(), Arc::clone(&tally), args.count);
        clients.spawn(async move { client(target, token, count, deadline, tally).await });
    }
    let advance_at = Duration::from_secs(args.advance_at.unwrap_or(args.seconds / 2));
    let clock = tokio::spawn(advance(target.clone(), advance_at));
    let mut rss = Vec::new();
    while Instant::now() < deadline {
        rss.extend(resident_mib(pid));
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    rss.extend(resident_mib(pid));
    let mut latencies = Vec::new();
    while let Some(done) = clients.join_next().await {
        latencies.extend(done.context("a client task")??);
    }
    let advance = clock.await.context("the clock task")?;
    Ok((tally, latencies, rss, advance))
}

/// One client: paginations from an empty cursor until the deadline. Returns its latencies in
/// microseconds.
async fn client(
    target: Target,
    token: String,
    count: u32,
    deadline: Instant,
    tally: Arc<Tally>,
) -> anyhow::Result<Vec<u32>> {
    let mut conn = Connection::open(&target)
        .await
        .map_err(anyhow::Error::msg)?;
    let headers = [
        ("PLAID-CLIENT-ID", DEFAULT_CLIENT_ID),
        ("PLAID-SECRET", DEFAULT_SECRET),
    ];
    let mut latencies = Vec::new();
    let mut cursor = String::new();
    let mut seen = HashSet::new();
    while Instant::now() < deadline {
        let body = json!({"access_token": token, "cursor": cursor, "count": count});
        let started = Instant::now();
        let answer = conn
            .post_json("/transactions/sync", &headers, serde_json::to_vec(&body)?)
            .await;
        latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        tally.requests.fetch_add(1, Ordering::Relaxed);
        let (status, bytes) = match answer {
            Ok(answer) => answer,
            Err(e) => {
                report(&tally.errors, &format!("request failed: {e}"));
                conn = Connection::open(&target)
                    .await
                    .map_err(anyhow::Error::msg)?;
                continue;
            }
        };
        let page: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.as_u16() == 400
            && page["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
        {
            tally.mutations.fetch_add(1, Ordering::Relaxed);
            (cursor, seen) = (String::new(), HashSet::new());
            continue;
        }
        if status.as_u16() != 200 {
            report(&tally.errors, &format!("{status}: {page}"));
            continue;
        }
        if !consistent(&page, &mut seen) {
            report(
                &tally.inconsistent,
                &format!("an inconsistent page: {page}"),
            );
        }
        match page["has_more"].as_bool() {
            Some(true) => cursor = page["next_cursor"].as_str().unwrap_or_default().to_owned(),
            _ => (cursor, seen) = (String::new(), HashSet::new()),
        }
    }
    Ok(latencies)
}

/// Whether a page of a pagination from an empty cursor is consistent with the pages before
/// it (`seen`): only `added`, none of them seen before.
fn consistent(page: &Value, seen: &mut HashSet<String>) -> bool {
    let empty = |key: &str| page[key].as_array().is_some_and(|a| a.is_empty());
    let Some(added) = page["added"].as_array() else {
        return false;
    };
    empty("modified")
        && empty("removed")
        && added.iter().all(|t| {
            t["transaction_id"]
                .as_str()
                .is_some_and(|id| seen.insert(id.to_owned()))
        })
}

fn report(counter: &AtomicU64, what: &str) {
    // The first few are shown; the rest only counted.
    if counter.fetch_add(1, Ordering::Relaxed) < 5 {
        eprintln!("load: {what}");
    }
}

/// Advances the clock one day after `after`; says what happened.
async fn advance(target: Target, after: Duration) -> String {
    tokio::time::sleep(after).await;
    let headers = [
        ("PLAID-CLIENT-ID", DEFAULT_CLIENT_ID),
        ("PLAID-SECRET", DEFAULT_SECRET),
    ];
    let answer = match Connection::open(&target).await {
        Ok(mut conn) => {
            conn.post_json("/seed/advance", &headers, br#"{"days":1}"#.to_vec())
                .await
        }
        Err(e) => Err(e),
    };
    match answer {
        Ok((status, _)) if status.is_success() => format!("committed at {} s", after.as_secs()),
        Ok((status, body)) => {
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            format!(
                "not run ({status} {})",
                body["error_code"].as_str().unwrap_or("?")
            )
        }
        Err(e) => format!("failed ({e})"),
    }
}

/// The resident memory of process `pid` in MiB, from `/proc` (Linux only).
fn resident_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_from_an_empty_cursor_hold_each_transaction_once() {
        let mut seen = HashSet::new();
        let page = |ids: &[&str], removed: usize| {
            json!({"added": ids.iter().map(|i| json!({"transaction_id": i})).collect::<Vec<_>>(),
                   "modified": [], "removed": vec![json!({}); removed]})
        };
        assert!(consistent(&page(&["a", "b"], 0), &mut seen));
        assert!(consistent(&page(&["c"], 0), &mut seen));
        assert!(!consistent(&page(&["a"], 0), &mut seen));
        assert!(!consistent(&page(&["d"], 1), &mut HashSet::new()));
        assert!(!consistent(
            &json!({"error_code": "X"}),
            &mut HashSet::new()
        ));
    }
}
