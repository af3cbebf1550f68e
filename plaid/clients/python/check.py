"""Plaid's official Python client (plaid-python) against the local Plaid API.

Against a server on a freshly seeded SQLite database, it links a seeded user by email with a
webhook to a listener it runs, exchanges the token, reads the Item and its accounts, syncs
every page with count 100 and rebuilds the user's transactions, compares them with the
database row for row, compares /transactions/get, /transactions/recurring/get and
/liabilities/get with the tables, fires a DEFAULT_UPDATE webhook, asserts each error case
through the client's exception, then advances the clock 7 days, waits for
SYNC_UPDATES_AVAILABLE, syncs again, applies the changes and compares again. Every
response is deserialised by the client with its type checks on.

Usage: check.py --url http://127.0.0.1:PORT --database PATH [--email EMAIL]
       [--tokens-file PATH]
"""

import argparse
import datetime
import http.server
import json
import queue
import sys
import threading

import plaid
from plaid.api import plaid_api
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.transactions_get_request import TransactionsGetRequest
from plaid.model.transactions_get_request_options import TransactionsGetRequestOptions
from plaid.model.transactions_recurring_get_request import TransactionsRecurringGetRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

import truth

CLIENT_ID = "spendsense-client-id"
SECRET = "spendsense-sandbox-secret"
PRIMARY_ALIASES = {"UTILITIES": "RENT_AND_UTILITIES", "HEALTHCARE": "MEDICAL"}


def client(url, secret=SECRET):
    configuration = plaid.Configuration(
        host=url, api_key={"clientId": CLIENT_ID, "secret": secret})
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


