//! `faktura render`: invoice XML in, Factur-X / ZUGFeRD PDF (or a readable PDF) out.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faktura_pdf::{Conformance, Lang, Options, Profile, Renderer, Syntax};

/// Arguments of `faktura render`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The invoice XML (CII for Factur-X; CII or UBL with --readable).
    input: PathBuf,
    /// Where to write the PDF.
    #[arg(short, long)]
    output: PathBuf,
    /// Factur-X profile (minimum, basic-wl, basic, en16931, extended, xrechnung);
    /// default: the one the XML's specification identifier names.
    #[arg(long)]
    profile: Option<String>,
    /// Label language.
    #[arg(long, value_parser = ["de", "en"], default_value = "de")]
    lang: String,
    /// Write PDF/A-3u instead of PDF/A-3b.
    #[arg(long)]
    pdfa_u: bool,
    /// Only a readable PDF, without embedding the XML (for received XRechnung, UBL or CII).
    #[arg(long)]
    readable: bool,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let xml = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let profile = args
        .profile
        .as_deref()
        .map(str::parse::<Profile>)
        .transpose()?;
    // The CLI is the one place that reads the wall clock (for the PDF date).
    let date = time::OffsetDateTime::now_utc();
    let options = Options {
        lang: if args.lang == "en" {
            Lang::En
        } else {
            Lang::De
        },
        conformance: if args.pdfa_u {
            Conformance::A3u
        } else {
            Conformance::A3b
        },
        date,
    };
    let renderer = Renderer::new()?;
    let (syntax, spec) = faktura_pdf::identify(&xml)
        .with_context(|| format!("{} is not a CII or UBL invoice", args.input.display()))?;
    let pdf = if args.readable || syntax == Syntax::Ubl {
        if !args.readable {
            eprintln!(
                "note: {} is UBL; Factur-X embeds only CII, so this writes a readable PDF without embedding",
                args.input.display()
            );
        }
        renderer.readable(&xml, &options)?
    } else {
        renderer.facturx(&xml, profile, &options).with_context(|| {
            format!(
                "cannot render {} (specification id `{spec}`)",
                args.input.display()
            )
        })?
    };
    std::fs::write(&args.output, &pdf)
        .with_context(|| format!("cannot write {}", args.output.display()))?;
    eprintln!("wrote {} ({} bytes)", args.output.display(), pdf.len());
    Ok(ExitCode::SUCCESS)
}
