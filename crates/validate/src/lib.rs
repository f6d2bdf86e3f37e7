//! Native validator for EN 16931, XRechnung, Peppol BIS and Factur-X / ZUGFeRD
//! e-invoices: the official rules, with their rule ids, severities and verdicts, run
//! without a JVM or XSLT engine.
//!
//! The rules are the official compiled artefacts (KoSIT's SchXslt stylesheets for CEN
//! EN 16931 and XRechnung, the Peppol BIS stylesheets, the Factur-X 1.09.2 ISO-skeleton
//! profile stylesheets with their code databases), vendored in `rules/` and embedded
//! in the binary. On first use each stylesheet is compiled once into a typed form: every
//! rule context and assert becomes an XPath 2.0 syntax tree with names resolved and
//! interned, variables bound to slots, literal regular expressions compiled, Factur-X
//! `document()` code-list lookups inlined as value comparisons. A construct
//! the compiler does not support is an error ([`Error::RuleCompile`]); no rule is ever
//! skipped. Evaluation reproduces what the oracle (SaxonC running the same stylesheets)
//! does: XPath 2.0 typing, first-match-per-pattern dispatch (SchXslt's, and the ISO
//! skeleton's one mode per pattern with template priorities), left-to-right
//! `and`/`or`, dynamic errors aborting a rule set as the pseudo rule `XSLT-ERROR`,
//! asserts and reports without id as `UNNAMED`, and the scenarios' `customLevel`
//! re-grading.
//!
//! The structure step is `faktura-xsd`, run against the scenario's schema; its violations
//! are findings with the pseudo rule `XSD`. Like the oracle, and unlike the KoSIT
//! validator (which skips all Schematron after a schema failure), the rules run even when
//! the schema step fails, so that every failed rule is listed; the verdict is the same.
//!
//! What it deliberately does not do: read PDFs. Callers extract the
//! embedded XML (faktura-pdf) and pass it to [`validate_embedded`], or report
//! [`pdf_without_invoice`].
//!
//! ```
//! use faktura_validate::{Options, validate};
//! let xml = br#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"#;
//! let report = validate(xml, &Options::default()).expect("the vendored rules compile");
//! assert!(!report.is_valid());
//! assert!(report.failed_rule_ids().contains(&"BR-01".to_owned()));
//! ```
//!
//! # Security
//!
//! Input is untrusted. The XML reader never processes a DTD (a DOCTYPE is refused with
//! the pseudo rule `XML`, so no entity is ever expanded), input size, node count and
//! nesting depth are bounded, and evaluation has no recursion driven by the document
//! (user-function recursion is capped). Nothing is logged; findings quote the rules'
//! own messages and the document's values only where the official message does.

mod error;
mod report;
mod scenario;
mod schematron;
mod xpath;

use std::sync::OnceLock;

use roxmltree::Document;

pub use error::Error;
pub use report::{Finding, Report, SchemaStep, Severity};
pub use scenario::Family;

use scenario::{DocType, Engine};

/// Largest document accepted, in bytes (the oracle's libxml2 refuses larger text nodes).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;
/// Largest number of XML nodes accepted.
pub const MAX_NODES: u32 = 4_000_000;
/// Deepest element nesting accepted (libxml2's default limit, which the oracle uses).
pub const MAX_DEPTH: usize = 256;

/// Which rules to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rules {
    /// Choose by root element and specification identifier, as the KoSIT validator does.
    #[default]
    Auto,
    /// Force one family (its matching scenario, else its first one for the syntax).
    Family(Family),
}

/// Validation options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Rule selection.
    pub rules: Rules,
    /// Run the XML Schema step (for complete documents; off for fragments).
    pub schema: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            rules: Rules::Auto,
            schema: true,
        }
    }
}

fn engine() -> Result<&'static Engine, Error> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    match ENGINE.get_or_init(|| Engine::load().map_err(|e| e.0)) {
        Ok(e) => Ok(e),
        Err(detail) => Err(Error::RuleCompile {
            set: "scenarios.xml".into(),
            detail: detail.clone(),
        }),
    }
}

/// Compiles every vendored rule set now (otherwise each compiles on first use), and
/// returns (rule set path, rules, asserts) for each.
pub fn precompile() -> Result<Vec<(String, usize, usize)>, Error> {
    let e = engine()?;
    let mut out = Vec::new();
    for path in Engine::ruleset_paths() {
        match e.ruleset(path) {
            Some(Ok(rs)) => {
                let (r, a) = rs.counts();
                out.push((path.to_owned(), r, a));
            }
            Some(Err(err)) => {
                return Err(Error::RuleCompile {
                    set: path.to_owned(),
                    detail: err.0.clone(),
                });
            }
            None => {}
        }
    }
    Ok(out)
}

