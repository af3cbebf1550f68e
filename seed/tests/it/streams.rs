//! Draws keyed by purpose: changing one part of the profile moves only the values drawn for
//! that part, and what is derived from them.

use seed::dataset::Dataset;
use seed::generate::GenConfig;
use seed::profile::{Profile, STORY_PROFILE};

use crate::support::as_of;

fn dataset_with(profile: &str, users: u64) -> Dataset {
    let profile = Profile::parse(profile, "test.toml", "test profile").expect("a valid profile");
    let config = GenConfig::with_profile(42, as_of(), profile);
    let meta = config.meta(users);
    Dataset::from_batches(
        meta,
        (0..users).map(|i| seed::generate::generate_user(&config, i)),
    )
}

/// Groceries cost more, spread wider and start higher, so more of their draws fall out of
/// range and are redrawn: 800 users hold about 5,000 grocery purchases (told by their
/// detailed category, since a few still show a raw descriptor for a merchant).
#[test]
fn a_new_amount_distribution_moves_amounts_and_balances_only() {
    let before_text = STORY_PROFILE;
    let groceries =
        "amount = { min_cents = 1_200, median_cents = 6_400, max_cents = 25_000, spread = 0.55 }";
    assert!(before_text.contains(groceries));
    let after_text = before_text.replacen(
        groceries,
        "amount = { min_cents = 3_000, median_cents = 9_100, max_cents = 20_000, spread = 0.8 }",
        1,
    );
    let before = dataset_with(before_text, 800);
    let after = dataset_with(&after_text, 800);

    assert_eq!(before.users, after.users, "users changed");
    assert_eq!(before.persona_labels, after.persona_labels);
    assert_eq!(before.accounts.len(), after.accounts.len());
    for (b, a) in before.accounts.iter().zip(&after.accounts) {
        let kind = |x: &backend::Account| {
            (
                x.id.clone(),
                x.user_id.clone(),
                x.name.clone(),
                x.mask.clone(),
                x.account_type.clone(),
                x.subtype.clone(),
            )
        };
        assert_eq!(kind(b), kind(a));
    }
    assert_eq!(before.transactions.len(), after.transactions.len());
    let (mut grocery_rows, mut grocery_changed, mut other_changed) = (0, 0, 0);
    for (b, a) in before.transactions.iter().zip(&after.transactions) {
        let fixed = |x: &backend::Transaction| {
            (
                x.id.clone(),
                x.account_id.clone(),
                x.date,
                x.category.clone(),
                x.merchant_name.clone(),
                x.pending,
            )
        };
        assert_eq!(fixed(b), fixed(a), "only the amount may change");
        // A grocery purchase, its pending authorisation or a voided one beside it.
        if b.category_detailed.as_deref() == Some("FOOD_AND_DRINK_GROCERIES") {
            grocery_rows += 1;
            grocery_changed += usize::from(b.amount != a.amount);
            assert!((3_000..=20_000).contains(&a.amount), "{a:?}");
        } else {
            other_changed += usize::from(b.amount != a.amount);
        }
    }
    assert!(grocery_rows > 4_000, "{grocery_rows} grocery purchases");
    // A grocery amount may come out the same by chance, but hardly ever.
    assert!(
        grocery_changed * 100 > grocery_rows * 95,
        "{grocery_changed}/{grocery_rows}"
    );
    assert_eq!(other_changed, 0, "amounts of other merchants moved");
    // Balances follow the amounts: some card balances (which cover recent charges) move.
    let moved = before
        .accounts
        .iter()
        .zip(&after.accounts)
        .filter(|(b, a)| b.balance != a.balance)
        .count();
    assert!(moved > 0, "no balance followed the new amounts");
}
