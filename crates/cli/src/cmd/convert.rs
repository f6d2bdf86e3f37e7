//! `faktura convert`: converts an invoice between UBL and CII and between specifications,
//! keeping every EN 16931 business term, or refusing with the reason.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use faktura_einvoice::spec::{self, Specification, Target};
use faktura_einvoice::syntax::{self, Syntax};

/// Arguments of `faktura convert`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The invoice to convert (UBL 2.1 Invoice/CreditNote or CII), or `-` for standard input.
    input: PathBuf,
    /// Target syntax and specification.
    #[arg(long = "to", value_enum)]
    to: To,
    /// Factur-X profile for `--to facturx-xml`.
    #[arg(long, value_enum, default_value = "en16931")]
    profile: Profile,
    /// Write here instead of standard output.
    #[arg(short = 'o', long = "output")]
    output: Option<PathBuf>,
}

/// Conversion targets.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum To {
    /// UBL 2.1, keeping the specification identifier (BT-24).
    Ubl,
    /// CII D16B, keeping the specification identifier (BT-24).
    Cii,
    /// XRechnung 3.0 in UBL.
    XrechnungUbl,
    /// XRechnung 3.0 in CII.
    XrechnungCii,
    /// Peppol BIS Billing 3.0 (UBL).
    Peppol,
    /// The XML of a Factur-X / ZUGFeRD invoice (CII), profile from `--profile`.
    FacturxXml,
}

/// Factur-X / ZUGFeRD profiles.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Profile {
    /// MINIMUM (no lines).
    Minimum,
    /// BASIC WL (no lines).
    BasicWl,
    /// BASIC.
    Basic,
    /// EN 16931 (COMFORT).
    En16931,
    /// EXTENDED.
    Extended,
    /// XRECHNUNG.
    Xrechnung,
}

fn target(to: To, profile: Profile) -> Target {
    let (syntax, specification) = match to {
        To::Ubl => (Syntax::Ubl, None),
        To::Cii => (Syntax::Cii, None),
        To::XrechnungUbl => (Syntax::Ubl, Some(Specification::XRechnung)),
        To::XrechnungCii => (Syntax::Cii, Some(Specification::XRechnung)),
        To::Peppol => (Syntax::Ubl, Some(Specification::Peppol)),
        To::FacturxXml => (
            Syntax::Cii,
            Some(match profile {
                Profile::Minimum => Specification::FacturXMinimum,
                Profile::BasicWl => Specification::FacturXBasicWl,
                Profile::Basic => Specification::FacturXBasic,
                Profile::En16931 => Specification::En16931,
                Profile::Extended => Specification::FacturXExtended,
                Profile::Xrechnung => Specification::XRechnung,
            }),
        ),
    };
    Target {
        syntax,
        specification,
    }
}

/// Reads at most the reader's size limit plus one byte, so that an oversized input is refused without reading it all.
fn read_input(path: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let limit = u64::try_from(syntax::MAX_INPUT_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        file.take(limit)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}

/// Runs the command: exit 0 converted, 1 refused (the target cannot carry the invoice), 2 unreadable input.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = read_input(&args.input)?;
    let read =
        syntax::read(&bytes).with_context(|| format!("cannot read {}", args.input.display()))?;
    for warning in &read.warnings {
        eprintln!(
            "warning: {}: {}: {}",
            args.input.display(),
            warning.path,
            warning.message
        );
    }
    let target = target(args.to, args.profile);
    let xml = match spec::convert(&read.invoice, &target) {
        Ok(xml) => xml,
        Err(error @ faktura_einvoice::Error::Unsupported { .. }) => {
            eprintln!("refused: {error}");
            return Ok(ExitCode::from(1));
        }
        Err(error) => return Err(error).context("conversion failed"),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))?
        }
        None => print!("{xml}"),
    }
    Ok(ExitCode::SUCCESS)
}
