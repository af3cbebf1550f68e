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
        last_statement_balance -> Nullable<BigInt>,
        last_statement_issue_date -> Nullable<Date>,
        next_payment_due_date -> Nullable<Date>,
        last_payment_amount -> Nullable<BigInt>,
        last_payment_date -> Nullable<Date>,
    }
}

diesel::table! {
    persona_labels (user_id) {
        user_id -> Text,
        persona -> Text,
    }
}

diesel::table! {
    recurring_stream_transactions (stream_id, transaction_id) {
        stream_id -> Text,
        transaction_id -> Text,
    }
}

diesel::table! {
    recurring_streams (id) {
        id -> Text,
        account_id -> Text,
        direction -> Text,
        merchant_name -> Text,
        category -> Text,
        frequency -> Text,
        amount -> BigInt,
        first_date -> Date,
        last_date -> Date,
        next_date -> Date,
    }
}

diesel::table! {
    seed_runs (id) {
        id -> Text,
        generator -> Text,
        profile -> Text,
        seed -> Text,
        as_of -> Date,
        shard -> Nullable<Text>,
        source -> Text,
        row_counts -> Text,
        finished_at -> Timestamp,
        user_count -> Nullable<BigInt>,
        user_ids_digest -> Nullable<Text>,
        origin -> Nullable<Date>,
        users_from -> Nullable<BigInt>,
        users_to -> Nullable<BigInt>,
    }
}

diesel::table! {
    transaction_changes (seq) {
        seq -> BigInt,
        transaction_id -> Text,
        account_id -> Text,
        change -> Text,
        as_of -> Date,
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
        pending_transaction_id -> Nullable<Text>,
        category_detailed -> Nullable<Text>,
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
diesel::joinable!(recurring_stream_transactions -> recurring_streams (stream_id));
diesel::joinable!(recurring_streams -> accounts (account_id));
diesel::joinable!(transaction_changes -> accounts (account_id));
diesel::joinable!(transactions -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    persona_labels,
    recurring_stream_transactions,
    recurring_streams,
    seed_runs,
    transaction_changes,
    transactions,
    users,
);
