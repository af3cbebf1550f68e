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
3. Edges, each case drawn at random from its kind: an application's foreign keys of every
   shape into seeded tables (any case, no column named, several columns, another schema,
   shared constraint names, NOT VALID) on both backends; an application's users in a
   seeded database; seed_runs tampered with; typos in a profile's targets; --out naming the
   database's journal files; a dangling symbolic link as the database; lock holders on
   diesel's migrations table, on the seeder's migration lock and on a SQLite file, with and
   without Ctrl-C; hostile numbers for `seed stats`. A refused run says one line and changes
   nothing; a run that keeps every promise goes through.
4. Advance: one Ctrl-C, two, or SIGKILL at a random moment of `seed advance --days 30
   --sync-out` on both backends (the database and the sync file hold the old or the new
   state, and a run that exits 130 changed neither); targets drawn from every kind of wrong
   (zero, negative, huge, malformed, before or at the data's date, beyond the change log);
   tampered seed_runs; lock holders with and without Ctrl-C; and an application's edits and
   deletions of random transactions, which the advance must leave exactly as the
   application left them.

Usage: .ci/adversarial.py [--seed N] [--mutations N] [--interrupts N] [--edges N]
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


# --- 3. Edges ----------------------------------------------------------------------------


def refused(result, what, expected):
    """A run that must have been refused: exit 1, one line, no panic, saying `expected`."""
    check_failure(result, what)
    if result.returncode != 1:
        fail(f"{what}: exit {result.returncode}, expected a refusal: {result.stderr!r}")
    if expected not in result.stderr:
        fail(f"{what}: the refusal does not say {expected!r}: {result.stderr!r}")


def succeeded(result, what):
    if result.returncode != 0:
        fail(f"{what}: exit {result.returncode}: {result.stderr!r}")


def sqlite_exec(db, sql):
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.executescript(sql)
    finally:
        conn.close()


def sqlite_seeded(work, name, users=30, seed="1"):
    """A fresh SQLite database seeded with `users` users of `seed`, and its path."""
    db = os.path.join(work, name)
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    succeeded(run(["--as-of", AS_OF, "--seed", seed, "--num-users", str(users), "--no-json",
                   "--database-url", db, "--quiet"]), f"seed {name}")
    return db


# Application tables referencing seeded rows, as (table, CREATE, INSERT of `n` rows).
SQLITE_APP_KEYS = [
    ("app_upper", "CREATE TABLE app_upper (id INTEGER PRIMARY KEY, u TEXT REFERENCES USERS(ID))",
     "INSERT INTO app_upper (u) SELECT id FROM users ORDER BY random() LIMIT {n}"),
    ("app_bare", "CREATE TABLE app_bare (id INTEGER PRIMARY KEY, u TEXT REFERENCES Users)",
     "INSERT INTO app_bare (u) SELECT id FROM users ORDER BY random() LIMIT {n}"),
    ("app_txn", "CREATE TABLE app_txn (id INTEGER PRIMARY KEY, t TEXT REFERENCES TRANSACTIONS(Id))",
     "INSERT INTO app_txn (t) SELECT id FROM transactions ORDER BY random() LIMIT {n}"),
    ("app_pair", "CREATE TABLE app_pair (s TEXT, t TEXT, FOREIGN KEY (s, t) REFERENCES "
                 "recurring_stream_transactions (stream_id, transaction_id))",
     "INSERT INTO app_pair SELECT stream_id, transaction_id FROM recurring_stream_transactions "
     "ORDER BY random() LIMIT {n}"),
    ("app_account", "CREATE TABLE app_account (a TEXT REFERENCES accounts)",
     "INSERT INTO app_account SELECT id FROM accounts ORDER BY random() LIMIT {n}"),
]

PG_APP_KEYS = [
    ("app_pair", "CREATE TABLE app_pair (s TEXT, t TEXT, CONSTRAINT k FOREIGN KEY (s, t) REFERENCES "
                 "recurring_stream_transactions (stream_id, transaction_id))",
     "INSERT INTO app_pair SELECT stream_id, transaction_id FROM recurring_stream_transactions "
     "ORDER BY random() LIMIT {n}"),
    ("s2.app", "CREATE TABLE app (id INT); CREATE SCHEMA s2; "
               "CREATE TABLE s2.app (u TEXT REFERENCES USERS(ID))",
     "INSERT INTO s2.app SELECT id FROM users ORDER BY random() LIMIT {n}"),
    ("shared_b", "CREATE TABLE shared_a (u TEXT, CONSTRAINT same FOREIGN KEY (u) REFERENCES users); "
                 "CREATE TABLE shared_b (u TEXT, CONSTRAINT same FOREIGN KEY (u) REFERENCES users)",
     "INSERT INTO shared_b SELECT id FROM users ORDER BY random() LIMIT {n}"),
    ("loose", "CREATE TABLE loose (u TEXT)",
     "INSERT INTO loose SELECT id FROM users ORDER BY random() LIMIT {n}; "
     "ALTER TABLE loose ADD CONSTRAINT loose_k FOREIGN KEY (u) REFERENCES users NOT VALID"),
    ("app_txn", "CREATE TABLE app_txn (t TEXT REFERENCES transactions (id) ON DELETE CASCADE)",
     "INSERT INTO app_txn SELECT id FROM transactions ORDER BY random() LIMIT {n}"),
]


def psql(url, sql, check=True):
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url,
                          "-c", sql], capture_output=True, text=True)
    if check and out.returncode != 0:
        fail(f"psql {sql[:60]!r}: {out.stderr}")
    return out.stdout


