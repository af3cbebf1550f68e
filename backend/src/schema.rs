// @generated automatically by Diesel CLI.

diesel::table! {
    accounts (id) {
        id -> Text,
        user_id -> Text,
        name -> Text,
        #[sql_name = "type"]
        type_ -> Text,
        subtype -> Text,
        mask -> Text,
        balance -> BigInt,
        currency -> Text,
        credit_limit -> Nullable<BigInt>,
        apr -> Nullable<Double>,
        min_payment -> Nullable<BigInt>,
        is_overdue -> Nullable<Bool>,
    }
}

diesel::table! {
    persona_labels (user_id) {
        user_id -> Text,
        persona -> Text,
    }
}

diesel::table! {
    transactions (id) {
        id -> Text,
        account_id -> Text,
        date -> Timestamp,
        amount -> BigInt,
        category -> Text,
        merchant_name -> Text,
        pending -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        name -> Text,
        email -> Text,
        consent -> Bool,
        created_at -> Timestamp,
    }
}

diesel::joinable!(accounts -> users (user_id));
diesel::joinable!(persona_labels -> users (user_id));
diesel::joinable!(transactions -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(accounts, persona_labels, transactions, users,);
