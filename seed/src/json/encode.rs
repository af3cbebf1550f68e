//! Hand-written pretty JSON for the row models: the bytes `serde_json`'s pretty printer
//! produces, written field by field without the serializer's per-value dispatch.
//!
//! Encoding is most of the generator's time, so it is worth the code; a test compares every
//! record type against `serde_json` on thousands of generated rows, and the golden digest
//! pins the whole file.

use backend::{
    Account, PersonaLabel, RecurringStream, RecurringStreamTransaction, Transaction, User,
};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// `value` as serde_json's pretty printer writes it `depth` levels deep in a document.
/// serde_json escapes newlines inside strings, so every raw newline starts a new line of
/// the layout and only needs the deeper indent.
pub(super) fn nested_pretty<T: serde::Serialize>(value: &T, depth: usize) -> String {
    let pretty = serde_json::to_string_pretty(value).expect("serialising into memory cannot fail");
    pretty.replace('\n', &format!("\n{}", "  ".repeat(depth)))
}

/// Appends `,\n    {…}` to `out`: `value` as an array element two levels deep, through
/// serde_json's own pretty printer, for the run's tables, whose few rows need no speed
/// (used only where a run table is declared: none in the product yet).
#[cfg_attr(not(test), allow(dead_code))]
pub(super) fn encode_serialized<T: serde::Serialize>(value: &T, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\n    ");
    out.extend_from_slice(nested_pretty(value, 2).as_bytes());
}

/// A row that can write itself as a JSON array element two levels deep. Every seeded model
/// implements it (see [`crate::tables`]); a test compares each with serde_json.
pub(crate) trait Record: serde::Serialize {
    /// Appends `,\n    {…}` to `out`.
    fn encode(&self, out: &mut Vec<u8>);
}

/// Field writers for an object whose fields are indented six spaces.
struct Object<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Object<'a> {
    fn begin(out: &'a mut Vec<u8>) -> Self {
        out.extend_from_slice(b",\n    {");
        Object { out, first: true }
    }

    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(if self.first {
            b"\n      \""
        } else {
            b",\n      \""
        });
        self.first = false;
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    fn int(&mut self, key: &str, value: i64) {
        self.key(key);
        self.out
            .extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    }

    fn bool(&mut self, key: &str, value: bool) {
        self.key(key);
        self.out
            .extend_from_slice(if value { b"true" } else { b"false" });
    }

    fn timestamp(&mut self, key: &str, value: &NaiveDateTime) {
        self.key(key);
        write_timestamp(self.out, value);
    }

    fn date(&mut self, key: &str, value: &NaiveDate) {
        self.key(key);
        write_date(self.out, value);
    }

    fn opt_date(&mut self, key: &str, value: Option<&NaiveDate>) {
        match value {
            Some(v) => self.date(key, v),
            None => self.null(key),
        }
    }

    /// A list of strings, one per line eight spaces deep, as serde_json prints it.
    fn str_list<'v>(&mut self, key: &str, values: impl ExactSizeIterator<Item = &'v str>) {
        self.key(key);
        if values.len() == 0 {
            self.out.extend_from_slice(b"[]");
            return;
        }
        self.out.push(b'[');
        for (i, value) in values.enumerate() {
            self.out.extend_from_slice(if i == 0 {
                b"\n        "
            } else {
                b",\n        "
            });
            write_str(self.out, value);
        }
        self.out.extend_from_slice(b"\n      ]");
    }

    fn opt_int(&mut self, key: &str, value: Option<i64>) {
        match value {
            Some(v) => self.int(key, v),
            None => self.null(key),
        }
    }

    fn opt_bool(&mut self, key: &str, value: Option<bool>) {
        match value {
            Some(v) => self.bool(key, v),
            None => self.null(key),
        }
    }

    fn opt_f64(&mut self, key: &str, value: Option<f64>) {
        // Floats are rare (one per card), so serde_json's own float printing is used as is.
        self.key(key);
        serde_json::to_writer(&mut *self.out, &value)
            .expect("serialising a float into memory cannot fail");
    }

    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        match value {
            Some(v) => self.str(key, v),
            None => self.null(key),
        }
    }

    fn null(&mut self, key: &str) {
        self.key(key);
        self.out.extend_from_slice(b"null");
    }

    fn end(self) {
        self.out
            .extend_from_slice(if self.first { b"}" } else { b"\n    }" });
    }
}

