// Plaid's official Node client (npm `plaid`) against the local Plaid API: a shorter version
// of ../python/check.py. It links the user of the truth file by email, exchanges the token,
// reads the accounts, syncs every page with count 100, rebuilds the user's transactions and
// compares them with the database's (the truth file, written by ../python/truth.py), and
// asserts each error case through the client's exception.
//
// Usage: node check.mjs --url http://127.0.0.1:PORT --truth PATH

import { readFileSync } from "node:fs";
import assert from "node:assert/strict";
import { Configuration, PlaidApi, Products } from "plaid";

const CLIENT_ID = "spendsense-client-id";
const SECRET = "spendsense-sandbox-secret";
const ALIASES = { UTILITIES: "RENT_AND_UTILITIES", HEALTHCARE: "MEDICAL" };

function arg(name) {
  const at = process.argv.indexOf(name);
  assert.ok(at > 0 && process.argv[at + 1], `missing ${name}`);
  return process.argv[at + 1];
}

function client(url, secret = SECRET) {
  return new PlaidApi(
    new Configuration({
      basePath: url,
      baseOptions: { headers: { "PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": secret } },
    }),
  );
}

const cents = (dollars) => Math.round(dollars * 100);

async function errorCode(call) {
  try {
    await call();
  } catch (e) {
    assert.ok(e.response, `no HTTP answer: ${e}`);
    for (const key of ["error_type", "error_code", "error_message", "display_message", "request_id"]) {
      assert.ok(key in e.response.data, `error body lacks ${key}`);
    }
    return [e.response.status, e.response.data.error_code];
  }
  assert.fail("the call succeeded");
}

const url = arg("--url");
const truth = JSON.parse(readFileSync(arg("--truth"), "utf8"));
const api = client(url);

const { data: created } = await api.sandboxPublicTokenCreate({
  institution_id: "ins_109508",
  initial_products: [Products.Transactions],
  options: { override_username: truth.email },
});
const { data: exchanged } = await api.itemPublicTokenExchange({ public_token: created.public_token });
const token = exchanged.access_token;
console.log(`check (node): linked ${truth.email} as item ${exchanged.item_id}`);

const { data: accounts } = await api.accountsGet({ access_token: token });
assert.deepEqual(
  accounts.accounts.map((a) => [a.account_id, cents(a.balances.current)]).sort(),
  truth.accounts.map((a) => [a.id, a.balance]).sort(),
);

const state = new Map();
let cursor = "";
let pages = 0;
for (;;) {
  const { data } = await api.transactionsSync({ access_token: token, cursor, count: 100 });
  pages += 1;
  assert.ok(data.added.length + data.modified.length + data.removed.length <= 100);
  for (const t of [...data.added, ...data.modified]) {
    if (t.pending_transaction_id) state.delete(t.pending_transaction_id);
    state.set(t.transaction_id, t);
  }
  for (const r of data.removed) state.delete(r.transaction_id);
  cursor = data.next_cursor;
  if (!data.has_more) break;
}
const expected = Object.entries(truth.transactions);
assert.equal(state.size, expected.length, "synced transactions differ in number");
for (const [id, row] of expected) {
  const t = state.get(id);
  assert.ok(t, `transaction ${id} missing`);
  assert.deepEqual(
    [t.account_id, t.date, cents(t.amount), t.pending, t.merchant_name, t.personal_finance_category.primary],
    [row.account_id, row.date, row.amount, row.pending, row.merchant_name, ALIASES[row.category] ?? row.category],
    `transaction ${id}`,
  );
}
console.log(`check (node): ${pages} pages synced, ${state.size} transactions equal the database`);

const cases = [
  ["INVALID_API_KEYS", 400, () => client(url, "wrong").itemGet({ access_token: token })],
  ["INVALID_ACCESS_TOKEN", 400, () => api.itemGet({ access_token: "access-sandbox-unknown" })],
  ["INVALID_FIELD", 400, () => api.transactionsSync({ access_token: token, count: 501 })],
  ["MISSING_FIELDS", 400, () => api.itemGet({})],
  ["UNKNOWN_FIELDS", 400, () => api.itemGet({ access_token: token, extra: 1 })],
];
for (const [code, status, call] of cases) {
  assert.deepEqual(await errorCode(call), [status, code], code);
}
console.log(`check (node): ${cases.length} error cases raise the client's exception with Plaid's codes`);
console.log("check (node): all passed");