fn pseudo(rule: &str, step: &str, message: impl Into<String>) -> Finding {
    Finding {
        rule: rule.to_owned(),
        severity: Severity::Fatal,
        flag: "fatal".to_owned(),
        step: step.to_owned(),
        location: String::new(),
        message: message.into(),
    }
}

/// Validates one document (UBL Invoice / CreditNote or CII XML).
///
/// Problems with the document are findings in the report; an `Err` means the
/// validator itself cannot run (a vendored rule set does not compile).
pub fn validate(bytes: &[u8], opts: &Options) -> Result<Report, Error> {
    let mut report = Report {
        scenario: None,
        notes: Vec::new(),
        schema: SchemaStep::Skipped,
        unsupported: None,
        findings: Vec::new(),
    };
    if bytes.starts_with(b"%PDF-") {
        report.unsupported = Some("PDF input: this library validates XML only; extract the embedded invoice first (`faktura validate` and `faktura extract` do, with faktura-pdf)".into());
        return Ok(report);
    }
    if bytes.len() > MAX_INPUT_BYTES {
        report.findings.push(pseudo(
            "XML",
            "xml",
            format!(
                "the document is {} bytes; the limit is {MAX_INPUT_BYTES} bytes",
                bytes.len()
            ),
        ));
        return Ok(report);
    }
    if let Err(msg) = check_encoding_name(bytes) {
        report.findings.push(pseudo("XML", "xml", msg));
        return Ok(report);
    }
    let text = match decode(bytes) {
        Ok(t) => t,
        Err(msg) => {
            report.findings.push(pseudo("XML", "xml", msg));
            return Ok(report);
        }
    };
    let popts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..Default::default()
    };
    let doc = match Document::parse_with_options(&text, popts) {
        Ok(d) => d,
        Err(roxmltree::Error::DtdDetected) => {
            report.findings.push(pseudo(
                "XML",
                "xml",
                "a DOCTYPE is not allowed in an e-invoice; remove it",
            ));
            return Ok(report);
        }
        Err(e) => {
            report.findings.push(pseudo(
                "XML",
                "xml",
                format!("not well-formed: {e}; fix the XML at that position"),
            ));
            return Ok(report);
        }
    };
    let depth = max_depth(&doc);
    if depth > MAX_DEPTH {
        report.findings.push(pseudo(
            "XML",
            "xml",
            format!("elements are nested {depth} deep; the limit is {MAX_DEPTH}"),
        ));
        return Ok(report);
    }
    validate_document(&doc, opts, report)
}

/// Validates the invoice XML that was embedded in a PDF as `name` (a Factur-X /
/// ZUGFeRD / XRechnung hybrid), as the oracle does: like [`validate`], with a note
/// naming the attachment. Extracting it is the caller's job (faktura-pdf), so that
/// this crate carries no PDF code.
pub fn validate_embedded(xml: &[u8], name: &str, opts: &Options) -> Result<Report, Error> {
    let mut report = validate(xml, opts)?;
    report.notes.insert(0, format!("validated embedded {name}"));
    Ok(report)
}

/// The report for a PDF that carries no readable invoice XML: one fatal finding with the
/// pseudo rule `PDF` (as the oracle reports it), whose message is `why`.
pub fn pdf_without_invoice(why: impl Into<String>) -> Report {
    Report {
        scenario: None,
        notes: Vec::new(),
        schema: SchemaStep::Skipped,
        unsupported: None,
        findings: vec![pseudo("PDF", "pdf", why)],
    }
}

fn validate_document(
    doc: &Document<'_>,
    opts: &Options,
    mut report: Report,
) -> Result<Report, Error> {
    let root = doc.root_element();
    let Some(doctype) = DocType::of_root(root) else {
        let t = root.tag_name();
        report.findings.push(pseudo(
            "NO-SCENARIO",
            "scenario",
            format!(
                "root element {{{}}}{} is not a UBL Invoice/CreditNote or CII invoice",
                t.namespace().unwrap_or(""),
                t.name()
            ),
        ));
        return Ok(report);
    };
    let engine = engine()?;
    let family = match opts.rules {
        Rules::Auto => None,
        Rules::Family(f) => Some(f),
    };
    let (scenario, note) = engine.choose(doc, doctype, family);
    report.notes.extend(note);
    let Some(scenario) = scenario else {
        let fam = family.map_or("auto", Family::name);
        report.findings.push(pseudo(
            "NO-SCENARIO",
            "scenario",
            format!("no {fam} scenario for this document type"),
        ));
        return Ok(report);
    };
    report.scenario = Some(scenario.name.clone());
    if opts.schema {
        // Like the oracle (and unlike the KoSIT validator), the rules still run after this.
        report.schema = SchemaStep::Checked;
        for v in faktura_xsd::validate(doc, scenario.schema) {
            let mut f = pseudo("XSD", "xsd", format!("{} (line {})", v.message, v.line));
            f.location = v.location;
            report.findings.push(f);
        }
    }
    for path in &scenario.steps {
        let step = path.rsplit('/').next().unwrap_or(path).to_owned();
        let rs = match engine.ruleset(path) {
            None => {
                report.unsupported = Some(format!(
                    "the {} rules ({step}) are not implemented natively yet; validate with the official tools",
                    scenario.family.name()
                ));
                continue;
            }
            Some(Err(e)) => {
                return Err(Error::RuleCompile {
                    set: path.clone(),
                    detail: e.0.clone(),
                });
            }
            Some(Ok(rs)) => rs,
        };
        match rs.run(doc, &step) {
            Ok(findings) => {
                for mut f in findings {
                    if let Some(level) = scenario.custom_levels.get(&f.rule) {
                        f.severity = Severity::from_flag(level);
                    }
                    report.findings.push(f);
                }
            }
            Err(e) => report.findings.push(pseudo(
                "XSLT-ERROR",
                &step,
                format!("the rules could not be evaluated on this document: {e}"),
            )),
        }
    }
    Ok(report)
}

