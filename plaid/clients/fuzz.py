"""A fuzz pass over the local Plaid API's request bodies: wrong types, huge numbers, deep
nesting, 10 MiB bodies, invalid UTF-8, unknown fields, truncated and non-object JSON, on every
endpoint. Every answer must be a Plaid-shaped error with a 4xx status (never a 5xx, never a
dropped connection), the server must still answer a valid request afterwards, and its log
must hold no panic.

Usage: fuzz.py --url http://127.0.0.1:PORT --token ACCESS_TOKEN --log SERVER_STDERR_FILE
       [--seed N]
Needs only Python's standard library; requests are written on raw sockets so that bodies
no HTTP library would send (invalid UTF-8, lying lengths) go out as they are.
"""

import argparse
import json
import random
import socket
import sys
import threading
import urllib.parse

CLIENT_ID = "spendsense-client-id"
SECRET = "spendsense-sandbox-secret"
HUGE = [10**30, -(10**30), 1e308, -1, 0, 1.5, 2**63]
WRONG = {str: [7, True, [], {}, 1e308], int: ["9", True, [], {}], bool: ["yes", 1, []],
         list: ["x", 3, {}], dict: ["x", 3, []]}


def valid_bodies(token):
    """One valid body per endpoint. None of them, once mutated, may succeed."""
    return {
        "/link/token/create": {"client_name": "SpendSense", "language": "en",
                               "country_codes": ["US"], "user": {"client_user_id": "u1"}},
        "/sandbox/public_token/create": {"institution_id": "ins_109508",
                                         "initial_products": ["transactions"],
                                         "options": {"override_username": "nobody@example.com"}},
        "/item/public_token/exchange": {"public_token": "public-sandbox-x"},
        "/item/get": {"access_token": token},
        "/accounts/get": {"access_token": token, "options": {"account_ids": []}},
        "/accounts/balance/get": {"access_token": token},
        "/liabilities/get": {"access_token": token},
        "/transactions/sync": {"access_token": token, "cursor": "", "count": 100,
                               "options": {"include_original_description": True}},
        "/transactions/get": {"access_token": token, "start_date": "2025-01-01",
                              "end_date": "2025-06-01", "options": {"count": 10, "offset": 0}},
        "/transactions/recurring/get": {"access_token": token},
        "/sandbox/item/fire_webhook": {"access_token": token, "webhook_code": "DEFAULT_UPDATE"},
        "/seed/advance": {"days": 1},
    }


def mutations(body, rng):
    """Bodies that each break `body` one way."""
    out = []
    for key, value in body.items():
        for wrong in WRONG.get(type(value), []):
            out.append(json.dumps(body | {key: wrong}).encode())
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # A count past Plaid's bound of 500 is out of range too (a day count is not).
            for huge in HUGE + ([501] if key == "count" else []):
                out.append(json.dumps(body | {key: huge}).encode())
        if isinstance(value, dict):
            out.append(json.dumps(body | {key: value | {"unknown_option": 1}}).encode())
        out.append(json.dumps({k: v for k, v in body.items() if k != key} | {"x": 1}).encode())
        deep = "[" * 5000 + "]" * 5000
        out.append(json.dumps(body)[:-1].encode() + f', "{key}": {deep}}}'.encode())
        raw = json.dumps(body | {key: "\u00e9"}, ensure_ascii=False).encode().replace(b"\xc3\xa9", b"\xff\xfe")
        out.append(raw)
    text = json.dumps(body).encode()
    out += [
        json.dumps(body | {"unknown_field": True}).encode(),
        text[: len(text) // 2],
        b"",
        b"null",
        b"[1, 2, 3]",
        b"\"a string\"",
        b"{" * 100000,
        b"[" * 100000,
        bytes(rng.randrange(256) for _ in range(512)),
        text.replace(b"{", b"{\"access_token\": 1, ", 1),
        json.dumps(body | {"n": "1" * 5000}).encode(),
        b'{"access_token": "' + b"\x00" * 64 + b'"}',
    ]
    return out


def request(url, path, body, headers=None, timeout=30):
    """POSTs raw `body`; returns (status, parsed JSON body)."""
    parts = urllib.parse.urlsplit(url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Connection: close",
            "Content-Type: application/json", f"PLAID-CLIENT-ID: {CLIENT_ID}",
            f"PLAID-SECRET: {SECRET}", f"Content-Length: {len(body)}"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)

    def send():
        # The server may answer (413) and close before the whole body is sent.
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        except OSError:
            pass

    sender = threading.Thread(target=send)
    sender.start()
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    sender.join()
    sock.close()
    response = b"".join(chunks)
    assert response, f"{path}: the connection closed without an answer"
    head, _, payload = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    if b"transfer-encoding: chunked" in head.lower():
        payload = dechunk(payload)
    return status, json.loads(payload)


def dechunk(data):
    out = b""
    while data:
        size, _, rest = data.partition(b"\r\n")
        n = int(size, 16)
        if n == 0:
            break
        out, data = out + rest[:n], rest[n + 2:]
    return out


def check_error(path, status, body, what):
    assert 400 <= status < 500, f"{path} {what}: status {status}: {body}"
    for key in ("error_type", "error_code", "error_message", "display_message", "request_id"):
        assert key in body, f"{path} {what}: the error lacks {key}: {body}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    sent = 0
    for path, body in valid_bodies(args.token).items():
        for i, mutated in enumerate(mutations(body, rng)):
            status, answer = request(args.url, path, mutated)
            check_error(path, status, answer, f"mutation {i} ({mutated[:80]!r})")
            sent += 1
    big = b'{"access_token": "' + b"a" * (10 << 20) + b'"}'
    for path in ("/item/get", "/transactions/sync"):
        status, answer = request(args.url, path, big)
        check_error(path, status, answer, "10 MiB body")
        assert status == 413, f"{path}: a 10 MiB body answered {status}"
        sent += 1
    status, answer = request(args.url, "/item/get", b"{}", {"PLAID-SECRET": "x"})
    check_error("/item/get", status, answer, "a second secret header")
    status, answer = request(args.url, "/item/get", json.dumps({"access_token": args.token}).encode())
    assert status == 200 and answer["item"]["item_id"], f"the server stopped serving: {answer}"
    log = open(args.log, encoding="utf-8", errors="replace").read()
    assert "panicked" not in log, "the server's log holds a panic"
    print(f"fuzz: {sent + 1} bad requests, each a Plaid-shaped 4xx; no panic; still serving")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"fuzz: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
