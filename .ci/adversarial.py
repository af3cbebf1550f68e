#!/usr/bin/env python3
"""The slow adversarial checks of the seeder, run by .ci/run after the tests.

1. --from fuzzing: hundreds of mutated users.json files (bytes flipped, cut, duplicated,
   values of the wrong type or out of range, records removed or repeated, ids swapped,
   emails and personas changed) loaded into SQLite, and into PostgreSQL when
   SEED_TEST_POSTGRES_URL is set. Every run must exit 0 or 1 with no panic, say one line
   when it fails, and leave the database exactly as it was when it fails.
2. Interrupts at random moments: one Ctrl-C, two Ctrl-Cs, or SIGKILL sent at a random time
   during a run that replaces a database and a JSON file. After it, the JSON file and the
   database hold either the old data or the new, the same on both sides (except where a
   SIGKILL lands between the rename and the commit, which is counted and reported), and a
   run that exits 130 changed nothing.

Usage: .ci/adversarial.py [--seed N] [--mutations N] [--interrupts N]
Exits non-zero, saying why, on the first broken promise.
"""

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "target", "debug", "seed")
AS_OF = "2025-06-01"


def fail(message):
    print(f"adversarial: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def run(args, env=None, **kwargs):
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEED_TEST_PAUSE")}
    full_env.update(env or {})
    return subprocess.run([SEED, *args], capture_output=True, text=True, env=full_env, **kwargs)


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def check_failure(result, what):
    """A failed run: exit 1 or 2, one line, no panic."""
    if "panicked" in result.stderr or result.returncode not in (0, 1, 2):
        fail(f"{what}: exit {result.returncode}, stderr {result.stderr!r}")
    if result.returncode != 0 and len(result.stderr.strip().splitlines()) != 1:
        fail(f"{what}: not one line: {result.stderr!r}")


# --- 1. --from fuzzing -------------------------------------------------------------------


def mutations(text, data, rng):
    """Yields (name, mutated text) pairs."""
    raw = text.encode()
    # Bytes: flip, cut, delete a range, duplicate a range.
    for _ in range(60):
        i = rng.randrange(len(raw))
        b = bytearray(raw)
        b[i] = rng.randrange(256)
        yield f"flip byte {i}", bytes(b).decode("utf-8", "replace")
    for _ in range(30):
        i = rng.randrange(1, len(raw))
        yield f"cut at {i}", raw[:i].decode("utf-8", "replace")
    for _ in range(30):
        i = rng.randrange(len(raw))
        j = min(len(raw), i + rng.randrange(1, 200))
        yield f"delete {i}..{j}", (raw[:i] + raw[j:]).decode("utf-8", "replace")
    for _ in range(20):
        i = rng.randrange(len(raw))
        j = min(len(raw), i + rng.randrange(1, 200))
        yield f"duplicate {i}..{j}", (raw[:j] + raw[i:j] + raw[j:]).decode("utf-8", "replace")

    # Structure: wrong types and values, removed and repeated records and fields.
    sections = [s for s in ("users", "accounts", "transactions", "persona_labels", "recurring_streams") if data.get(s)]
    odd_values = [None, -1, 0, 2**63, -(2**63) - 1, 1e309, "", "x" * 10000, [], {}, True, "\u0000", "😀", "2025-13-45"]
    for _ in range(80):
        d = json.loads(text)
        section = rng.choice(sections)
        record = rng.choice(d[section])
        key = rng.choice(list(record))
        value = rng.choice(odd_values)
        record[key] = value
        yield f"{section}.{key} = {str(value)[:20]!r}", json.dumps(d, indent=2)
    for _ in range(20):
        d = json.loads(text)
        section = rng.choice(sections)
        record = rng.choice(d[section])
        del record[rng.choice(list(record))]
        yield f"{section}: field removed", json.dumps(d, indent=2)
    for _ in range(20):
        d = json.loads(text)
        section = rng.choice(sections)
        i = rng.randrange(len(d[section]))
        if rng.random() < 0.5:
            d[section].insert(i, d[section][i])
            yield f"{section}[{i}] repeated", json.dumps(d, indent=2)
        else:
            del d[section][i]
            yield f"{section}[{i}] removed", json.dumps(d, indent=2)
    for _ in range(20):
        d = json.loads(text)
        a, b = rng.sample(d["users"], 2)
        a["id"], b["id"] = b["id"], a["id"]
        yield "two users' ids swapped", json.dumps(d, indent=2)
    for _ in range(10):
        d = json.loads(text)
        rng.choice(d["users"])["email"] = "someone@gmail.com"
        yield "a real email domain", json.dumps(d, indent=2)
    for _ in range(10):
        d = json.loads(text)
        if d.get("persona_labels"):
            rng.choice(d["persona_labels"])["persona"] = "big_spender"
        yield "an unknown persona", json.dumps(d, indent=2)
    for _ in range(10):
        d = json.loads(text)
        d["meta"]["num_users"] = rng.choice([0, 10**12, -1])
        yield "meta.num_users", json.dumps(d, indent=2)


def fuzz_sqlite(work, rng, count):
    db = os.path.join(work, "fuzz.db")
    base_json = os.path.join(work, "base.json")
    result = run(["--as-of", AS_OF, "--num-users", "40", "--seed", "5", "--out", base_json, "--database-url", db, "--quiet"])
    if result.returncode != 0:
        fail(f"base run: {result.stderr}")
    pristine = os.path.join(work, "pristine.db")
    shutil.copy(db, pristine)
    text = open(base_json).read()
    data = json.loads(text)
    cases = list(mutations(text, data, rng))
    rng.shuffle(cases)
    cases = cases[:count]
    mutated = os.path.join(work, "mutated.json")
    refused = 0
    for name, body in cases:
        shutil.copy(pristine, db)
        before = read(db)
        with open(mutated, "w") as f:
            f.write(body)
        result = run(["--from", mutated, "--database-url", db, "--quiet"])
        check_failure(result, f"sqlite --from ({name})")
        if result.returncode != 0:
            refused += 1
            if read(db) != before:
                fail(f"sqlite --from ({name}) failed and changed the database: {result.stderr}")
    print(f"adversarial: --from fuzzing on SQLite: {len(cases)} mutated files, {refused} refused, "
          f"0 panics, 0 changed databases")
    return cases


def pg_snapshot(url):
    query = ("SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM transactions), "
             "(SELECT coalesce(sum(amount), 0) FROM transactions), "
             "(SELECT string_agg(id, ',' ORDER BY id) FROM users), (SELECT count(*) FROM seed_runs)")
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-d", url, "-c", query], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"psql: {out.stderr}")
    return out.stdout


def pg_database(name):
    server = os.environ["SEED_TEST_POSTGRES_URL"]
    base, _, query = server.partition("?")
    subprocess.run(["psql", "-X", "-q", "-d", f"{base}/postgres", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
                   check=True, capture_output=True)
    return f"{base}/{name}" + (f"?{query}" if query else "")


def fuzz_postgres(work, cases, count):
    url = pg_database("seed_adversarial_fuzz")
    base_json = os.path.join(work, "base.json")
    result = run(["--from", base_json, "--database-url", url, "--quiet"])
    if result.returncode != 0:
        fail(f"postgres base load: {result.stderr}")
    mutated = os.path.join(work, "mutated.json")
    refused = 0
    for name, body in cases[:count]:
        before = pg_snapshot(url)
        with open(mutated, "w") as f:
            f.write(body)
        result = run(["--from", mutated, "--database-url", url, "--quiet"])
        check_failure(result, f"postgres --from ({name})")
        if result.returncode != 0:
            refused += 1
            if pg_snapshot(url) != before:
                fail(f"postgres --from ({name}) failed and changed the database: {result.stderr}")
        else:
            run(["--from", base_json, "--database-url", url, "--quiet"])
    print(f"adversarial: --from fuzzing on PostgreSQL: {min(count, len(cases))} mutated files, "
          f"{refused} refused, 0 panics, 0 changed databases")


# --- 2. Interrupts at random moments -----------------------------------------------------


def sqlite_state(db):
    """(users, the newest seed_runs seed) of a SQLite database, or None if it has none."""
    if not os.path.exists(db):
        return None
    conn = sqlite3.connect(db)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail(f"{db} is corrupt")
        users = conn.execute("SELECT count(*) FROM users").fetchone()[0]
        seed = conn.execute("SELECT seed FROM seed_runs ORDER BY finished_at DESC LIMIT 1").fetchone()
        return users, seed[0] if seed else None
    finally:
        conn.close()


def json_state(path):
    data = read(path)
    if data is None:
        return None
    d = json.loads(data)
    return len(d["users"]), str(d["meta"]["seed"])


def interrupts(work, rng, count, users, db_url=None):
    where = "PostgreSQL" if db_url else "SQLite"
    out = os.path.join(work, "users.json")
    db = db_url or os.path.join(work, "interrupt.db")
    state = (lambda: pg_state(db)) if db_url else (lambda: sqlite_state(db))
    # The old data: seed 1. Each trial tries to replace it with seed 2.
    result = run(["--as-of", AS_OF, "--num-users", str(users // 2), "--seed", "1", "--out", out,
                  "--database-url", db, "--quiet"])
    if result.returncode != 0:
        fail(f"{where} first run: {result.stderr}")
    old = (state(), json_state(out))
    started = time.monotonic()
    result = run(["--as-of", AS_OF, "--num-users", str(users), "--seed", "2", "--out", out,
                  "--database-url", db, "--quiet"])
    whole = time.monotonic() - started
    if result.returncode != 0:
        fail(f"{where} timing run: {result.stderr}")
    new = (state(), json_state(out))
    # The old data again, kept to put back before each trial (a file copy on SQLite).
    result = run(["--as-of", AS_OF, "--num-users", str(users // 2), "--seed", "1", "--out", out,
                  "--database-url", db, "--quiet"])
    if result.returncode != 0:
        fail(f"{where} second run: {result.stderr}")
    saved = {out: read(out)}
    if not db_url:
        saved[db] = read(db)
    outcomes = {"rolled back": 0, "finished": 0, "killed, old": 0, "killed, new": 0, "killed, split": 0}
    for trial in range(count):
        # Back to the old data.
        if db_url:
            result = run(["--as-of", AS_OF, "--num-users", str(users // 2), "--seed", "1", "--out",
                          out, "--database-url", db, "--quiet"])
            if result.returncode != 0:
                fail(f"{where} reset run: {result.stderr}")
        else:
            for suffix in ("-wal", "-shm", "-journal"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            for path, data in saved.items():
                with open(path, "wb") as f:
                    f.write(data)
        before_json = read(out)
        before_db = read(db) if not db_url else None
        kind = rng.choice(["int", "int", "int twice", "kill"])
        delay = rng.uniform(0, whole * 1.1)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEED_TEST_PAUSE")}
        child = subprocess.Popen([SEED, "--as-of", AS_OF, "--num-users", str(users), "--seed", "2",
                                  "--out", out, "--database-url", db, "--quiet"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(delay)
        if kind == "kill":
            child.send_signal(signal.SIGKILL)
        else:
            child.send_signal(signal.SIGINT)
            if kind == "int twice":
                time.sleep(0.05)
                child.send_signal(signal.SIGINT)
        _, err = child.communicate()
        code = child.returncode
        after = (state(), json_state(out))
        what = f"{where} trial {trial}: {kind} after {delay:.2f} s, exit {code}"
        if "panicked" in err:
            fail(f"{what}: {err}")
        leftovers = [n for n in os.listdir(work) if ".tmp-" in n and not n.endswith(f"-{child.pid}")]
        if leftovers and kind != "kill":
            fail(f"{what}: left {leftovers}")
        if kind == "kill":
            db_side = "old" if after[0] == old[0] else "new" if after[0] == new[0] else None
            json_side = "old" if after[1] == old[1] else "new" if after[1] == new[1] else None
            if db_side is None or json_side is None:
                fail(f"{what}: the database or the JSON holds neither the old nor the new data: {after}")
            outcomes["killed, " + (db_side if db_side == json_side else "split")] += 1
        elif code == 130:
            if read(out) != before_json:
                fail(f"{what}: the JSON changed")
            if before_db is not None and read(db) != before_db:
                fail(f"{what}: the database changed")
            if after != old:
                fail(f"{what}: the data is not the old data: {after}")
            outcomes["rolled back"] += 1
        elif code == 0:
            if after != new:
                fail(f"{what}: exit 0 but the data is not the new data: {after}")
            outcomes["finished"] += 1
        else:
            fail(f"{what}: {err}")
    print(f"adversarial: interrupts on {where} ({count} trials over a {whole:.1f} s run of {users} users): "
          + ", ".join(f"{n} {k}" for k, n in outcomes.items()))
    if outcomes["killed, split"]:
        print(f"adversarial: note: {outcomes['killed, split']} SIGKILL(s) landed between the JSON "
              "rename and the commit (the one window no process can close)")


def pg_state(url):
    query = "SELECT (SELECT count(*) FROM users), (SELECT seed FROM seed_runs ORDER BY finished_at DESC LIMIT 1)"
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-d", url, "-c", query], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    users, seed = out.stdout.strip().split("|")
    return int(users), seed or None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--interrupts", type=int, default=30)
    args = parser.parse_args()
    if not os.path.exists(SEED):
        fail(f"{SEED} is missing: build it with `cargo build -p seed`")
    rng = random.Random(args.seed)
    pg = bool(os.environ.get("SEED_TEST_POSTGRES_URL"))
    with tempfile.TemporaryDirectory(prefix="seed-adversarial-") as work:
        cases = fuzz_sqlite(work, rng, args.mutations)
        if pg:
            fuzz_postgres(work, cases, args.mutations // 3)
        interrupts(work, rng, args.interrupts, 10_000)
        if pg:
            interrupts(work, rng, max(1, args.interrupts // 3), 5_000,
                       db_url=pg_database("seed_adversarial_interrupts"))
    print("adversarial: every promise held")


if __name__ == "__main__":
    main()