def pg_constraints(url):
    return psql(url, "SELECT string_agg(conrelid::regclass || ' ' || conname || ' ' || "
                     "pg_get_constraintdef(oid), E'\\n' ORDER BY 1) FROM pg_constraint "
                     "WHERE connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')")


def app_keys(work, rng, pg):
    """Application keys of every shape: refused when the load would orphan their rows,
    kept (with every constraint) when it would not."""
    cases = 0
    for table, create, fill in SQLITE_APP_KEYS:
        n = rng.randrange(1, 6)
        db = sqlite_seeded(work, "keys.db")
        sqlite_exec(db, f"{create}; {fill.format(n=n)};")
        before = read(db)
        result = run(["--as-of", AS_OF, "--seed", "9", "--num-users", "30", "--no-json",
                      "--database-url", db, "--quiet"])
        refused(result, f"sqlite key {table}", f"would orphan {n} row")
        if read(db) != before:
            fail(f"sqlite key {table}: a refused load changed the database")
        succeeded(run(["--as-of", AS_OF, "--seed", "1", "--num-users", "30", "--no-json",
                       "--database-url", db, "--quiet"]), f"sqlite key {table}, same users")
        cases += 1
    if pg:
        for table, create, fill in PG_APP_KEYS:
            n = rng.randrange(1, 6)
            url = pg_database("seed_adversarial_keys")
            succeeded(run(["--as-of", AS_OF, "--seed", "1", "--num-users", "30", "--no-json",
                           "--database-url", url, "--quiet"]), "seed keys")
            psql(url, f"{create}; {fill.format(n=n)};")
            before = (pg_snapshot(url), pg_constraints(url))
            result = run(["--as-of", AS_OF, "--seed", "9", "--num-users", "30", "--no-json",
                          "--database-url", url, "--quiet"])
            refused(result, f"postgres key {table}", f"would orphan {n} row")
            if (pg_snapshot(url), pg_constraints(url)) != before:
                fail(f"postgres key {table}: a refused load changed the database")
            succeeded(run(["--as-of", AS_OF, "--seed", "1", "--num-users", "30", "--no-json",
                           "--database-url", url, "--quiet"]), f"postgres key {table}, same users")
            if pg_constraints(url) != before[1]:
                fail(f"postgres key {table}: a load lost a constraint")
            cases += 1
    return cases


