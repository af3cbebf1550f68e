//! Items: one per seeded user, holding that user's accounts. Item ids and access tokens are
//! derived from what the data is (the seed run's seed, profile and timeline origin) and the
//! user's id, so the same data gives the same tokens on every machine and after every
//! restart or advance, and tests can read them from `--tokens`.

use std::collections::HashMap;

use backend::AnyConnection;
use backend::schema::{seed_runs, users};
use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

/// The namespace of every id this crate derives (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x5d3f_7c1e_9a4b_4e08_b6a2_61f0_c3d8_e917);

/// What seeded the data: a reseed with other settings is other data, with other tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataIdentity {
    /// `seed_runs.seed`.
    pub seed: String,
    /// `seed_runs.profile`.
    pub profile: String,
    /// `seed_runs.origin` (the as-of date for runs recorded before timelines existed).
    pub origin: NaiveDate,
}

impl DataIdentity {
    /// The identity of the first run that seeded the database, or `None` if none did.
    pub fn read(conn: &mut AnyConnection) -> QueryResult<Option<DataIdentity>> {
        let first: Option<(String, String, Option<NaiveDate>, NaiveDate)> = seed_runs::table
            .order((seed_runs::finished_at, seed_runs::id))
            .select((
                seed_runs::seed,
                seed_runs::profile,
                seed_runs::origin,
                seed_runs::as_of,
            ))
            .first(conn)
            .optional()?;
        Ok(first.map(|(seed, profile, origin, as_of)| DataIdentity {
            seed,
            profile,
            origin: origin.unwrap_or(as_of),
        }))
    }

    fn derive(&self, purpose: &str, user_id: &str) -> Uuid {
        let name = format!(
            "{purpose}\n{}\n{}\n{}\n{user_id}",
            self.seed, self.profile, self.origin
        );
        Uuid::new_v5(&NAMESPACE, name.as_bytes())
    }

    /// The Item of the user `user_id` with `email`.
    pub fn item(&self, user_id: &str, email: &str) -> Item {
        Item {
            user_id: user_id.to_owned(),
            email: email.to_owned(),
            item_id: self.derive("item", user_id).simple().to_string(),
            access_token: format!("access-sandbox-{}", self.derive("access", user_id)),
        }
    }
}

/// One user's Item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The seeded user, a `users.id`.
    pub user_id: String,
    /// The user's email: what `override_username` names.
    pub email: String,
    /// Plaid's `item_id`.
    pub item_id: String,
    /// Plaid's `access_token`: `access-sandbox-<uuid>`.
    pub access_token: String,
}

/// Every Item of the database, found by token, email, item id or user.
#[derive(Debug, Default)]
pub struct Items {
    list: Vec<Item>,
    by_token: HashMap<String, usize>,
    by_email: HashMap<String, usize>,
    by_item_id: HashMap<String, usize>,
    by_user: HashMap<String, usize>,
}

impl Items {
    /// The Items of every user, ordered by email.
    pub fn read(conn: &mut AnyConnection, identity: &DataIdentity) -> QueryResult<Items> {
        let people: Vec<(String, String)> = users::table
            .order(users::email)
            .select((users::id, users::email))
            .load(conn)?;
        Ok(Items::new(
            people
                .iter()
                .map(|(id, email)| identity.item(id, email))
                .collect(),
        ))
    }

    /// Indexes `list`.
    pub fn new(list: Vec<Item>) -> Items {
        let index = |key: fn(&Item) -> &String| -> HashMap<String, usize> {
            list.iter()
                .enumerate()
                .map(|(i, item)| (key(item).clone(), i))
                .collect()
        };
        Items {
            by_token: index(|i| &i.access_token),
            by_email: index(|i| &i.email),
            by_item_id: index(|i| &i.item_id),
            by_user: index(|i| &i.user_id),
            list,
        }
    }

    /// Every Item, ordered by email.
    pub fn all(&self) -> &[Item] {
        &self.list
    }

    /// The Item an access token opens.
    pub fn by_token(&self, token: &str) -> Option<&Item> {
        self.by_token.get(token).map(|&i| &self.list[i])
    }

    /// The Item of the user with `email`.
    pub fn by_email(&self, email: &str) -> Option<&Item> {
        self.by_email.get(email).map(|&i| &self.list[i])
    }

    /// The Item with `item_id`.
    pub fn by_item_id(&self, item_id: &str) -> Option<&Item> {
        self.by_item_id.get(item_id).map(|&i| &self.list[i])
    }

    /// The Item of the user `user_id`.
    pub fn by_user(&self, user_id: &str) -> Option<&Item> {
        self.by_user.get(user_id).map(|&i| &self.list[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(seed: &str) -> DataIdentity {
        DataIdentity {
            seed: seed.into(),
            profile: "story".into(),
            origin: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
        }
    }

    #[test]
    fn tokens_depend_on_the_data_and_the_user_only() {
        let a = identity("42").item("u1", "a@example.com");
        assert_eq!(a, identity("42").item("u1", "a@example.com"));
        assert_ne!(
            a.access_token,
            identity("43").item("u1", "a@example.com").access_token
        );
        assert_ne!(
            a.access_token,
            identity("42").item("u2", "a@example.com").access_token
        );
        assert!(a.access_token.starts_with("access-sandbox-"));
        assert_eq!(a.access_token.len(), "access-sandbox-".len() + 36);
        assert_eq!(a.item_id.len(), 32);
        let items = Items::new(vec![a.clone()]);
        assert_eq!(items.by_token(&a.access_token), Some(&a));
        assert_eq!(items.by_email("a@example.com"), Some(&a));
        assert_eq!(items.by_item_id(&a.item_id), Some(&a));
        assert_eq!(items.by_user("u1"), Some(&a));
        assert_eq!(items.by_token("access-sandbox-x"), None);
    }
}