/// Decodes UTF-8 (with or without BOM) and ISO-8859-1 / Latin-1 when declared.
fn decode(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(std::borrow::Cow::Borrowed(s));
    }
    let head: Vec<u8> = bytes.iter().take(200).copied().collect();
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    if head.starts_with("<?xml")
        && (head.contains("iso-8859-1") || head.contains("latin1") || head.contains("latin-1"))
    {
        return Ok(std::borrow::Cow::Owned(
            bytes.iter().map(|&b| char::from(b)).collect(),
        ));
    }
    Err(
        "the document is not valid UTF-8 and declares no supported encoding; save it as UTF-8"
            .into(),
    )
}

/// Checks the XML declaration's `encoding` value against the XML 1.0 `EncName` production
/// (`[A-Za-z] ([A-Za-z0-9._] | '-')*`); the oracle's libxml2 rejects anything else as not
/// well-formed (e.g. `UTF-8_W/O_BOM`, written by some ZUGFeRD generators).
fn check_encoding_name(bytes: &[u8]) -> Result<(), String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !bytes.starts_with(b"<?xml") {
        return Ok(());
    }
    let decl_end = bytes
        .windows(2)
        .take(512)
        .position(|w| w == b"?>")
        .unwrap_or(0);
    let decl = bytes.get(..decl_end).unwrap_or_default();
    let Some(at) = decl.windows(8).position(|w| w == b"encoding") else {
        return Ok(());
    };
    let rest = decl.get(at + 8..).unwrap_or_default();
    let rest = rest.trim_ascii_start().strip_prefix(b"=").unwrap_or(rest);
    let rest = rest.trim_ascii_start();
    let Some((&quote, value)) = rest.split_first() else {
        return Ok(());
    };
    if quote != b'"' && quote != b'\'' {
        return Ok(());
    }
    let Some(end) = value.iter().position(|&b| b == quote) else {
        return Ok(());
    };
    let name = value.get(..end).unwrap_or_default();
    let ok = name.first().is_some_and(u8::is_ascii_alphabetic)
        && name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "not well-formed: the XML declaration names the encoding `{}`, which is not a valid encoding name; write encoding=\"UTF-8\"",
            String::from_utf8_lossy(name)
        ))
    }
}

fn max_depth(doc: &Document<'_>) -> usize {
    let mut depths: Vec<usize> = Vec::new();
    let mut max = 0;
    for n in doc.descendants() {
        let parent_depth = n
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()).copied())
            .unwrap_or(0);
        let d = if n.is_element() {
            parent_depth + 1
        } else {
            parent_depth
        };
        max = max.max(d);
        depths.push(d);
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_names_follow_the_xml_grammar() {
        assert!(check_encoding_name(br#"<?xml version="1.0" encoding="UTF-8"?><a/>"#).is_ok());
        assert!(check_encoding_name(b"<?xml version='1.0' encoding='iso-8859-1'?><a/>").is_ok());
        assert!(check_encoding_name(br#"<?xml version="1.0"?><a/>"#).is_ok());
        assert!(check_encoding_name(b"<a/>").is_ok());
        let err = check_encoding_name(br#"<?xml version="1.0" encoding="UTF-8-W/O-BOM"?><a/>"#);
        assert!(err.is_err_and(|m| m.contains("UTF-8-W/O-BOM")));
        assert!(check_encoding_name(br#"<?xml version="1.0" encoding="8bit"?><a/>"#).is_err());
    }

    #[test]
    fn every_vendored_rule_set_compiles() {
        let sets = precompile().unwrap();
        assert_eq!(sets.len(), 11);
        for (path, rules, asserts) in &sets {
            println!("{path}: {rules} rules, {asserts} asserts");
            assert!(*rules > 30 && *asserts > 60, "{path}");
        }
    }
}