def app_users_and_tampering(work, rng, pg):
    """Users that no seed run wrote, and seed_runs rows removed, added or altered: a
    replacing load and reset-db refuse, naming how many, and change nothing."""
    tamperings = [
        ("app users", "INSERT INTO users SELECT 'app-' || id, name, 'app-' || email, consent, "
                      "created_at FROM users ORDER BY id LIMIT {k}", "{k} more than the 30"),
        ("seed_runs emptied", "DELETE FROM seed_runs", "seed_runs is empty"),
        ("an old-shape row beside app users",
         "INSERT INTO users SELECT 'app-' || id, name, 'app-' || email, consent, created_at "
         "FROM users ORDER BY id LIMIT {k}; INSERT INTO seed_runs (id, generator, profile, seed, "
         "as_of, source, row_counts, finished_at) VALUES ('bogus', 'x', 'x', 'x', '2025-01-01', "
         "'x', '{{}}', '2025-01-01 00:00:00')", "{k} more than the 30"),
        ("a row claiming the app users",
         "INSERT INTO users SELECT 'app-' || id, name, 'app-' || email, consent, created_at "
         "FROM users ORDER BY id LIMIT {k}; INSERT INTO seed_runs (id, generator, profile, seed, "
         "as_of, source, row_counts, finished_at, user_count, user_ids_digest) VALUES ('claim', "
         "'x', 'x', 'x', '2025-01-01', 'x', '{{}}', '2025-01-01 00:00:00', {k}, "
         "'00000000000000ff')", "that are not the"),
        ("a run's count lowered", "UPDATE seed_runs SET user_count = user_count - {k}",
         "{k} more than the"),
        ("a run's digest altered", "UPDATE seed_runs SET user_ids_digest = '0123456789abcdef'",
         "that are not the"),
        ("seed_runs dropped", "DROP TABLE seed_runs", "there is no seed_runs table"),
    ]
    cases = 0
    for name, sql, expected in tamperings:
        k = rng.randrange(1, 20)
        sql, expected = sql.format(k=k), expected.format(k=k)
        db = sqlite_seeded(work, "users.db")
        sqlite_exec(db, sql.replace("'app-' || email", "'app' || rowid || '@example.org'"))
        before = read(db)
        for args in (["--as-of", AS_OF, "--seed", "2", "--num-users", "5", "--no-json"],
                     ["reset-db"]):
            result = run([*args, "--database-url", db, "--quiet"] if args[0] != "reset-db"
                         else [*args, "--database-url", db])
            refused(result, f"sqlite {name} ({args[0]})", expected)
            if read(db) != before:
                fail(f"sqlite {name}: a refused run changed the database")
        cases += 1
        if pg:
            url = pg_database("seed_adversarial_users")
            succeeded(run(["--as-of", AS_OF, "--seed", "1", "--num-users", "30", "--no-json",
                           "--database-url", url, "--quiet"]), "seed users")
            psql(url, sql.replace("'app-' || email", "'app' || md5(id) || '@example.org'"))
            before = psql(url, "SELECT count(*), string_agg(id, ',' ORDER BY id) FROM users")
            for args in (["--as-of", AS_OF, "--seed", "2", "--num-users", "5", "--no-json"],
                         ["reset-db"]):
                result = run([*args, "--database-url", url])
                refused(result, f"postgres {name} ({args[0]})", expected)
                if psql(url, "SELECT count(*), string_agg(id, ',' ORDER BY id) FROM users") != before:
                    fail(f"postgres {name}: a refused run changed the users")
            cases += 1
    return cases