/// Writes a JSON string the way serde_json does: `"` `\` and control characters escaped,
/// everything else (including non-ASCII) as is.
fn write_str(out: &mut Vec<u8>, value: &str) {
    out.push(b'"');
    let bytes = value.as_bytes();
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
    } else {
        for &b in bytes {
            match b {
                b'"' => out.extend_from_slice(b"\\\""),
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0x00..=0x1f => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 0xf)]);
                }
                _ => out.push(b),
            }
        }
    }
    out.push(b'"');
}

/// Whether any byte of `bytes` must be escaped in a JSON string: a control character, a
/// quote or a backslash. Eight bytes at a time (nearly every string the seeder writes has
/// none), with the classic test for a zero byte in a word.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // Some byte of `word` is zero: borrows into its high bit that the byte did not have.
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    let mut words = bytes.chunks_exact(8);
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // A byte below 0x20 has all of 0xE0 clear; ASCII above it and every UTF-8 byte of
        // a longer character has one of them set.
        if has_zero(word & (0xE0 * ONES))
            || has_zero(word ^ (u64::from(b'"') * ONES))
            || has_zero(word ^ (u64::from(b'\\') * ONES))
        {
            return true;
        }
    }
    words
        .remainder()
        .iter()
        .any(|&b| b < 0x20 || b == b'"' || b == b'\\')
}

/// Writes `"YYYY-MM-DD"` as chrono's serializer does for years 0-9999; anything else goes
/// through chrono itself.
fn write_date(out: &mut Vec<u8>, value: &NaiveDate) {
    let year = value.year();
    if !(0..=9999).contains(&year) {
        serde_json::to_writer(&mut *out, value)
            .expect("serialising a date into memory cannot fail");
        return;
    }
    let two = |out: &mut Vec<u8>, n: u32| {
        out.push(b'0' + (n / 10) as u8);
        out.push(b'0' + (n % 10) as u8);
    };
    let year = year as u32;
    out.push(b'"');
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, value.month());
    out.push(b'-');
    two(out, value.day());
    out.push(b'"');
}

/// Writes `"YYYY-MM-DDTHH:MM:SS"` as chrono's serializer does for whole seconds in years
/// 0-9999; anything else goes through chrono itself.
fn write_timestamp(out: &mut Vec<u8>, value: &NaiveDateTime) {
    let year = value.year();
    if value.nanosecond() != 0 || !(0..=9999).contains(&year) {
        serde_json::to_writer(&mut *out, value)
            .expect("serialising a timestamp into memory cannot fail");
        return;
    }
    let two = |out: &mut Vec<u8>, n: u32| {
        out.push(b'0' + (n / 10) as u8);
        out.push(b'0' + (n % 10) as u8);
    };
    let year = year as u32;
    out.push(b'"');
    two(out, year / 100);
    two(out, year % 100);
    out.push(b'-');
    two(out, value.month());
    out.push(b'-');
    two(out, value.day());
    out.push(b'T');
    two(out, value.hour());
    out.push(b':');
    two(out, value.minute());
    out.push(b':');
    two(out, value.second());
    out.push(b'"');
}

// Each encoder takes its model apart with a pattern that names every field and has no `..`:
// a column added to a model cannot be forgotten here, the pattern stops compiling.

impl Record for User {
    fn encode(&self, out: &mut Vec<u8>) {
        let User {
            id,
            name,
            email,
            consent,
            created_at,
        } = self;
        let mut o = Object::begin(out);
        o.str("id", id);
        o.str("name", name);
        o.str("email", email);
        o.bool("consent", *consent);
        o.timestamp("created_at", created_at);
        o.end();
    }
}

