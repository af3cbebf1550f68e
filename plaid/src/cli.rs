//! The `plaid` command: flags, the plan they resolve to (defaults and guards in one place),
//! and running it: serve, print the tokens, or drive the load generator.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::clock::Clock;
use crate::request::Credentials;
use crate::server::{Config, State, served_database};

/// The default address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:4010";

/// A local Plaid API over a seeded SpendSense database.
#[derive(Debug, Parser)]
#[command(name = "plaid", disable_help_subcommand = true)]
pub struct Cli {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load-test a server: start one on a database and sync many users at once.
    Load(crate::load::LoadArgs),
}

/// Flags of the server.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The seeded database: a SQLite path or `sqlite://` URL, or `postgres://…` (default
    /// `$DATABASE_URL`, else data/spendsense.db).
    #[arg(long, value_name = "URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_LISTEN)]
    pub listen: String,
    /// Print each user's email, access token and item id (tab-separated) and exit.
    #[arg(long)]
    pub tokens: bool,
    /// Allow listening on, and delivering webhooks to, addresses other than loopback.
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// The client_id requests must present (default `$PLAID_CLIENT_ID`, else
    /// `spendsense-client-id`).
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// The secret requests must present (default `$PLAID_SECRET`, else
    /// `spendsense-sandbox-secret`).
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// Database connections at most, 1 to 64.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub pool: usize,
    /// The profile file the database was seeded from with `seed --config`, for
    /// `/seed/advance` (a built-in profile needs none).
    #[arg(long, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs the command line; the binary's `main` only calls it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            eprintln!("{}", seed::cli::usage_error_line(&e.render().to_string()));
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let result = match cli.command {
        Some(Command::Load(args)) => crate::load::run(args, cli.serve.database_url.as_deref()),
        None => run(cli.serve),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The address to listen on, refusing one off loopback unless allowed.
pub fn listen_address(listen: &str, allow_non_loopback: bool) -> anyhow::Result<SocketAddr> {
    let address: SocketAddr = match listen.strip_prefix("localhost:") {
        Some(port) => SocketAddr::new(
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            port.parse()
                .with_context(|| format!("--listen {listen}: not a port"))?,
        ),
        None => listen
            .parse()
            .with_context(|| format!("--listen {listen}: not an IP address and port"))?,
    };
    if !address.ip().is_loopback() && !allow_non_loopback {
        anyhow::bail!(
            "refusing to listen on {address}: not a loopback address; pass --allow-non-loopback to serve the network"
        );
    }
    Ok(address)
}

fn run(args: ServeArgs) -> anyhow::Result<()> {
    if !(1..=64).contains(&args.pool) {
        anyhow::bail!("--pool {}: must be 1 to 64", args.pool);
    }
    let url = served_database(args.database_url.as_deref())?;
    let address = listen_address(&args.listen, args.allow_non_loopback)?;
    let mut config = Config::new(Credentials::resolve(args.client_id, args.secret));
    config.pool_size = args.pool;
    config.allow_non_loopback = args.allow_non_loopback;
    let clock = Clock {
        profile_file: args.config,
    };
    let state = State::open(url.clone(), config, clock)?;
    if args.tokens {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        for item in state.items.all() {
            // A closed pipe (`| head`) ends the listing quietly.
            if writeln!(
                out,
                "{}\t{}\t{}",
                item.email, item.access_token, item.item_id
            )
            .is_err()
            {
                break;
            }
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("start the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .with_context(|| format!("listen on {address}"))?;
        let bound = listener.local_addr()?;
        let items = state.items.all().len();
        let max_connections = state.config.max_connections;
        let timeout = state.config.request_timeout;
        let app = crate::server::harden(
            crate::endpoints::router(std::sync::Arc::new(state)),
            timeout,
        );
        eprintln!("plaid: serving {items} items of {url} on http://{bound}");
        tokio::select! {
            () = crate::server::serve(listener, app, max_connections) => {}
            _ = tokio::signal::ctrl_c() => eprintln!("plaid: stopped"),
        }
        Ok(())
    })
}