def checked_first(work, rng, cases_from):
    """Targets with a typo, --out naming a journal file, a dangling link as the database:
    refused (or cleaned up) with nothing written."""
    db = sqlite_seeded(work, "first.db")
    out = os.path.join(work, "first.json")
    succeeded(run(["--as-of", AS_OF, "--num-users", "5", "--out", out, "--database-url", db,
                   "--quiet"]), "first run")
    profile = os.path.join(ROOT, "seed", "profiles", "calibrated.toml")
    targets = open(os.path.join(ROOT, "seed", "profiles", "calibrated.targets.toml")).read()
    measures = [line.split('"')[1] for line in targets.splitlines() if line.startswith("measure")]
    cases = 0
    for _ in range(4):
        measure = rng.choice(measures)
        typo = rng.choice([measure + "s", measure[:-1], measure.upper(), measure.replace(".", "_", 1)])
        shutil.copy(profile, os.path.join(work, "typo.toml"))
        with open(os.path.join(work, "typo.targets.toml"), "w") as f:
            f.write(targets.replace(f'"{measure}"', f'"{typo}"', 1))
        before = (read(db), read(out))
        result = run(["--config", os.path.join(work, "typo.toml"), "--num-users", "5", "--out", out,
                      "--database-url", db, "--quiet"])
        refused(result, f"targets typo {typo}", "unknown")
        if (read(db), read(out)) != before:
            fail(f"targets typo {typo}: a refused run wrote")
        cases += 1
    for suffix in ("-wal", "-shm", "-journal"):
        target = rng.choice([db + suffix, "./" + os.path.relpath(db + suffix)])
        before = (read(db), read(out))
        result = run(["--as-of", AS_OF, "--num-users", "5", "--out", target, "--database-url", db,
                      "--quiet"])
        refused(result, f"--out {suffix}", "journal file")
        if (read(db), read(out)) != before or os.path.exists(db + suffix):
            fail(f"--out {suffix}: a refused run wrote")
        cases += 1
    mutated = os.path.join(work, "mutated.json")
    for name, body in rng.sample(cases_from, 3):
        real = os.path.join(work, "real")
        os.makedirs(real, exist_ok=True)
        link = os.path.join(work, "dangling.db")
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(os.path.join(real, "new.db"), link)
        with open(mutated, "w") as f:
            f.write(body)
        result = run(["--from", mutated, "--database-url", link, "--quiet"])
        check_failure(result, f"dangling link ({name})")
        if not os.path.islink(link):
            fail(f"dangling link ({name}): the link is gone")
        if result.returncode != 0 and os.listdir(real):
            fail(f"dangling link ({name}): a failed run left {os.listdir(real)}")
        if result.returncode == 0 and not os.path.isfile(os.path.join(real, "new.db")):
            fail(f"dangling link ({name}): the load did not fill the file behind the link")
        for leftover in os.listdir(real):
            os.remove(os.path.join(real, leftover))
        cases += 1
    return cases


