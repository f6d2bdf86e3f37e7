//! `faktura extract`: the invoice XML embedded in a Factur-X / ZUGFeRD PDF.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// Arguments of `faktura extract`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The Factur-X / ZUGFeRD / XRechnung PDF.
    input: PathBuf,
    /// Write the XML here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Also check the container (attachment name, /AF, relationship, MIME, XMP profile);
    /// exit 1 when something is wrong.
    #[arg(long)]
    check: bool,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let pdf = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let (ex, findings) = if args.check {
        faktura_pdf::check(&pdf)
    } else {
        faktura_pdf::extract(&pdf).map(|e| (e, Vec::new()))
    }
    .with_context(|| format!("{}", args.input.display()))?;
    let profile = ex
        .profile
        .map_or_else(|| "unknown".to_owned(), |p| p.to_string());
    eprintln!(
        "{}: {} ({} bytes), profile {profile}",
        args.input.display(),
        ex.invoice.name,
        ex.invoice.data.len()
    );
    match &args.output {
        Some(path) => std::fs::write(path, &ex.invoice.data)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout()
            .write_all(&ex.invoice.data)
            .context("cannot write to standard output")?,
    }
    for f in &findings {
        eprintln!("finding {}: {}", f.kind, f.message);
    }
    Ok(if findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
