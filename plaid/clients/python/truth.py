"""What the seeded SQLite database holds for one user: the ground truth the client checks
compare the API's answers with, read with Python's own sqlite3.

As a script, `truth.py DB [EMAIL]` prints the chosen user's truth as JSON (for the Node
check, which has no SQLite driver).
"""

import json
import sqlite3
import sys


def connect(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def pick_email(conn):
    """A user with a card that has statements and with recurring streams, if there is one:
    the user whose answers exercise the most fields."""
    row = conn.execute(
        """
        SELECT u.email FROM users u
        JOIN accounts a ON a.user_id = u.id
        LEFT JOIN recurring_streams s ON s.account_id = a.id
        GROUP BY u.id
        ORDER BY MAX(a.last_statement_balance IS NOT NULL) DESC,
                 MAX(a.type = 'credit') DESC, COUNT(s.id) DESC, u.email
        LIMIT 1
        """
    ).fetchone()
    return row["email"]


def user_truth(conn, email):
    user = conn.execute("SELECT id, email FROM users WHERE email = ?", (email,)).fetchone()
    assert user is not None, f"no user {email}"
    accounts = [dict(r) for r in conn.execute(
        "SELECT * FROM accounts WHERE user_id = ? ORDER BY id", (user["id"],))]
    ids = [a["id"] for a in accounts]
    marks = ",".join("?" * len(ids))
    transactions = {}
    for r in conn.execute(
            f"SELECT id, account_id, date, amount, category, merchant_name, pending, "
            f"pending_transaction_id, category_detailed FROM transactions "
            f"WHERE account_id IN ({marks})", ids):
        transactions[r["id"]] = {
            "account_id": r["account_id"],
            "date": r["date"][:10],
            "amount": r["amount"],
            "pending": bool(r["pending"]),
            "pending_transaction_id": r["pending_transaction_id"],
            "merchant_name": r["merchant_name"],
            "category": r["category"],
        }
    streams = {}
    for r in conn.execute(
            f"SELECT * FROM recurring_streams WHERE account_id IN ({marks})", ids):
        linked = [x["id"] for x in conn.execute(
            "SELECT t.id FROM recurring_stream_transactions l "
            "JOIN transactions t ON t.id = l.transaction_id "
            "WHERE l.stream_id = ? ORDER BY t.date, t.id", (r["id"],))]
        amounts = [transactions[t]["amount"] for t in linked]
        streams[r["id"]] = dict(r) | {"transaction_ids": linked, "amounts": amounts}
    added_latest = conn.execute(
        f"SELECT COUNT(*) FROM transaction_changes WHERE account_id IN ({marks}) "
        f"AND change = 'added' AND as_of = (SELECT MAX(as_of) FROM seed_runs)", ids
    ).fetchone()[0]
    as_of = conn.execute("SELECT MAX(as_of) FROM seed_runs").fetchone()[0]
    return {
        "email": email,
        "user_id": user["id"],
        "as_of": as_of,
        "accounts": accounts,
        "transactions": transactions,
        "streams": streams,
        "added_by_latest_run": added_latest,
    }


if __name__ == "__main__":
    conn = connect(sys.argv[1])
    email = sys.argv[2] if len(sys.argv) > 2 else pick_email(conn)
    json.dump(user_truth(conn, email), sys.stdout, indent=1, sort_keys=True)
