//! Plaid's personal-finance categories (the published taxonomy, version 1), in one place:
//! every primary with its detailed categories, the primary a seeded category name stands
//! for, and the detailed value a transaction gets when the generator knew no more than its
//! primary.

/// Every primary and its detailed categories; the last detailed entry of each primary is
/// its catch-all ("other").
const TAXONOMY: [(&str, &[&str]); 16] = [
    (
        "INCOME",
        &[
            "INCOME_DIVIDENDS",
            "INCOME_INTEREST_EARNED",
            "INCOME_RETIREMENT_PENSION",
            "INCOME_TAX_REFUND",
            "INCOME_UNEMPLOYMENT",
            "INCOME_WAGES",
            "INCOME_OTHER_INCOME",
        ],
    ),
    (
        "TRANSFER_IN",
        &[
            "TRANSFER_IN_CASH_ADVANCES_AND_LOANS",
            "TRANSFER_IN_DEPOSIT",
            "TRANSFER_IN_INVESTMENT_AND_RETIREMENT_FUNDS",
            "TRANSFER_IN_SAVINGS",
            "TRANSFER_IN_ACCOUNT_TRANSFER",
            "TRANSFER_IN_OTHER_TRANSFER_IN",
        ],
    ),
    (
        "TRANSFER_OUT",
        &[
            "TRANSFER_OUT_INVESTMENT_AND_RETIREMENT_FUNDS",
            "TRANSFER_OUT_SAVINGS",
            "TRANSFER_OUT_WITHDRAWAL",
            "TRANSFER_OUT_ACCOUNT_TRANSFER",
            "TRANSFER_OUT_OTHER_TRANSFER_OUT",
        ],
    ),
    (
        "LOAN_PAYMENTS",
        &[
            "LOAN_PAYMENTS_CAR_PAYMENT",
            "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT",
            "LOAN_PAYMENTS_PERSONAL_LOAN_PAYMENT",
            "LOAN_PAYMENTS_MORTGAGE_PAYMENT",
            "LOAN_PAYMENTS_STUDENT_LOAN_PAYMENT",
            "LOAN_PAYMENTS_OTHER_PAYMENT",
        ],
    ),
    (
        "BANK_FEES",
        &[
            "BANK_FEES_ATM_FEES",
            "BANK_FEES_FOREIGN_TRANSACTION_FEES",
            "BANK_FEES_INSUFFICIENT_FUNDS",
            "BANK_FEES_INTEREST_CHARGE",
            "BANK_FEES_OVERDRAFT_FEES",
            "BANK_FEES_OTHER_BANK_FEES",
        ],
    ),
    (
        "ENTERTAINMENT",
        &[
            "ENTERTAINMENT_CASINOS_AND_GAMBLING",
            "ENTERTAINMENT_MUSIC_AND_AUDIO",
            "ENTERTAINMENT_SPORTING_EVENTS_AMUSEMENT_PARKS_AND_MUSEUMS",
            "ENTERTAINMENT_TV_AND_MOVIES",
            "ENTERTAINMENT_VIDEO_GAMES",
            "ENTERTAINMENT_OTHER_ENTERTAINMENT",
        ],
    ),
    (
        "FOOD_AND_DRINK",
        &[
            "FOOD_AND_DRINK_BEER_WINE_AND_LIQUOR",
            "FOOD_AND_DRINK_COFFEE",
            "FOOD_AND_DRINK_FAST_FOOD",
            "FOOD_AND_DRINK_GROCERIES",
            "FOOD_AND_DRINK_RESTAURANT",
            "FOOD_AND_DRINK_VENDING_MACHINES",
            "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK",
        ],
    ),
    (
        "GENERAL_MERCHANDISE",
        &[
            "GENERAL_MERCHANDISE_BOOKSTORES_AND_NEWSSTANDS",
            "GENERAL_MERCHANDISE_CLOTHING_AND_ACCESSORIES",
            "GENERAL_MERCHANDISE_CONVENIENCE_STORES",
            "GENERAL_MERCHANDISE_DEPARTMENT_STORES",
            "GENERAL_MERCHANDISE_DISCOUNT_STORES",
            "GENERAL_MERCHANDISE_ELECTRONICS",
            "GENERAL_MERCHANDISE_GIFTS_AND_NOVELTIES",
            "GENERAL_MERCHANDISE_OFFICE_SUPPLIES",
            "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            "GENERAL_MERCHANDISE_PET_SUPPLIES",
            "GENERAL_MERCHANDISE_SPORTING_GOODS",
            "GENERAL_MERCHANDISE_SUPERSTORES",
            "GENERAL_MERCHANDISE_TOBACCO_AND_VAPE",
            "GENERAL_MERCHANDISE_OTHER_GENERAL_MERCHANDISE",
        ],
    ),
    (
        "HOME_IMPROVEMENT",
        &[
            "HOME_IMPROVEMENT_FURNITURE",
            "HOME_IMPROVEMENT_HARDWARE",
            "HOME_IMPROVEMENT_REPAIR_AND_MAINTENANCE",
            "HOME_IMPROVEMENT_SECURITY",
            "HOME_IMPROVEMENT_OTHER_HOME_IMPROVEMENT",
        ],
    ),
    (
        "MEDICAL",
        &[
            "MEDICAL_DENTAL_CARE",
            "MEDICAL_EYE_CARE",
            "MEDICAL_NURSING_CARE",
            "MEDICAL_PHARMACIES_AND_SUPPLEMENTS",
            "MEDICAL_PRIMARY_CARE",
            "MEDICAL_VETERINARY_SERVICES",
            "MEDICAL_OTHER_MEDICAL",
        ],
    ),
    (
        "PERSONAL_CARE",
        &[
            "PERSONAL_CARE_GYMS_AND_FITNESS_CENTERS",
            "PERSONAL_CARE_HAIR_AND_BEAUTY",
            "PERSONAL_CARE_LAUNDRY_AND_DRY_CLEANING",
            "PERSONAL_CARE_OTHER_PERSONAL_CARE",
        ],
    ),
    (
        "GENERAL_SERVICES",
        &[
            "GENERAL_SERVICES_ACCOUNTING_AND_FINANCIAL_PLANNING",
            "GENERAL_SERVICES_AUTOMOTIVE",
            "GENERAL_SERVICES_CHILDCARE",
            "GENERAL_SERVICES_CONSULTING_AND_LEGAL",
            "GENERAL_SERVICES_EDUCATION",
            "GENERAL_SERVICES_INSURANCE",
            "GENERAL_SERVICES_POSTAGE_AND_SHIPPING",
            "GENERAL_SERVICES_STORAGE",
            "GENERAL_SERVICES_OTHER_GENERAL_SERVICES",
        ],
    ),
    (
        "GOVERNMENT_AND_NON_PROFIT",
        &[
            "GOVERNMENT_AND_NON_PROFIT_DONATIONS",
            "GOVERNMENT_AND_NON_PROFIT_GOVERNMENT_DEPARTMENTS_AND_AGENCIES",
            "GOVERNMENT_AND_NON_PROFIT_TAX_PAYMENT",
            "GOVERNMENT_AND_NON_PROFIT_OTHER_GOVERNMENT_AND_NON_PROFIT",
        ],
    ),
    (
        "TRANSPORTATION",
        &[
            "TRANSPORTATION_BIKES_AND_SCOOTERS",
            "TRANSPORTATION_GAS",
            "TRANSPORTATION_PARKING",
            "TRANSPORTATION_PUBLIC_TRANSIT",
            "TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
            "TRANSPORTATION_TOLLS",
            "TRANSPORTATION_OTHER_TRANSPORTATION",
        ],
    ),
    (
        "TRAVEL",
        &[
            "TRAVEL_FLIGHTS",
            "TRAVEL_LODGING",
            "TRAVEL_RENTAL_CARS",
            "TRAVEL_OTHER_TRAVEL",
        ],
    ),
    (
        "RENT_AND_UTILITIES",
        &[
            "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY",
            "RENT_AND_UTILITIES_INTERNET_AND_CABLE",
            "RENT_AND_UTILITIES_RENT",
            "RENT_AND_UTILITIES_SEWAGE_AND_WASTE_MANAGEMENT",
            "RENT_AND_UTILITIES_TELEPHONE",
            "RENT_AND_UTILITIES_WATER",
            "RENT_AND_UTILITIES_OTHER_UTILITIES",
        ],
    ),
];