impl Record for Account {
    fn encode(&self, out: &mut Vec<u8>) {
        let Account {
            id,
            user_id,
            name,
            account_type,
            subtype,
            mask,
            balance,
            currency,
            credit_limit,
            apr,
            min_payment,
            is_overdue,
            last_statement_balance,
            last_statement_issue_date,
            next_payment_due_date,
            last_payment_amount,
            last_payment_date,
        } = self;
        let mut o = Object::begin(out);
        o.str("id", id);
        o.str("user_id", user_id);
        o.str("name", name);
        o.str("type", account_type);
        o.str("subtype", subtype);
        o.str("mask", mask);
        o.int("balance", *balance);
        o.str("currency", currency);
        o.opt_int("credit_limit", *credit_limit);
        o.opt_f64("apr", *apr);
        o.opt_int("min_payment", *min_payment);
        o.opt_bool("is_overdue", *is_overdue);
        o.opt_int("last_statement_balance", *last_statement_balance);
        o.opt_date(
            "last_statement_issue_date",
            last_statement_issue_date.as_ref(),
        );
        o.opt_date("next_payment_due_date", next_payment_due_date.as_ref());
        o.opt_int("last_payment_amount", *last_payment_amount);
        o.opt_date("last_payment_date", last_payment_date.as_ref());
        o.end();
    }
}

impl Record for Transaction {
    fn encode(&self, out: &mut Vec<u8>) {
        let Transaction {
            id,
            account_id,
            date,
            amount,
            category,
            merchant_name,
            pending,
            pending_transaction_id,
            category_detailed,
        } = self;
        let mut o = Object::begin(out);
        o.str("id", id);
        o.str("account_id", account_id);
        o.timestamp("date", date);
        o.int("amount", *amount);
        o.str("category", category);
        o.str("merchant_name", merchant_name);
        o.bool("pending", *pending);
        o.opt_str("pending_transaction_id", pending_transaction_id.as_deref());
        o.opt_str("category_detailed", category_detailed.as_deref());
        o.end();
    }
}

impl Record for PersonaLabel {
    fn encode(&self, out: &mut Vec<u8>) {
        let PersonaLabel { user_id, persona } = self;
        let mut o = Object::begin(out);
        o.str("user_id", user_id);
        o.str("persona", persona);
        o.end();
    }
}

/// A row whose records also hold the rows of a child table, written inside them.
pub(crate) trait Parent: Sized {
    /// The child rows' type.
    type Child;

    /// Whether `child` belongs to this row.
    fn owns(&self, child: &Self::Child) -> bool;

    /// Appends `,\n    {…}` to `out`, with `children` (this row's, in order) inside.
    fn encode_with(&self, children: &[Self::Child], out: &mut Vec<u8>);
}

/// Encodes `parents`, each with its run of `children`: a batch holds each parent's children
/// together, in parent order.
pub(crate) fn encode_nested<P: Parent>(parents: &[P], children: &[P::Child], out: &mut Vec<u8>) {
    let mut rest = children;
    for parent in parents {
        let mine = rest.iter().take_while(|c| parent.owns(c)).count();
        parent.encode_with(&rest[..mine], out);
        rest = &rest[mine..];
    }
    debug_assert!(rest.is_empty(), "children out of their parents' order");
}

impl Parent for RecurringStream {
    type Child = RecurringStreamTransaction;

    fn owns(&self, child: &RecurringStreamTransaction) -> bool {
        child.stream_id == self.id
    }