class Holder:
    """A psql process that holds a lock until closed."""

    def __init__(self, url, sql):
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                                      "-d", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.proc.stdin.write(f"{sql}\n\\echo held\n")
        self.proc.stdin.flush()
        while (line := self.proc.stdout.readline()) and line.strip() != "held":
            pass
        if not line:
            fail(f"the lock holder could not take its lock: {sql}")

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def wait_then(args, interrupt, rng, what):
    """Runs seed until it says it waits for a lock; then Ctrl-C at a random moment of the
    wait (exit 130 before the wait's end), or nothing (exit 1 with the lock message at 5 s)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEED_TEST_PAUSE")}
    child = subprocess.Popen([SEED, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env=env)
    line = child.stderr.readline()
    if "is locked by another connection: waiting up to 5 s" not in line:
        child.kill()
        fail(f"{what}: did not say it waits: {line!r}")
    started = time.monotonic()
    if interrupt:
        time.sleep(rng.uniform(0, 3))
        child.send_signal(signal.SIGINT)
    err = line + child.stderr.read()
    code = child.wait()
    waited = time.monotonic() - started
    if "panicked" in err:
        fail(f"{what}: {err}")
    if interrupt and (code != 130 or waited > 4.5):
        fail(f"{what}: Ctrl-C during the wait gave exit {code} after {waited:.1f} s: {err!r}")
    if not interrupt and (code != 1 or "waited 5 s for it; nothing was changed" not in err):
        fail(f"{what}: exit {code}: {err!r}")


def lock_holders(work, rng, pg):
    """Lock holders that a run must wait for a bounded time, and stop waiting for at Ctrl-C."""
    cases = 0
    db = os.path.join(work, "held.db")
    if os.path.exists(db):
        os.remove(db)
    env = {"SEED_SQLITE_JOURNAL": "rollback"}
    succeeded(run(["--as-of", AS_OF, "--num-users", "5", "--no-json", "--database-url", db, "--quiet"],
                  env=env), "seed held.db")
    before = read(db)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    for interrupt in (True, rng.random() < 0.3):
        args = rng.choice([["--as-of", AS_OF, "--num-users", "5", "--no-json", "--quiet"],
                           ["reset-db"]])
        wait_then([*args, "--database-url", db], interrupt, rng, f"sqlite holder ({args[0]})")
        cases += 1
    holder.execute("ROLLBACK")
    holder.close()
    if read(db) != before:
        fail("a run stopped behind a SQLite lock changed the file")
    if not pg:
        return cases
    url = pg_database("seed_adversarial_locks")
    succeeded(run(["--as-of", AS_OF, "--num-users", "5", "--no-json", "--database-url", url,
                   "--quiet"]), "seed locks")
    load = ["--as-of", AS_OF, "--seed", "2", "--num-users", "5", "--no-json", "--quiet",
            "--database-url", url]
    reset = ["reset-db", "--database-url", url]
    # The newest migration undone, so the load has one to apply under the seeder's lock.
    newest = sorted(os.listdir(os.path.join(ROOT, "migrations")))[-1]
    down = open(os.path.join(ROOT, "migrations", newest, "down.sql")).read()
    version = newest.split("_")[0].replace("-", "")
    psql(url, f"{down}; DELETE FROM __diesel_schema_migrations WHERE version = '{version}'")
    before = (pg_snapshot(url), psql(url, "SELECT string_agg(version, ',' ORDER BY version) "
                                          "FROM __diesel_schema_migrations"))
    holders = [
        ("migrations table", "BEGIN; LOCK TABLE __diesel_schema_migrations;", [load, reset]),
        ("migration lock", "SELECT pg_advisory_lock(hashtext('spendsense seed migrations'));", [load]),
        ("reader", "BEGIN; SELECT count(*) FROM users;", [load, reset]),
    ]
    for name, sql, commands in holders:
        holder = Holder(url, sql)
        for interrupt in (True, rng.random() < 0.25):
            args = rng.choice(commands)
            wait_then(args, interrupt, rng, f"postgres {name} ({args[0]})")
            cases += 1
        holder.close()
    after = (pg_snapshot(url), psql(url, "SELECT string_agg(version, ',' ORDER BY version) "
                                         "FROM __diesel_schema_migrations"))
    if after != before:
        fail(f"a run stopped behind a PostgreSQL lock changed the database: {before} -> {after}")
    return cases


def hostile_stats(work, rng, count):
    """`seed stats` over files with extreme numbers and dates in random fields: exit 0 or 1,
    one line on failure, never a panic."""
    base = os.path.join(work, "stats-base.json")
    profile = rng.choice(["story", "calibrated"])
    succeeded(run(["--as-of", AS_OF, "--num-users", "20", "--profile", profile, "--no-db",
                   "--out", base, "--quiet"]), "stats base")
    lines = open(base).read().splitlines()
    numeric = [i for i, l in enumerate(lines) if ": " in l and l.strip().split(": ", 1)[1].rstrip(",")
               .lstrip("-").replace(".", "", 1).isdigit()]
    dates = [i for i, l in enumerate(lines) if '": "' in l and l.split('": "', 1)[1][:4].isdigit()
             and l.split('": "', 1)[1][4:5] == "-"]
    values = [str(2**63 - 1), str(-(2**63)), "0", "-1", "1e308", "-1e308", str(2**62)]
    days = ["0001-01-01", "9999-12-31", "-0100-01-01", "+100000-01-01"]
    hostile = os.path.join(work, "stats-hostile.json")
    for trial in range(count):
        mutated = list(lines)
        for i in rng.sample(numeric, min(len(numeric), rng.randrange(1, 40))):
            key, value = mutated[i].split(": ", 1)
            mutated[i] = f"{key}: {rng.choice(values)}{',' if value.endswith(',') else ''}"
        for i in rng.sample(dates, min(len(dates), rng.randrange(0, 5))):
            key, value = mutated[i].split('": "', 1)
            time_part = value[10:]
            mutated[i] = f'{key}": "{rng.choice(days)}{time_part}'
        with open(hostile, "w") as f:
            f.write("\n".join(mutated))
        check_failure(run(["stats", hostile]), f"stats trial {trial}")
    return count


def edges(work, rng, count, cases_from, pg):
    counts = {
        "application keys": app_keys(work, rng, pg),
        "app users and seed_runs tampering": app_users_and_tampering(work, rng, pg),
        "targets, journal paths and dangling links": checked_first(work, rng, cases_from),
        "lock holders": lock_holders(work, rng, pg),
        "hostile stats files": hostile_stats(work, rng, count),
    }
    print("adversarial: edges: " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + "; every refusal one line, 0 panics, 0 changed databases")


# --- 4. Advance --------------------------------------------------------------------------


def sqlite_time(db):
    """Where a SQLite database stands in time: its transactions, the log's last sequence
    number, and its newest run's as-of date; after an integrity check."""
    conn = sqlite3.connect(db)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail(f"{db} is corrupt")
        return conn.execute(
            "SELECT (SELECT count(*) FROM transactions), (SELECT max(seq) FROM transaction_changes), "
            "(SELECT max(as_of) FROM seed_runs), (SELECT count(*) FROM seed_runs)").fetchone()
    finally:
        conn.close()


