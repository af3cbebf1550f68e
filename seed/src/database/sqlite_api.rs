//! SQLite's C API where Diesel has no door: prepared multi-row INSERTs of the load's own
//! connection that bind each value straight from the rows, without Diesel's bind collector.
//!
//! Diesel does not hand out a connection's `sqlite3` handle, so every connection the process
//! opens after [`register`] learns a SQL function that returns its own handle, and
//! [`Handle::of`] asks a connection for it. Statements prepared on a handle must be dropped
//! before its connection: `sqlite3_close` refuses to close a connection that still has
//! statements (Diesel then panics rather than free it), so getting the order wrong cannot
//! leave a statement pointing at a freed connection.
//!
//! This module and `backend/src/db/libpq.rs` are the workspace's two exceptions to its
//! denial of `unsafe` code.
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::Once;

use anyhow::Context;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;
use libsqlite3_sys as ffi;

/// The SQL function through which a connection names its handle.
const HANDLE_FUNCTION: &CStr = c"spendsense_seed_connection";

/// Makes every SQLite connection the process opens from now on able to name its handle to
/// [`Handle::of`]. Call it before opening the connection; calls after the first do nothing.
pub(crate) fn register() {
    static REGISTERED: Once = Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: `on_open` has the signature of an extension's entry point, which is what
        // SQLite calls it with, and it lives as long as the process.
        unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
    });
}

/// Called by SQLite on every connection the process opens: defines [`HANDLE_FUNCTION`].
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite passes the connection it is opening; the name is a C string; the
    // function takes no argument and no application data. SQLITE_DIRECTONLY keeps it out
    // of triggers and views, which a database file could bring.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            HANDLE_FUNCTION.as_ptr(),
            0,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DIRECTONLY,
            ptr::null_mut(),
            Some(connection_handle),
            None,
            None,
            None,
        )
    }
}

/// The SQL function: the handle of the connection that calls it, as an integer.
unsafe extern "C" fn connection_handle(
    context: *mut ffi::sqlite3_context,
    _argc: c_int,
    _argv: *mut *mut ffi::sqlite3_value,
) {
    // SAFETY: SQLite passes a valid context for the duration of the call.
    unsafe {
        let db = ffi::sqlite3_context_db_handle(context);
        ffi::sqlite3_result_int64(context, db as usize as i64);
    }
}

/// The `sqlite3` handle of one Diesel connection.
pub(crate) struct Handle(NonNull<ffi::sqlite3>);

// SAFETY: the handle is only used together with its connection, on the thread that
// currently owns that connection (Diesel's SqliteConnection is Send); SQLite is compiled
// thread-safe.
unsafe impl Send for Handle {}

#[derive(QueryableByName)]
struct Address {
    #[diesel(sql_type = BigInt)]
    handle: i64,
}

impl Handle {
    /// Asks `conn` for its handle; fails if it was opened before [`register`].
    pub(crate) fn of(conn: &mut SqliteConnection) -> anyhow::Result<Handle> {
        let sql = format!("SELECT {}() AS handle", HANDLE_FUNCTION.to_str()?);
        let address: Address = diesel::sql_query(sql)
            .get_result(conn)
            .context("read the connection's SQLite handle (opened before register?)")?;
        NonNull::new(address.handle as usize as *mut ffi::sqlite3)
            .map(Handle)
            .context("SQLite named no handle")
    }

    /// The connection's last error as Diesel reports one (its kind from the extended code,
    /// its message SQLite's), so that the load's errors are judged by their codes
    /// ([`backend::db::Condition`]) whichever way a statement ran.
    fn error(&self) -> diesel::result::Error {
        use diesel::result::DatabaseErrorKind as Kind;
        // SAFETY: the handle is an open connection; SQLite returns a C string it owns,
        // copied before any other call on the connection.
        let (code, message) = unsafe {
            (
                ffi::sqlite3_extended_errcode(self.0.as_ptr()),
                CStr::from_ptr(ffi::sqlite3_errmsg(self.0.as_ptr()))
                    .to_string_lossy()
                    .into_owned(),
            )
        };
        let kind = match code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                Kind::UniqueViolation
            }
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => Kind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => Kind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => Kind::CheckViolation,
            _ => Kind::Unknown,
        };
        diesel::result::Error::DatabaseError(kind, Box::new(message))
    }
}

