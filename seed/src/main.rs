//! The `seed` binary: generate users, write `users.json`, load the database. Everything but
//! the allocator lives in the library ([`seed::cli`]).

use std::process::ExitCode;

/// Generation allocates and frees millions of small strings across threads; mimalloc keeps
/// that off the critical path where glibc's allocator spent a fifth of the run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    seed::cli::main()
}
