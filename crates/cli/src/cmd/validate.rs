//! `faktura validate`: checks invoices against the official rules, natively.
//!
//! Exit codes: 0 every file valid, 1 at least one invalid, 2 a file could not be read or
//! could not be checked.
//!
//! A PDF is read with faktura-pdf: its embedded invoice XML is validated as the oracle
//! does (a PDF without one is invalid with the pseudo rule `PDF`), and the Factur-X
//! container checks are added as warnings `PDF-<check>` (they are not part of the
//! official rules, so they never change the verdict).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use faktura_validate::{Family, Finding, Options, Report, Rules, Severity};
use rayon::prelude::*;

/// Arguments of `faktura validate`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Invoice files: UBL 2.1 Invoice / CreditNote or UN/CEFACT CII XML, or Factur-X /
    /// ZUGFeRD PDFs (the embedded XML is validated, the container checked).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format: `text` for people, `json` (one object per line) for programs.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Rule set: `auto` chooses by specification identifier, as the KoSIT validator does.
    #[arg(long, value_enum, default_value_t = RulesArg::Auto)]
    rules: RulesArg,
    /// Skip the XML Schema (structure) step, e.g. for document fragments.
    #[arg(long)]
    no_schema: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RulesArg {
    Auto,
    En16931,
    Xrechnung,
    Peppol,
    Facturx,
}

impl RulesArg {
    fn rules(self) -> Rules {
        match self {
            Self::Auto => Rules::Auto,
            Self::En16931 => Rules::Family(Family::En16931),
            Self::Xrechnung => Rules::Family(Family::Xrechnung),
            Self::Peppol => Rules::Family(Family::Peppol),
            Self::Facturx => Rules::Family(Family::Facturx),
        }
    }
}

/// What happened to one file.
enum Outcome {
    Checked(Report),
    Unreadable(String),
}

/// Runs the command.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = Options {
        rules: args.rules.rules(),
        schema: !args.no_schema,
    };
    // Compile the rules once, up front, so that a broken rule set is one clear error.
    faktura_validate::precompile().context("loading the official rules")?;
    let outcomes: Vec<anyhow::Result<Outcome>> = args
        .files
        .par_iter()
        .map(|path| match std::fs::read(path) {
            Err(e) => Ok(Outcome::Unreadable(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
            Ok(bytes) => Ok(Outcome::Checked(check_bytes(&bytes, &opts)?)),
        })
        .collect();

    let mut out = std::io::stdout().lock();
    let (mut invalid, mut unusable) = (false, false);
    for (path, outcome) in args.files.iter().zip(outcomes) {
        let name = path.display().to_string();
        match outcome? {
            Outcome::Unreadable(msg) => {
                unusable = true;
                match args.format {
                    Format::Text => writeln!(out, "{name}: UNREADABLE: {msg}")?,
                    Format::Json => {
                        writeln!(out, "{}", serde_json::json!({ "file": name, "error": msg }))?
                    }
                }
            }
            Outcome::Checked(report) => {
                if report.unsupported.is_some() {
                    unusable = true;
                } else if !report.is_valid() {
                    invalid = true;
                }
                match args.format {
                    Format::Text => write_text(&mut out, &name, &report)?,
                    Format::Json => write_json(&mut out, &name, &report)?,
                }
            }
        }
    }
    Ok(if unusable {
        ExitCode::from(2)
    } else if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Validates one file's bytes: XML directly, a PDF through its embedded invoice XML.
fn check_bytes(bytes: &[u8], opts: &Options) -> anyhow::Result<Report> {
    if !bytes.starts_with(b"%PDF-") {
        return Ok(faktura_validate::validate(bytes, opts)?);
    }
    let (extracted, container) = match faktura_pdf::check(bytes) {
        Ok(found) => found,
        Err(e) => return Ok(faktura_validate::pdf_without_invoice(e.to_string())),
    };
    let invoice = &extracted.invoice;
    let mut report = faktura_validate::validate_embedded(&invoice.data, &invoice.name, opts)?;
    report
        .findings
        .extend(container.into_iter().map(|f| Finding {
            rule: format!("PDF-{}", f.kind),
            severity: Severity::Warning,
            flag: "warning".to_owned(),
            step: "pdf".to_owned(),
            location: String::new(),
            message: f.message,
        }));
    Ok(report)
}

fn write_text(out: &mut impl Write, name: &str, r: &Report) -> anyhow::Result<()> {
    let verdict = if r.unsupported.is_some() {
        "NOT CHECKED"
    } else if r.is_valid() {
        "VALID"
    } else {
        "INVALID"
    };
    let scenario = r.scenario.as_deref().unwrap_or("no scenario");
    writeln!(out, "{name}: {verdict} ({scenario})")?;
    if let Some(why) = &r.unsupported {
        writeln!(out, "  note: {why}")?;
    }
    for note in &r.notes {
        writeln!(out, "  note: {note}")?;
    }
    for f in &r.findings {
        let at = if f.location.is_empty() {
            String::new()
        } else {
            format!("\n      at {}", f.location)
        };
        writeln!(
            out,
            "  {:<11} {:<24} {}{at}",
            f.severity.as_str(),
            f.rule,
            f.message
        )?;
    }
    Ok(())
}

fn write_json(out: &mut impl Write, name: &str, r: &Report) -> anyhow::Result<()> {
    let v = serde_json::json!({
        "file": name,
        "valid": r.is_valid(),
        "failed": r.failed_rule_ids(),
        "scenario": r.scenario,
        "notes": r.notes,
        "schema": r.schema,
        "unsupported": r.unsupported,
        "findings": r.findings,
    });
    writeln!(out, "{v}")?;
    Ok(())
}
