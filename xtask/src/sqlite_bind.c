/* The cost of SQLite's own statements, for `cargo xtask bench`: a client that binds every
 * value of every row through the C API, with nothing of Rust or Diesel in the way.
 *
 * Usage: sqlite_bind DB ROWS_PER_STATEMENT TABLE...
 *
 * DB holds the seeded tables, filled, and a copy of each as staging_TABLE (as the in-database
 * fill of `seed sqlite-ceiling` leaves them with --keep-staging). Creates a new file beside
 * it, DB.fill, as a load creates one (DB's page size, the tables and indexes of DB, the
 * rollback journal), attaches DB, and with the loader's connection settings, in one
 * transaction: drops the new tables' secondary indexes, then for each table reads its
 * staging rows ROWS_PER_STATEMENT at a time into memory and inserts them with one prepared
 * INSERT OR FAIL of that many rows (the loader's statement, which keeps no statement
 * journal; values bound with SQLITE_STATIC, as a client that owns its rows binds them), and
 * rolls back; then removes the new file. Prints
 * `bind<TAB>SECONDS<TAB>ROWS`: the time from BEGIN to the last row in, the same span as the
 * insert phase of the loader and of the in-database fill; the index builds and checks after
 * it are the same SQL for all three. Compiled by the bench against the bundled SQLite, with
 * its flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sqlite3.h"

static sqlite3 *db;

static void die(const char *what) {
    fprintf(stderr, "sqlite_bind: %s: %s\n", what, sqlite3_errmsg(db));
    exit(1);
}

static void exec(const char *sql) {
    if (sqlite3_exec(db, sql, 0, 0, 0) != SQLITE_OK) die(sql);
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* One value read from a staging row, owned until the rows are inserted. */
struct value {
    int type;
    sqlite3_int64 i;
    double f;
    char *text;
    int len;
};

static sqlite3_stmt *prepare_insert(const char *table, int columns, int rows) {
    size_t cap = strlen(table) + 64 + (size_t)rows * (columns * 2 + 4);
    char *sql = malloc(cap), *p = sql;
    p += sprintf(p, "INSERT OR FAIL INTO main.%s VALUES ", table);
    for (int r = 0; r < rows; r++) {
        *p++ = r ? ',' : ' ';
        *p++ = '(';
        for (int c = 0; c < columns; c++) {
            if (c) *p++ = ',';
            *p++ = '?';
        }
        *p++ = ')';
    }
    *p = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, 0) != SQLITE_OK) die(sql);
    free(sql);
    return stmt;
}

static void insert(sqlite3_stmt *stmt, struct value *values, int n) {
    for (int k = 0; k < n; k++) {
        struct value *v = &values[k];
        int rc;
        switch (v->type) {
        case SQLITE_INTEGER: rc = sqlite3_bind_int64(stmt, k + 1, v->i); break;
        case SQLITE_FLOAT: rc = sqlite3_bind_double(stmt, k + 1, v->f); break;
        case SQLITE_NULL: rc = sqlite3_bind_null(stmt, k + 1); break;
        default: rc = sqlite3_bind_text(stmt, k + 1, v->text, v->len, SQLITE_STATIC);
        }
        if (rc != SQLITE_OK) die("bind");
    }
    if (sqlite3_step(stmt) != SQLITE_DONE) die("insert");
    if (sqlite3_reset(stmt) != SQLITE_OK) die("reset");
}

/* Copies every row of staging_TABLE into TABLE, `per` rows per statement. */
static long fill(const char *table, int per) {
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT * FROM loaded.staging_%s", table);
    sqlite3_stmt *select;
    if (sqlite3_prepare_v2(db, sql, -1, &select, 0) != SQLITE_OK) die(sql);
    int columns = sqlite3_column_count(select);
    sqlite3_stmt *full = prepare_insert(table, columns, per);
    struct value *values = calloc((size_t)per * columns, sizeof *values);
    long rows = 0;
    int n = 0, rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW) {
        for (int c = 0; c < columns; c++) {
            struct value *v = &values[n * columns + c];
            free(v->text);
            v->text = 0;
            v->type = sqlite3_column_type(select, c);
            if (v->type == SQLITE_INTEGER) v->i = sqlite3_column_int64(select, c);
            else if (v->type == SQLITE_FLOAT) v->f = sqlite3_column_double(select, c);
            else if (v->type != SQLITE_NULL) {
                v->len = sqlite3_column_bytes(select, c);
                v->text = malloc(v->len + 1);
                memcpy(v->text, sqlite3_column_text(select, c), v->len + 1);
            }
        }
        rows++;
        if (++n == per) {
            insert(full, values, n * columns);
            n = 0;
        }
    }
    if (rc != SQLITE_DONE) die(sql);
    if (n > 0) {
        sqlite3_stmt *rest = prepare_insert(table, columns, n);
        insert(rest, values, n * columns);
        sqlite3_finalize(rest);
    }
    for (int k = 0; k < per * columns; k++) free(values[k].text);
    free(values);
    sqlite3_finalize(full);
    sqlite3_finalize(select);
    return rows;
}

