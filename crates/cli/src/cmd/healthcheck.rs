//! `faktura healthcheck`: exit 0 when the local server answers `/healthz`.
//!
//! For container HEALTHCHECKs and operators: a distroless image has no
//! shell or curl, so the binary probes its own listener over TLS, trusting
//! exactly the configured certificate.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use faktura_server::{Config, Overrides};

/// Arguments of `faktura healthcheck`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The server's configuration file (the same as for `faktura serve`).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The server's data directory (for a `--dev` instance's certificate).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The address the server listens on [default: 127.0.0.1:8443].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// The server is a `--dev` instance (trust its generated certificate).
    #[arg(long)]
    dev: bool,
}

/// Runs the command: 0 healthy, 1 not answering or not healthy.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = Config::load(
        args.config.as_deref(),
        Overrides {
            data_dir: args.data_dir,
            listen: args.listen,
            share_dir: None,
            dev: args.dev,
        },
    )?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let probe = runtime.block_on(async {
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            faktura_server::healthcheck::check(&config),
        )
        .await
    });
    match probe {
        Ok(Ok(())) => {
            println!("healthy: https://{}/healthz answered 200", config.listen);
            Ok(ExitCode::SUCCESS)
        }
        Ok(Err(error)) => {
            eprintln!("unhealthy: {error}");
            Ok(ExitCode::from(1))
        }
        Err(_) => {
            eprintln!(
                "unhealthy: https://{}/healthz did not answer within 5 s",
                config.listen
            );
            Ok(ExitCode::from(1))
        }
    }
}
