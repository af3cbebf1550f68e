//! What linking sets, kept in memory: public tokens waiting to be exchanged, and each linked
//! Item's webhook, institution and products. None of it is in the database (the API writes
//! nothing there), so a restarted server has every Item unlinked again: its access token still
//! works, with no webhook until the next `/sandbox/public_token/create`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a public token can be exchanged, as at Plaid.
pub const PUBLIC_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// At most this many public tokens wait at once; the oldest goes first.
const MAX_WAITING: usize = 10_000;

/// What a link set on an Item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// `options.webhook`, if given.
    pub webhook: Option<String>,
    /// The `institution_id` it was linked at.
    pub institution_id: Option<String>,
    /// Its `initial_products`.
    pub products: Vec<String>,
}

/// Public tokens and links.
#[derive(Debug, Default)]
pub struct Links {
    waiting: HashMap<String, (String, Instant)>,
    next: u64,
    linked: HashMap<String, Link>,
}

impl Links {
    /// Records a link of `item_id` and returns a public token for it.
    pub fn create(&mut self, item_id: &str, link: Link, now: Instant) -> String {
        self.waiting
            .retain(|_, (_, at)| now.duration_since(*at) < PUBLIC_TOKEN_LIFETIME);
        if self.waiting.len() >= MAX_WAITING
            && let Some(oldest) = self
                .waiting
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(token, _)| token.clone())
        {
            self.waiting.remove(&oldest);
        }
        self.next += 1;
        let token = format!(
            "public-sandbox-{}",
            uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_OID,
                format!("{item_id}\n{}\n{:?}", self.next, now).as_bytes()
            )
        );
        self.waiting
            .insert(token.clone(), (item_id.to_owned(), now));
        self.linked.insert(item_id.to_owned(), link);
        token
    }

    /// Exchanges a public token (once) for its Item's id.
    pub fn exchange(&mut self, public_token: &str, now: Instant) -> Option<String> {
        let (item_id, at) = self.waiting.remove(public_token)?;
        (now.duration_since(at) < PUBLIC_TOKEN_LIFETIME).then_some(item_id)
    }

    /// What the last link of `item_id` set.
    pub fn link(&self, item_id: &str) -> Option<&Link> {
        self.linked.get(item_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_public_token_is_exchanged_once_and_expires() {
        let mut links = Links::default();
        let now = Instant::now();
        let link = Link {
            webhook: Some("http://127.0.0.1:1/".into()),
            ..Link::default()
        };
        let token = links.create("item", link.clone(), now);
        assert!(token.starts_with("public-sandbox-"));
        assert_eq!(links.link("item"), Some(&link));
        assert_eq!(links.exchange(&token, now).as_deref(), Some("item"));
        assert_eq!(links.exchange(&token, now), None);
        let late = links.create("item", Link::default(), now);
        assert_ne!(late, token);
        assert_eq!(links.exchange(&late, now + PUBLIC_TOKEN_LIFETIME), None);
    }
}