/* Removes FILE and its rollback journal, if they are there. */
static void remove_file(const char *file) {
    char journal[4096];
    snprintf(journal, sizeof journal, "%s-journal", file);
    unlink(file);
    unlink(journal);
}

/* Runs every statement SQL (one column: a statement's text) selects, in order, once the
 * select has finished (a schema change waits for the statements reading the schema). */
static void exec_each(const char *sql) {
    sqlite3_stmt *select;
    if (sqlite3_prepare_v2(db, sql, -1, &select, 0) != SQLITE_OK) die(sql);
    char *statements[64];
    int count = 0, rc;
    while ((rc = sqlite3_step(select)) == SQLITE_ROW && count < 64) {
        const char *text = (const char *)sqlite3_column_text(select, 0);
        statements[count] = malloc(strlen(text) + 1);
        strcpy(statements[count++], text);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) die(sql);
    if (rc == SQLITE_ROW) {
        fprintf(stderr, "sqlite_bind: more than 64 statements from %s\n", sql);
        exit(1);
    }
    sqlite3_finalize(select);
    for (int k = 0; k < count; k++) {
        exec(statements[k]);
        free(statements[k]);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: sqlite_bind DB ROWS_PER_STATEMENT TABLE...\n");
        return 2;
    }
    int per = atoi(argv[2]);
    if (per < 1) per = 1;
    char target[4096], sql[4096];
    snprintf(target, sizeof target, "%s.fill", argv[1]);
    remove_file(target);
    if (sqlite3_open(target, &db) != SQLITE_OK) die("open");
    sqlite3_stmt *attach;
    if (sqlite3_prepare_v2(db, "ATTACH DATABASE ? AS loaded", -1, &attach, 0) != SQLITE_OK)
        die("attach");
    sqlite3_bind_text(attach, 1, argv[1], -1, SQLITE_STATIC);
    if (sqlite3_step(attach) != SQLITE_DONE) die("attach");
    sqlite3_finalize(attach);
    exec_each("SELECT 'PRAGMA main.page_size = ' || page_size FROM loaded.pragma_page_size");
    for (int t = 3; t < argc; t++) {
        snprintf(sql, sizeof sql,
                 "SELECT sql FROM loaded.sqlite_master WHERE type = 'table' AND name = '%s'",
                 argv[t]);
        exec_each(sql);
    }
    for (int t = 3; t < argc; t++) {
        snprintf(sql, sizeof sql,
                 "SELECT sql FROM loaded.sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                 "AND lower(tbl_name) = '%s' ORDER BY rowid", argv[t]);
        exec_each(sql);
    }
    exec("PRAGMA foreign_keys = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -16384; "
         "PRAGMA temp_store = FILE; PRAGMA threads = 2;");
    double started = now();
    exec("BEGIN IMMEDIATE");
    for (int t = 3; t < argc; t++) {
        snprintf(sql, sizeof sql,
                 "SELECT 'DROP INDEX main.\"' || name || '\"' FROM main.sqlite_master "
                 "WHERE type = 'index' AND sql IS NOT NULL AND lower(tbl_name) = '%s'", argv[t]);
        exec_each(sql);
    }
    long rows = 0;
    for (int t = 3; t < argc; t++) rows += fill(argv[t], per);
    double elapsed = now() - started;
    exec("ROLLBACK");
    printf("bind\t%.3f\t%ld\n", elapsed, rows);
    sqlite3_close(db);
    remove_file(target);
    return 0;
}
