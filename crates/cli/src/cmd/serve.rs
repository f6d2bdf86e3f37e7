//! `faktura serve`: the HTTPS server.
//!
//! On a first start in an empty data directory the server initialises the
//! instance and writes the custodian share files to `--share-dir`; this
//! command prints where they are (never their contents) and the one-time
//! setup token, once. The server starts sealed unless `--dev`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use faktura_server::{Config, Overrides, StartOptions, Systemd};

/// Arguments of `faktura serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The instance's data directory (created and initialised on first start).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8443].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Configuration file (TOML; never holds secrets).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where a first start writes the custodian share files.
    #[arg(long, value_name = "DIR")]
    share_dir: Option<PathBuf>,
    /// DEVELOPMENT ONLY: 1-of-1 share beside the data, auto-unseal, self-signed certificate.
    #[arg(long)]
    dev: bool,
}

/// Runs the command until SIGINT or SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    init_logging();
    if args.dev {
        eprintln!(
            "WARNING: DEVELOPMENT INSTANCE (--dev). One share kept beside the data unseals it automatically, the TLS certificate is self-signed, and every response says so (X-Faktura-Dev-Instance: true). Never put real data in it."
        );
    }
    let config = Config::load(
        args.config.as_deref(),
        Overrides {
            data_dir: args.data_dir,
            listen: args.listen,
            share_dir: args.share_dir,
            dev: args.dev,
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<ExitCode> {
    let data_dir = config.data_dir.clone();
    // The URL never holds a password (the configuration refuses one).
    let postgres = config.database.postgres_url.clone();
    let options = StartOptions {
        systemd: Systemd::from_env(),
        identity: None,
    };
    let running = faktura_server::start(config, options).await?;
    let first = &running.first_start;
    if let Some(token) = &first.setup_token {
        match &postgres {
            Some(url) => eprintln!(
                "Initialised a new instance in the PostgreSQL database {url} (data directory {}).",
                data_dir.display()
            ),
            None => eprintln!("Initialised a new instance in {}.", data_dir.display()),
        }
        if !first.share_files.is_empty() {
            eprintln!(
                "Custodian share files (give each to its custodian, keep no copies together):"
            );
            for path in &first.share_files {
                eprintln!("  {}", path.display());
            }
        }
        // Never to stderr: under systemd that lands in the journal.
        let path = data_dir.join(SETUP_TOKEN_FILE);
        write_private_new(&path, token.expose_secret().as_bytes())?;
        eprintln!(
            "One-time setup token for creating the first owner: {} (readable by this user only; only its hash is stored; delete the file once the owner exists)",
            path.display()
        );
    }
    if let Some(cert) = &running.dev_cert_file {
        eprintln!(
            "Self-signed development certificate: {} (e.g. curl --cacert {} https://localhost:{}/healthz)",
            cert.display(),
            cert.display(),
            running.addr.port()
        );
    }
    eprintln!("Listening on https://{}", running.addr);
    if running.sealed {
        eprintln!(
            "The instance is SEALED. Each custodian runs: faktura unseal --server https://{} --share-file FILE [--ca-file CA]",
            running.addr
        );
    }
    shutdown_signal().await;
    eprintln!("Shutting down.");
    running.stopped().await;
    Ok(ExitCode::SUCCESS)
}

/// Where a first start leaves the one-time setup token.
const SETUP_TOKEN_FILE: &str = "setup-token.txt";

/// Writes `bytes` to a new file (never over an existing one), mode 0600.
fn write_private_new(path: &std::path::Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("FAKTURA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