/// Seeded category names that are not Plaid primaries (the story profile's), and the primary
/// each stands for.
const ALIASES: [(&str, &str); 2] = [
    ("UTILITIES", "RENT_AND_UTILITIES"),
    ("HEALTHCARE", "MEDICAL"),
];

/// The primary for an unknown category name: Plaid's own catch-all for spending.
const FALLBACK_PRIMARY: &str = "GENERAL_MERCHANDISE";

/// A transaction's `personal_finance_category`: Plaid's primary and detailed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// Such as `FOOD_AND_DRINK`.
    pub primary: &'static str,
    /// Such as `FOOD_AND_DRINK_GROCERIES`.
    pub detailed: &'static str,
}

/// The category of a transaction whose seeded category is `category` and whose detailed
/// category, where the generator knew it, is `detailed`. A detailed value in the taxonomy
/// decides both; otherwise the primary comes from `category` and the detailed value is its
/// catch-all.
pub fn categorize(category: &str, detailed: Option<&str>) -> Category {
    if let Some(found) = detailed.and_then(find_detailed) {
        return found;
    }
    let primary = primary_of(category);
    let (primary, details) = TAXONOMY
        .iter()
        .find(|(p, _)| *p == primary)
        .expect("primary_of returns a primary of the taxonomy");
    Category {
        primary,
        detailed: details.last().expect("every primary has detailed values"),
    }
}