class Listener:
    """A webhook listener on loopback; every body it receives goes into a queue."""

    def __init__(self):
        received = self.received = queue.Queue()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                received.put(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook"

    def wait_for(self, code, timeout=30):
        """The next webhook with `code`; others are skipped."""
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
        while True:
            left = (deadline - datetime.datetime.now()).total_seconds()
            assert left > 0, f"no {code} webhook within {timeout} s"
            body = self.received.get(timeout=left)
            if body["webhook_code"] == code:
                return body


def cents(dollars):
    return round(dollars * 100)


def row_of(t):
    """A synced transaction in the database's terms."""
    return {
        "account_id": t.account_id,
        "date": t.date.isoformat(),
        "amount": cents(t.amount),
        "pending": t.pending,
        "pending_transaction_id": t.pending_transaction_id,
        "merchant_name": t.merchant_name,
        "primary": t.personal_finance_category.primary,
    }


def expected_rows(user):
    return {
        id: {
            "account_id": t["account_id"],
            "date": t["date"],
            "amount": t["amount"],
            "pending": t["pending"],
            "pending_transaction_id": t["pending_transaction_id"],
            "merchant_name": t["merchant_name"],
            "primary": PRIMARY_ALIASES.get(t["category"], t["category"]),
        }
        for id, t in user["transactions"].items()
    }


def apply(state, response):
    """Applies a sync page as a client does: a posted twin replaces its pending original."""
    for t in response.added:
        if t.pending_transaction_id:
            state.pop(t.pending_transaction_id, None)
        state[t.transaction_id] = row_of(t)
    for t in response.modified:
        state[t.transaction_id] = row_of(t)
    for r in response.removed:
        state.pop(r.transaction_id, None)


def sync_all(api, token, cursor, state):
    """Every page from `cursor`, count 100; returns the settled cursor and the page count."""
    pages = 0
    while True:
        request = TransactionsSyncRequest(access_token=token, count=100)
        if cursor:
            request.cursor = cursor
        response = api.transactions_sync(request)
        pages += 1
        assert str(response.transactions_update_status) == "HISTORICAL_UPDATE_COMPLETE"
        entries = len(response.added) + len(response.modified) + len(response.removed)
        assert entries <= 100, f"a page of count 100 held {entries} entries"
        apply(state, response)
        cursor = response.next_cursor
        if not response.has_more:
            return cursor, pages


def compare(state, user, what):
    expected = expected_rows(user)
    missing = expected.keys() - state.keys()
    extra = state.keys() - expected.keys()
    assert not missing and not extra, f"{what}: {len(missing)} missing, {len(extra)} extra"
    for id, row in expected.items():
        assert state[id] == row, f"{what}: transaction {id}: {state[id]} != {row}"
    print(f"check: {what}: {len(state)} transactions equal the database row for row")


def check_accounts(api, token, user):
    item = api.item_get(ItemGetRequest(access_token=token)).item
    response = api.accounts_get(AccountsGetRequest(access_token=token))
    balances = api.accounts_balance_get(AccountsBalanceGetRequest(access_token=token))
    assert response.item.item_id == item.item_id
    got = {a.account_id: a for a in response.accounts}
    assert set(got) == {a["id"] for a in user["accounts"]}
    for a in user["accounts"]:
        shown = got[a["id"]]
        assert (shown.name, shown.mask, str(shown.type), str(shown.subtype)) == (
            a["name"], a["mask"], a["type"], a["subtype"])
        assert cents(shown.balances.current) == a["balance"]
        assert shown.balances.iso_currency_code == a["currency"]
        limit = shown.balances.limit
        assert (None if limit is None else cents(limit)) == a["credit_limit"]
    assert {a.account_id for a in balances.accounts} == set(got)
    print(f"check: item {item.item_id}, {len(got)} accounts equal the database")
    return item


def check_transactions_get(api, token, user):
    dates = sorted(t["date"] for t in user["transactions"].values())
    start = datetime.date.fromisoformat(dates[0])
    end = datetime.date.fromisoformat(dates[-1])
    seen, offset = {}, 0
    while True:
        options = TransactionsGetRequestOptions(count=500, offset=offset)
        response = api.transactions_get(TransactionsGetRequest(
            access_token=token, start_date=start, end_date=end, options=options))
        for t in response.transactions:
            seen[t.transaction_id] = row_of(t)
        offset += len(response.transactions)
        if offset >= response.total_transactions:
            break
    assert response.total_transactions == len(user["transactions"])
    compare(seen, user, "/transactions/get")


def mean_cents(amounts):
    total, n = sum(amounts), len(amounts)
    sign = -1 if total < 0 else 1
    return sign * ((2 * abs(total) + n) // (2 * n))


def check_recurring(api, token, user):
    response = api.transactions_recurring_get(TransactionsRecurringGetRequest(access_token=token))
    shown = {s.stream_id: (s, "inflow") for s in response.inflow_streams}
    shown |= {s.stream_id: (s, "outflow") for s in response.outflow_streams}
    assert set(shown) == set(user["streams"]), "streams differ from recurring_streams"
    for id, row in user["streams"].items():
        s, direction = shown[id]
        assert direction == row["direction"]
        assert s.account_id == row["account_id"]
        assert s.merchant_name == row["merchant_name"] == s.description
        assert str(s.frequency) == row["frequency"]
        assert s.first_date.isoformat() == row["first_date"]
        assert s.last_date.isoformat() == row["last_date"]
        assert s.predicted_next_date.isoformat() == row["next_date"]
        assert list(s.transaction_ids) == row["transaction_ids"]
        assert cents(s.average_amount.amount) == mean_cents(row["amounts"])
        assert cents(s.last_amount.amount) == row["amounts"][-1]
        assert s.is_active == (str(s.status) != "TOMBSTONED")
        if s.is_active:
            assert str(s.status) == ("MATURE" if len(row["amounts"]) >= 3 else "EARLY_DETECTION")
    print(f"check: {len(shown)} recurring streams equal recurring_streams and their links")


def check_liabilities(api, token, user):
    response = api.liabilities_get(LiabilitiesGetRequest(access_token=token))
    cards = [a for a in user["accounts"] if a["type"] == "credit"]
    credit = response.liabilities.credit or []
    assert response.liabilities.mortgage is None and response.liabilities.student is None
    assert {c.account_id for c in credit} == {a["id"] for a in cards}
    for card in cards:
        c = next(c for c in credit if c.account_id == card["id"])
        assert [(a.apr_type, a.apr_percentage) for a in c.aprs] == [("purchase_apr", card["apr"])]
        assert c.is_overdue == bool(card["is_overdue"])
        date = lambda d: None if d is None else d.isoformat()
        money = lambda d: None if d is None else cents(d)
        assert money(c.minimum_payment_amount) == card["min_payment"]
        assert money(c.last_statement_balance) == card["last_statement_balance"]
        assert date(c.last_statement_issue_date) == card["last_statement_issue_date"]
        assert date(c.next_payment_due_date) == card["next_payment_due_date"]
        assert money(c.last_payment_amount) == card["last_payment_amount"]
        assert date(c.last_payment_date) == card["last_payment_date"]
    print(f"check: {len(cards)} card liabilities equal the statement fields")


def error_code(call):
    try:
        call()
    except plaid.ApiException as e:
        body = json.loads(e.body)
        for key in ("error_type", "error_code", "error_message", "display_message", "request_id"):
            assert key in body, f"error body lacks {key}: {body}"
        return e.status, body["error_code"]
    raise AssertionError("the call succeeded")


def check_errors(url, api, token):
    raw = api.api_client.rest_client
    headers = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}
    cases = {
        "INVALID_API_KEYS": lambda: client(url, secret="wrong").item_get(
            ItemGetRequest(access_token=token)),
        "INVALID_ACCESS_TOKEN": lambda: api.item_get(
            ItemGetRequest(access_token="access-sandbox-00000000-0000-0000-0000-000000000000")),
        "INVALID_BODY": lambda: raw.POST(
            f"{url}/item/get", headers=headers | {"Content-Type": "text/plain"},
            body="{not json"),
        "INVALID_FIELD": lambda: api.transactions_get(TransactionsGetRequest(
            access_token=token, start_date=datetime.date(2025, 6, 2),
            end_date=datetime.date(2025, 6, 1))),
        "MISSING_FIELDS": lambda: raw.POST(f"{url}/item/get", headers=headers, body={}),
        "UNKNOWN_FIELDS": lambda: raw.POST(
            f"{url}/item/get", headers=headers, body={"access_token": token, "extra": 1}),
        "NOT_FOUND": lambda: raw.POST(f"{url}/no/such/endpoint", headers=headers, body={}),
    }
    for code, call in cases.items():
        status, got = error_code(call)
        expected_status = 404 if code == "NOT_FOUND" else 400
        assert (status, got) == (expected_status, code), f"{code}: got {status} {got}"
    print(f"check: {len(cases)} error cases raise the client's exception with Plaid's codes")


def advance(url, days):
    raw = client(url).api_client.rest_client
    headers = {"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET}
    return raw.POST(f"{url}/seed/advance", headers=headers, body={"days": days})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--email")
    parser.add_argument("--tokens-file")
    args = parser.parse_args()
    conn = truth.connect(args.database)
    email = args.email or truth.pick_email(conn)
    user = truth.user_truth(conn, email)
    api = client(args.url)
    listener = Listener()

    link = api.link_token_create(LinkTokenCreateRequest(
        client_name="SpendSense", language="en", country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id=user["user_id"]),
        products=[Products("transactions")]))
    assert link.link_token.startswith("link-sandbox-")
    options = SandboxPublicTokenCreateRequestOptions(webhook=listener.url, override_username=email)
    public = api.sandbox_public_token_create(SandboxPublicTokenCreateRequest(
        institution_id="ins_109508",
        initial_products=[Products("transactions"), Products("liabilities")],
        options=options)).public_token
    exchanged = api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    token = exchanged.access_token
    if args.tokens_file:
        listed = dict(line.split("\t")[:2] for line in open(args.tokens_file).read().splitlines())
        assert listed[email] == token, "the exchanged token is not the one --tokens lists"
    print(f"check: linked {email} as item {exchanged.item_id}")

    item = check_accounts(api, token, user)
    assert item.webhook == listener.url
    state = {}
    cursor, pages = sync_all(api, token, None, state)
    print(f"check: synced {pages} pages of count 100")
    compare(state, user, "/transactions/sync")
    check_transactions_get(api, token, user)
    check_recurring(api, token, user)
    check_liabilities(api, token, user)

    fired = api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(access_token=token, webhook_code="DEFAULT_UPDATE"))
    assert fired.webhook_fired
    body = listener.wait_for("DEFAULT_UPDATE")
    assert body["item_id"] == exchanged.item_id
    assert body["new_transactions"] == user["added_by_latest_run"]
    print(f"check: DEFAULT_UPDATE delivered with new_transactions {body['new_transactions']}")

    check_errors(args.url, api, token)

    answer = json.loads(advance(args.url, 7).data)
    assert answer["as_of"] > answer["as_of_before"]
    body = listener.wait_for("SYNC_UPDATES_AVAILABLE")
    assert body["item_id"] == exchanged.item_id
    assert body["initial_update_complete"] and body["historical_update_complete"]
    cursor, pages = sync_all(api, token, cursor, state)
    after = truth.user_truth(truth.connect(args.database), email)
    compare(state, after, "after advancing 7 days, /transactions/sync applied")
    print("check: all passed")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"check: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
