//! Lines on standard error that cannot panic. `eprintln!` panics when standard error is
//! closed or its reader has gone (`2>&-`, `2>&1 | true`), which would turn a one-line error
//! into exit 101; [`write_line!`](crate::stderr::write_line) loses the line instead, and the run keeps
//! its exit code.

/// Writes one formatted line to standard error, ignoring a failure to write it.
macro_rules! write_line {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}
pub(crate) use write_line;
