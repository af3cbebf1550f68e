//! The shapes that flow through the seeder: one user's rows, batches of rows, the file's meta.

use backend::{Account, PersonaLabel, Transaction, User};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One generated user with all of their accounts and transactions, in output order.
#[derive(Debug, Clone, PartialEq)]
pub struct UserBundle {
    /// The user.
    pub user: User,
    /// The user's accounts, in generation order.
    pub accounts: Vec<Account>,
    /// The transactions of every account, grouped by account in account order, each group
    /// sorted by date, oldest first.
    pub transactions: Vec<Transaction>,
    /// The persona the user was generated as: ground truth, not app data.
    pub persona_label: PersonaLabel,
}

/// Rows on their way to a database, in any mix of tables. A batch from the generator holds
/// whole users; a batch from a JSON file holds one table's rows at a time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RowBatch {
    /// Rows for `users`.
    pub users: Vec<User>,
    /// Rows for `accounts`.
    pub accounts: Vec<Account>,
    /// Rows for `transactions`.
    pub transactions: Vec<Transaction>,
    /// Rows for `persona_labels`.
    pub persona_labels: Vec<PersonaLabel>,
}

impl RowBatch {
    /// Appends one user's rows.
    pub fn push_bundle(&mut self, bundle: UserBundle) {
        self.users.push(bundle.user);
        self.accounts.extend(bundle.accounts);
        self.transactions.extend(bundle.transactions);
        self.persona_labels.push(bundle.persona_label);
    }

    /// Row counts per table.
    pub fn counts(&self) -> RowCounts {
        RowCounts {
            users: self.users.len() as u64,
            accounts: self.accounts.len() as u64,
            transactions: self.transactions.len() as u64,
            persona_labels: self.persona_labels.len() as u64,
        }
    }

    /// Whether the batch holds no rows at all.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.accounts.is_empty()
            && self.transactions.is_empty()
            && self.persona_labels.is_empty()
    }
}

/// How many rows of each table a step produced.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RowCounts {
    /// Users.
    pub users: u64,
    /// Accounts.
    pub accounts: u64,
    /// Transactions.
    pub transactions: u64,
    /// Persona labels.
    pub persona_labels: u64,
}

impl RowCounts {
    /// Adds another count to this one.
    pub fn add(&mut self, other: RowCounts) {
        self.users += other.users;
        self.accounts += other.accounts;
        self.transactions += other.transactions;
        self.persona_labels += other.persona_labels;
    }

    /// All rows together.
    pub fn total(&self) -> u64 {
        self.users + self.accounts + self.transactions + self.persona_labels
    }
}

impl std::fmt::Display for RowCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} accounts, {} transactions",
            self.users, self.accounts, self.transactions
        )
    }
}

/// The `meta` object at the top of `users.json`: what produced the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The `--seed` the data was generated with.
    pub seed: u64,
    /// The `--as-of` date every generated date is relative to.
    pub as_of: NaiveDate,
    /// How many users the file holds.
    pub num_users: u64,
    /// The generator's name and version; output changes only with this string.
    pub generator: String,
}

/// A whole dataset in memory: the same JSON shape as `users.json`. The seeder itself streams
/// and never builds one; tests and small tools use it to compare whole files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    /// What produced the data.
    pub meta: Meta,
    /// Every user.
    pub users: Vec<User>,
    /// Every account.
    pub accounts: Vec<Account>,
    /// Every transaction.
    pub transactions: Vec<Transaction>,
    /// Every user's generated persona. Files written before personas existed lack the
    /// section; they read as having no labels.
    #[serde(default)]
    pub persona_labels: Vec<PersonaLabel>,
}

impl Dataset {
    /// Collects generated bundles into one dataset.
    pub fn from_bundles(meta: Meta, bundles: impl IntoIterator<Item = UserBundle>) -> Self {
        let mut rows = RowBatch::default();
        for bundle in bundles {
            rows.push_bundle(bundle);
        }
        Dataset {
            meta,
            users: rows.users,
            accounts: rows.accounts,
            transactions: rows.transactions,
            persona_labels: rows.persona_labels,
        }
    }
}