def pg_time(url):
    return psql(url, "SELECT (SELECT count(*) FROM transactions), (SELECT max(seq) FROM "
                     "transaction_changes), (SELECT max(as_of) FROM seed_runs), "
                     "(SELECT count(*) FROM seed_runs)").strip()


def advance_interrupts(work, rng, count, users, db_url=None):
    """Ctrl-C, two, or SIGKILL at a random moment of an advance: the database and the sync
    file end old or new, and a run that exits 130 changed neither."""
    where = "PostgreSQL" if db_url else "SQLite"
    db = db_url or os.path.join(work, "advance.db")
    sync = os.path.join(work, "advance-sync.json")
    state = (lambda: pg_time(db)) if db_url else (lambda: sqlite_time(db))
    seed_args = ["--as-of", AS_OF, "--num-users", str(users), "--no-json", "--database-url", db,
                 "--quiet"]
    advance_args = ["advance", "--days", "30", "--sync-out", sync, "--database-url", db, "--quiet"]

    def restore():
        if db_url:
            succeeded(run(seed_args), f"{where} advance reset")
        else:
            for suffix in ("-wal", "-shm", "-journal"):
                if os.path.exists(db + suffix):
                    os.remove(db + suffix)
            shutil.copy(pristine, db)
        with open(sync, "wb") as f:
            f.write(b"[]\n")

    succeeded(run(seed_args), f"{where} advance seed")
    pristine = os.path.join(work, "advance-pristine.db")
    if not db_url:
        shutil.copy(db, pristine)
    restore()
    old = (state(), read(sync))
    started = time.monotonic()
    succeeded(run(advance_args), f"{where} advance timing run")
    whole = time.monotonic() - started
    new = (state(), read(sync))
    outcomes = {"rolled back": 0, "finished": 0, "killed, old": 0, "killed, new": 0, "killed, split": 0}
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SEED_TEST_PAUSE")}
    for trial in range(count):
        restore()
        kind = rng.choice(["int", "int", "int twice", "kill"])
        delay = rng.uniform(0, whole * 1.1)
        child = subprocess.Popen([SEED, *advance_args], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True, env=env)
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
        after = (state(), read(sync))
        what = f"{where} advance trial {trial}: {kind} after {delay:.2f} s, exit {code}"
        if "panicked" in err:
            fail(f"{what}: {err}")
        left = [n for n in os.listdir(work) if ".tmp-" in n and not n.endswith(f"-{child.pid}")]
        if left and kind != "kill":
            fail(f"{what}: left {left}")
        if kind == "kill":
            db_side = "old" if after[0] == old[0] else "new" if after[0] == new[0] else None
            sync_side = "old" if after[1] == old[1] else "new" if after[1] == new[1] else None
            if db_side is None or sync_side is None:
                fail(f"{what}: the database or the sync file holds neither the old nor the new state")
            outcomes["killed, " + (db_side if db_side == sync_side else "split")] += 1
        elif code == 130:
            if after != old:
                fail(f"{what}: the database or the sync file changed: {after[0]} vs {old[0]}")
            outcomes["rolled back"] += 1
        elif code == 0:
            if after != new:
                fail(f"{what}: exit 0 but not the advanced state: {after[0]} vs {new[0]}")
            outcomes["finished"] += 1
        else:
            fail(f"{what}: {err}")
    print(f"adversarial: advance interrupts on {where} ({count} trials over a {whole:.1f} s advance "
          f"of {users} users by 30 days): " + ", ".join(f"{n} {k}" for k, n in outcomes.items()))