/// A table whose rows bind their own values, in column order.
pub(crate) trait BindRow {
    /// The table.
    const TABLE: &'static str;
    /// Its columns, in the order [`bind`](BindRow::bind) binds them.
    const COLUMNS: &'static [&'static str];
    /// Binds this row's values, one per column.
    fn bind<'r>(&'r self, values: &mut Values<'r>);
}

/// A prepared `INSERT OR FAIL` of a fixed number of rows of one table.
///
/// `OR FAIL` ends the statement at the first broken constraint as the default `ABORT` does,
/// but without undoing the statement's earlier rows, so SQLite keeps no statement journal:
/// no copy of every page a statement changes that an earlier one wrote. A load never
/// continues after a failed statement; it rolls back its whole transaction.
pub(crate) struct Insert {
    stmt: NonNull<ffi::sqlite3_stmt>,
    handle: NonNull<ffi::sqlite3>,
    table: &'static str,
    rows: usize,
    values: usize,
}

// SAFETY: as for `Handle`: used only with its connection, by the thread owning it.
unsafe impl Send for Insert {}

impl Insert {
    /// Prepares the INSERT of `rows` rows of `R` on `handle`'s connection.
    pub(crate) fn prepare<R: BindRow>(handle: &Handle, rows: usize) -> anyhow::Result<Insert> {
        let row = format!("({})", vec!["?"; R::COLUMNS.len()].join(", "));
        let sql = format!(
            "INSERT OR FAIL INTO {} ({}) VALUES {}",
            R::TABLE,
            R::COLUMNS.join(", "),
            vec![row; rows].join(", ")
        );
        let mut stmt = ptr::null_mut();
        // SAFETY: the handle is an open connection; the text and its length are valid;
        // SQLite writes the statement to `stmt`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                handle.0.as_ptr(),
                sql.as_ptr().cast(),
                c_int::try_from(sql.len())?,
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(anyhow::Error::new(handle.error())
                .context(format!("prepare the insert of {}", R::TABLE)));
        }
        let stmt = NonNull::new(stmt).context("SQLite prepared no statement")?;
        Ok(Insert {
            stmt,
            handle: handle.0,
            table: R::TABLE,
            rows,
            values: rows * R::COLUMNS.len(),
        })
    }

    /// The table the statement inserts into.
    pub(crate) fn table(&self) -> &'static str {
        self.table
    }

    /// Inserts `rows`: of the table, and exactly as many, as the statement was prepared for.
    pub(crate) fn run<R: BindRow>(&mut self, rows: &[R]) -> anyhow::Result<()> {
        anyhow::ensure!(
            R::TABLE == self.table && rows.len() == self.rows,
            "{} rows of {} for an insert of {} into {}",
            rows.len(),
            R::TABLE,
            self.rows,
            self.table
        );
        // Resets the statement and unbinds every value when this call ends, however it
        // ends, so no text of `rows` stays bound after they are gone.
        let done = Done(self.stmt);
        let mut values = Values {
            stmt: self.stmt,
            next: 1,
            failed: ffi::SQLITE_OK,
            rows: PhantomData,
        };
        for row in rows {
            row.bind(&mut values);
        }
        let handle = Handle(self.handle);
        if values.failed != ffi::SQLITE_OK {
            return Err(anyhow::Error::new(handle.error()).context(format!("bind {}", R::TABLE)));
        }
        anyhow::ensure!(
            values.next as usize - 1 == self.values,
            "{} values bound to an insert of {} into {}",
            values.next - 1,
            self.values,
            R::TABLE
        );
        // SAFETY: the statement is prepared and every parameter is bound to a value that
        // lives until `done` unbinds it.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        if rc != ffi::SQLITE_DONE {
            // The error first: resetting the statement would replace it.
            let error = handle.error();
            drop(done);
            return Err(error.into());
        }
        Ok(())
    }
}