    fn encode_with(&self, links: &[RecurringStreamTransaction], out: &mut Vec<u8>) {
        let RecurringStream {
            id,
            account_id,
            direction,
            merchant_name,
            category,
            frequency,
            amount,
            first_date,
            last_date,
            next_date,
        } = self;
        let mut o = Object::begin(out);
        o.str("id", id);
        o.str("account_id", account_id);
        o.str("direction", direction);
        o.str("merchant_name", merchant_name);
        o.str("category", category);
        o.str("frequency", frequency);
        o.int("amount", *amount);
        o.date("first_date", first_date);
        o.date("last_date", last_date);
        o.date("next_date", next_date);
        o.str_list(
            "transaction_ids",
            links.iter().map(|l| l.transaction_id.as_str()),
        );
        o.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serde_element<T: serde::Serialize>(value: &T) -> Vec<u8> {
        format!(",\n    {}", nested_pretty(value, 2)).into_bytes()
    }

    fn check<T: Record>(value: &T) {
        let mut mine = Vec::new();
        value.encode(&mut mine);
        assert_eq!(
            String::from_utf8(mine).unwrap(),
            String::from_utf8(serde_element(value)).unwrap()
        );
    }

    #[test]
    fn odd_values_encode_as_serde_json_does() {
        let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 2).unwrap();
        let user = User {
            id: "a\"b\\c\n\t\u{1}\u{1f}\u{8}\u{c}\r/é€😀".into(),
            name: String::new(),
            email: "x@example.com".into(),
            consent: true,
            created_at: date.and_hms_nano_opt(3, 4, 5, 600_000_000).unwrap(),
        };
        check(&user);
        let mut account = Account {
            id: "1".into(),
            user_id: "2".into(),
            name: "n".into(),
            account_type: "credit".into(),
            subtype: "credit_card".into(),
            mask: "0001".into(),
            balance: i64::MIN,
            currency: "USD".into(),
            credit_limit: Some(i64::MAX),
            apr: Some(18.0),
            min_payment: Some(-1),
            is_overdue: Some(false),
            last_statement_balance: Some(-5),
            last_statement_issue_date: chrono::NaiveDate::from_ymd_opt(2025, 1, 31),
            next_payment_due_date: chrono::NaiveDate::from_ymd_opt(12_000, 2, 25),
            last_payment_amount: None,
            last_payment_date: chrono::NaiveDate::from_ymd_opt(3, 3, 3),
        };
        check(&account);
        for apr in [
            Some(12.99),
            Some(29.99),
            Some(0.1),
            Some(1e21),
            Some(f64::NAN),
            None,
        ] {
            account.apr = apr;
            check(&account);
        }
        let transaction = Transaction {
            id: "t".into(),
            account_id: "a".into(),
            date: chrono::NaiveDate::from_ymd_opt(987, 12, 31)
                .unwrap()
                .and_hms_opt(23, 59, 59)
                .unwrap(),
            amount: 0,
            category: "INCOME".into(),
            merchant_name: "O'Brien & \"Sons\"".into(),
            pending: false,
            pending_transaction_id: None,
            category_detailed: None,
        };
        check(&transaction);
        check(&Transaction {
            pending_transaction_id: Some("p\u{7f}\\".into()),
            category_detailed: Some("FOOD_AND_DRINK_GROCERIES".into()),
            ..transaction.clone()
        });
        check(&PersonaLabel {
            user_id: "u".into(),
            persona: "steady".into(),
        });
        let stream = RecurringStream {
            id: "s".into(),
            account_id: "a".into(),
            direction: "outflow".into(),
            merchant_name: "Tunewave \"Music\"".into(),
            category: "ENTERTAINMENT".into(),
            frequency: "MONTHLY".into(),
            amount: 1_299,
            first_date: date,
            last_date: date,
            next_date: chrono::NaiveDate::from_ymd_opt(2025, 2, 2).unwrap(),
        };
        for ids in [vec![], vec!["t1"], vec!["t1", "t\"2", "t3"]] {
            let links: Vec<RecurringStreamTransaction> = ids
                .iter()
                .map(|id| RecurringStreamTransaction {
                    stream_id: "s".into(),
                    transaction_id: (*id).into(),
                })
                .collect();
            let mut mine = Vec::new();
            stream.encode_with(&links, &mut mine);
            let record = crate::tables::StreamRecord::new(
                stream.clone(),
                ids.iter().map(|id| (*id).to_owned()).collect(),
            );
            assert_eq!(
                String::from_utf8(mine).unwrap(),
                String::from_utf8(serde_element(&record)).unwrap()
            );
        }
    }

    #[test]
    fn the_escape_scan_finds_every_byte_that_needs_escaping_at_every_position() {
        let naive = |bytes: &[u8]| bytes.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        for len in 0..20 {
            for at in 0..len {
                for byte in 0..=255u8 {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = byte;
                    assert_eq!(needs_escape(&bytes), naive(&bytes), "{bytes:?}");
                }
            }
        }
        for text in [
            "Caf\u{e9} \u{2603}",
            "tab\there",
            "O'Brien \"x\"",
            "\u{7f}\u{80}\u{ff}",
        ] {
            assert_eq!(
                needs_escape(text.as_bytes()),
                naive(text.as_bytes()),
                "{text}"
            );
        }
    }
}
