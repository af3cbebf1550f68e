-- Ground truth for the synthetic data: the persona each generated user was meant to show.
-- It lives in its own table, apart from anything the app derives from transactions, so a
-- persona detector can be scored against it without the label leaking into users.

CREATE TABLE persona_labels (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    persona TEXT NOT NULL
);