impl Drop for Insert {
    fn drop(&mut self) {
        // SAFETY: the statement is prepared, not running, and finalized only here.
        unsafe { ffi::sqlite3_finalize(self.stmt.as_ptr()) };
    }
}

/// Resets a statement and clears its bindings when dropped.
struct Done(NonNull<ffi::sqlite3_stmt>);

impl Drop for Done {
    fn drop(&mut self) {
        // SAFETY: the statement is prepared; resetting and unbinding are always allowed.
        unsafe {
            ffi::sqlite3_reset(self.0.as_ptr());
            ffi::sqlite3_clear_bindings(self.0.as_ptr());
        }
    }
}

/// The parameters of an [`Insert`], bound in order; texts borrowed for `'r` are bound
/// without a copy.
pub(crate) struct Values<'r> {
    stmt: NonNull<ffi::sqlite3_stmt>,
    /// The next parameter, from 1.
    next: c_int,
    /// The first failed bind's code, or SQLITE_OK.
    failed: c_int,
    rows: PhantomData<&'r str>,
}

impl<'r> Values<'r> {
    fn bound(&mut self, rc: c_int) {
        if rc != ffi::SQLITE_OK && self.failed == ffi::SQLITE_OK {
            self.failed = rc;
        }
        self.next += 1;
    }

    /// Binds a text that outlives the statement's run.
    pub(crate) fn text(&mut self, value: &'r str) {
        // SAFETY: SQLITE_STATIC: the text lives for 'r, longer than `Insert::run`, which
        // unbinds it before returning.
        unsafe { self.bind_text(value, ffi::SQLITE_STATIC()) }
    }

    /// Binds a text SQLite copies, for a value made only to be bound.
    pub(crate) fn copied_text(&mut self, value: &str) {
        // SAFETY: SQLITE_TRANSIENT: SQLite copies the text before this returns.
        unsafe { self.bind_text(value, ffi::SQLITE_TRANSIENT()) }
    }

    /// Binds `value` with `destructor`, SQLite's word for how long it may read the text.
    ///
    /// # Safety
    /// With SQLITE_STATIC, `value` must stay valid until the statement is unbound.
    unsafe fn bind_text(&mut self, value: &str, destructor: ffi::sqlite3_destructor_type) {
        // SAFETY: the statement is prepared; the pointer and length are the text's own; the
        // caller answers for how long the text lives.
        let rc = unsafe {
            ffi::sqlite3_bind_text64(
                self.stmt.as_ptr(),
                self.next,
                value.as_ptr().cast(),
                value.len() as u64,
                destructor,
                ffi::SQLITE_UTF8 as u8,
            )
        };
        self.bound(rc);
    }

    /// Binds a text, or NULL.
    pub(crate) fn optional_text(&mut self, value: Option<&'r str>) {
        match value {
            Some(value) => self.text(value),
            None => self.null(),
        }
    }

    /// Binds an integer.
    pub(crate) fn integer(&mut self, value: i64) {
        // SAFETY: the statement is prepared; an out-of-range index is an error code.
        let rc = unsafe { ffi::sqlite3_bind_int64(self.stmt.as_ptr(), self.next, value) };
        self.bound(rc);
    }

    /// Binds a boolean as SQLite stores one: the integer 1 or 0.
    pub(crate) fn boolean(&mut self, value: bool) {
        self.integer(i64::from(value));
    }

    /// Binds NULL.
    pub(crate) fn null(&mut self) {
        // SAFETY: the statement is prepared; an out-of-range index is an error code.
        let rc = unsafe { ffi::sqlite3_bind_null(self.stmt.as_ptr(), self.next) };
        self.bound(rc);
    }
}