/// The Plaid primary a seeded category name stands for.
pub fn primary_of(category: &str) -> &'static str {
    if let Some((primary, _)) = TAXONOMY.iter().find(|(p, _)| *p == category) {
        return primary;
    }
    ALIASES
        .iter()
        .find(|(alias, _)| *alias == category)
        .map_or(FALLBACK_PRIMARY, |(_, primary)| primary)
}

fn find_detailed(detailed: &str) -> Option<Category> {
    TAXONOMY.iter().find_map(|(primary, details)| {
        details.iter().find(|d| **d == detailed).map(|d| Category {
            primary,
            detailed: d,
        })
    })
}

/// Plaid's `payment_channel` for a transaction of `primary`: purchases are made in store;
/// pay, transfers, loan payments and fees go through no channel a customer chose.
pub fn payment_channel(primary: &str) -> &'static str {
    match primary {
        "INCOME"
        | "TRANSFER_IN"
        | "TRANSFER_OUT"
        | "LOAN_PAYMENTS"
        | "BANK_FEES"
        | "RENT_AND_UTILITIES"
        | "GOVERNMENT_AND_NON_PROFIT" => "other",
        _ => "in store",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_primary_has_a_catch_all_named_after_it() {
        for (primary, details) in TAXONOMY {
            let other = details.last().unwrap();
            assert!(other.starts_with(&format!("{primary}_")), "{other}");
            assert!(other.contains("_OTHER_"), "{other}");
            for d in details {
                assert!(d.starts_with(&format!("{primary}_")), "{d}");
            }
        }
        assert_eq!(
            categorize("FOOD_AND_DRINK", None).detailed,
            "FOOD_AND_DRINK_OTHER_FOOD_AND_DRINK"
        );
        assert_eq!(
            categorize("UTILITIES", None),
            Category {
                primary: "RENT_AND_UTILITIES",
                detailed: "RENT_AND_UTILITIES_OTHER_UTILITIES"
            }
        );
        assert_eq!(categorize("HEALTHCARE", None).primary, "MEDICAL");
        assert_eq!(
            categorize("LOAN_PAYMENTS", None).detailed,
            "LOAN_PAYMENTS_OTHER_PAYMENT"
        );
    }

    #[test]
    fn a_known_detailed_value_decides_and_an_unknown_one_falls_back() {
        let c = categorize("FOOD_AND_DRINK", Some("FOOD_AND_DRINK_GROCERIES"));
        assert_eq!(c.detailed, "FOOD_AND_DRINK_GROCERIES");
        let c = categorize("INCOME", Some("NOT_A_CATEGORY"));
        assert_eq!(c.detailed, "INCOME_OTHER_INCOME");
        assert_eq!(categorize("SOMETHING_ELSE", None).primary, FALLBACK_PRIMARY);
    }

    #[test]
    fn the_seeders_primaries_are_all_in_the_taxonomy() {
        for primary in seed::catalog::PLAID_PRIMARIES {
            assert_eq!(primary_of(primary), primary);
        }
    }
}
