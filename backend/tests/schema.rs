//! `src/schema.rs` agrees with the migrations: printing the migrated database's tables the
//! way `diesel print-schema` does gives exactly the committed file.

use backend::db::MIGRATIONS;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::MigrationHarness;

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct ForeignKey {
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
}

fn diesel_type(sql_type: &str) -> &'static str {
    match sql_type.to_ascii_lowercase().as_str() {
        "text" => "Text",
        "bigint" => "BigInt",
        "boolean" => "Bool",
        "timestamp" => "Timestamp",
        "double precision" => "Double",
        other => panic!("no Diesel type chosen for SQL type {other:?}"),
    }
}

/// What `diesel print-schema` prints for a migrated SQLite database. A table without a
/// PRIMARY KEY constraint is keyed by its `id` column, which must then carry a unique index.
fn print_schema(conn: &mut SqliteConnection) -> String {
    let tables: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' \
         AND name NOT LIKE '\\_\\_%' ESCAPE '\\' ORDER BY name",
    )
    .load(conn)
    .unwrap();
    let mut out = String::from("// @generated automatically by Diesel CLI.\n");
    let mut joinables = Vec::new();
    for table in &tables {
        let table = &table.name;
        let columns: Vec<Column> = diesel::sql_query(format!(
            "SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{table}')"
        ))
        .load(conn)
        .unwrap();
        let mut keys: Vec<&str> = columns
            .iter()
            .filter(|c| c.pk > 0)
            .map(|c| c.name.as_str())
            .collect();
        if keys.is_empty() {
            let unique: Vec<Name> = diesel::sql_query(format!(
                "SELECT ii.name FROM pragma_index_list('{table}') il, pragma_index_info(il.name) ii \
                 WHERE il.\"unique\" = 1 AND ii.name = 'id'"
            ))
            .load(conn)
            .unwrap();
            assert_eq!(
                unique.len(),
                1,
                "{table} has neither a primary key nor a unique id"
            );
            keys.push("id");
        }
        out.push_str(&format!(
            "\ndiesel::table! {{\n    {table} ({}) {{\n",
            keys.join(", ")
        ));
        for column in &columns {
            let mut ty = diesel_type(&column.type_).to_owned();
            if column.notnull == 0 && column.pk == 0 {
                ty = format!("Nullable<{ty}>");
            }
            if column.name == "type" {
                out.push_str("        #[sql_name = \"type\"]\n        type_");
            } else {
                out.push_str(&format!("        {}", column.name));
            }
            out.push_str(&format!(" -> {ty},\n"));
        }
        out.push_str("    }\n}\n");
        let foreign_keys: Vec<ForeignKey> = diesel::sql_query(format!(
            "SELECT \"table\", \"from\" FROM pragma_foreign_key_list('{table}')"
        ))
        .load(conn)
        .unwrap();
        for fk in foreign_keys {
            joinables.push(format!(
                "diesel::joinable!({table} -> {} ({}));\n",
                fk.table, fk.from
            ));
        }
    }
    out.push('\n');
    for joinable in joinables {
        out.push_str(&joinable);
    }
    let names: Vec<&str> = tables.iter().map(|t| t.name.as_str()).collect();
    out.push_str(&format!(
        "\ndiesel::allow_tables_to_appear_in_same_query!({},);\n",
        names.join(", ")
    ));
    out
}

#[test]
fn schema_rs_matches_the_migrations() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    let printed = print_schema(&mut conn);
    let committed = include_str!("../src/schema.rs");
    assert_eq!(
        printed, committed,
        "backend/src/schema.rs disagrees with migrations/"
    );
}

#[test]
fn every_migration_reverts_cleanly() {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    conn.run_pending_migrations(MIGRATIONS).unwrap();
    conn.revert_all_migrations(MIGRATIONS).unwrap();
    let left: Vec<Name> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_\\_%' ESCAPE '\\'",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        left.is_empty(),
        "left behind: {:?}",
        left.iter().map(|n| &n.name).collect::<Vec<_>>()
    );
    conn.run_pending_migrations(MIGRATIONS).unwrap();
}