def bad_targets(rng):
    """Targets an advance must refuse, one drawn from each kind of wrong."""
    return [
        ["--days", rng.choice(["0", "-1", "-0", f"-{rng.randrange(1, 10**6)}"])],
        ["--days", rng.choice(["", "x", "1.5", "1e3", str(2**32), str(2**64), " 7", "0x10"])],
        ["--to", rng.choice(["2025-06-01", "2025-05-31", f"20{rng.randrange(10, 25)}-01-01"])],
        ["--to", rng.choice(["2025-02-30", "2025-13-01", "25-06-02", "2025/06/02", "", "now"])],
        ["--to", rng.choice(["3461-01-01", "9999-12-31", "+100000-01-01"])],
        ["--days", "1", "--to", "2025-07-01"],
        [],
        ["--days", "1", "--shard", rng.choice(["0/2", "3/2", "1/0", "x", "1/5000"])],
    ]


def advance_edges(work, rng, pg):
    """Wrong targets, tampered runs and lock holders: one line, nothing changed; an
    application's edits survive an advance."""
    cases = 0
    db = sqlite_seeded(work, "advance-edges.db", users=20)
    urls = [("SQLite", db)]
    if pg:
        url = pg_database("seed_adversarial_advance")
        succeeded(run(["--as-of", AS_OF, "--num-users", "20", "--no-json", "--database-url", url,
                       "--quiet"]), "seed advance edges")
        urls.append(("PostgreSQL", url))
    for where, url in urls:
        snapshot = (lambda: read(url)) if where == "SQLite" else (lambda: pg_snapshot(url))
        for target in bad_targets(rng):
            before = snapshot()
            result = run(["advance", "--database-url", url, "--quiet", *target])
            check_failure(result, f"{where} advance {target}")
            if result.returncode == 0:
                fail(f"{where} advance {target} went through")
            if snapshot() != before:
                fail(f"{where} advance {target} changed the database")
            cases += 1
    # Tampered runs, on a copy each time.
    tampered = os.path.join(work, "advance-tampered.db")
    for sql, expected in [
        ("UPDATE seed_runs SET generator = 'spendsense-seed 99.0.0'", "the database was seeded by"),
        ("DELETE FROM seed_runs", "no seed run recorded"),
        ("UPDATE seed_runs SET seed = '43' WHERE rowid = (SELECT max(rowid) FROM seed_runs)", None),
        ("UPDATE seed_runs SET profile = 'nonesuch'", "nonesuch"),
    ]:
        shutil.copy(db, tampered)
        if sql.startswith("UPDATE seed_runs SET seed"):
            # A second run that disagrees with the first.
            succeeded(run(["advance", "--database-url", tampered, "--days", "1", "--quiet"]),
                      "advance before tampering")
            expected = "the database's seed runs disagree"
        sqlite_exec(tampered, sql)
        before = read(tampered)
        result = run(["advance", "--database-url", tampered, "--days", "1", "--quiet"])
        refused(result, f"advance after {sql!r}", expected)
        if read(tampered) != before:
            fail(f"advance after {sql!r} changed the database")
        cases += 1
    # Lock holders.
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE users SET consent = consent")
    for interrupt in (True, rng.random() < 0.3):
        wait_then(["advance", "--days", "1", "--quiet", "--database-url", db], interrupt, rng,
                  "sqlite holder (advance)")
        cases += 1
    holder.execute("ROLLBACK")
    holder.close()
    if pg:
        url = urls[1][1]
        before = pg_snapshot(url)
        for name, sql in [("writer", "BEGIN; UPDATE users SET consent = consent;"),
                          ("migrations table", "BEGIN; LOCK TABLE __diesel_schema_migrations;")]:
            holder = Holder(url, sql)
            for interrupt in (True, rng.random() < 0.25):
                wait_then(["advance", "--days", "1", "--quiet", "--database-url", url], interrupt, rng,
                          f"postgres {name} (advance)")
                cases += 1
            holder.close()
        if pg_snapshot(url) != before:
            fail("an advance stopped behind a PostgreSQL lock changed the database")
    # An application's edits and deletions stay as the application left them.
    for where, url in urls:
        query = (lambda sql: sqlite_query(url, sql)) if where == "SQLite" else \
            (lambda sql: [tuple(line.split("|")) for line in psql(url, sql).splitlines() if line])
        execute = (lambda sql: sqlite_exec(url, sql)) if where == "SQLite" else (lambda sql: psql(url, sql))
        ids = [row[0] for row in query("SELECT id FROM transactions ORDER BY id")]
        edited = rng.sample(ids, 8)
        deleted = [i for i in rng.sample(ids, 8) if i not in edited]
        quoted = lambda xs: ", ".join(f"'{x}'" for x in xs)
        execute(f"UPDATE transactions SET merchant_name = 'Edited by the app', amount = 4242 "
                f"WHERE id IN ({quoted(edited)})")
        execute(f"DELETE FROM recurring_stream_transactions WHERE transaction_id IN ({quoted(deleted)})")
        execute(f"DELETE FROM transactions WHERE id IN ({quoted(deleted)})")
        result = run(["advance", "--database-url", url, "--days", str(rng.randrange(1, 60)), "--quiet"])
        succeeded(result, f"{where} advance over an application's edits")
        rows = query(f"SELECT id, merchant_name, amount FROM transactions WHERE id IN "
                     f"({quoted(edited + deleted)}) ORDER BY id")
        expected = sorted((i, "Edited by the app", "4242") for i in edited)
        got = sorted((r[0], r[1], str(r[2])) for r in rows)
        if got != expected:
            fail(f"{where}: the advance touched an application's rows: {got} vs {expected}")
        cases += 1
    return cases


def sqlite_query(db, sql):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def advance(work, rng, count, pg):
    advance_interrupts(work, rng, count, 5_000)
    if pg:
        advance_interrupts(work, rng, max(1, count // 3), 2_000,
                           db_url=pg_database("seed_adversarial_advance_interrupts"))
    cases = advance_edges(work, rng, pg)
    print(f"adversarial: advance edges: {cases} cases; every refusal one line, 0 panics, "
          "0 changed databases, the application's rows untouched")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--mutations", type=int, default=300)
    parser.add_argument("--interrupts", type=int, default=30)
    parser.add_argument("--edges", type=int, default=40, help="hostile files for `seed stats`")
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
        edges(work, rng, args.edges, cases, pg)
        advance(work, rng, args.interrupts, pg)
    print("adversarial: every promise held")


if __name__ == "__main__":
    main()
