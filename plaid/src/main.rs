//! The `plaid` binary: a local Plaid API over a seeded database (`plaid --help`).

fn main() -> std::process::ExitCode {
    plaid::cli::main()
}
