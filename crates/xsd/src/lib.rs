//! Structure checks from the official invoice XML Schemas: UBL 2.1 Invoice and CreditNote,
//! UN/CEFACT CII D16B and the five Factur-X 1.09.2 profiles, in pure Rust.
//!
//! The schema files are embedded (see `schemas/SOURCES.md`) and compiled once, on first use,
//! into content models: sequences and choices with their cardinalities, element order,
//! required and unknown elements and attributes, `xsd:any` wildcards, and simple types with
//! their built-in lexical forms and facets. [`validate`] walks a parsed document against them
//! and returns [`Violation`]s in plain words.
//!
//! This crate deliberately does not parse XML (callers hand in a `roxmltree` document, which
//! refuses DTDs and never expands entities), does no I/O, and does not check business rules
//! (that is `faktura-validate`). It supports exactly the XSD constructs the official schemas
//! use; a construct it does not know makes schema compilation fail (see [`check_schemas`]),
//! it is never silently accepted. `xs:ID` values are checked lexically, not for uniqueness.
//!
//! ```
//! let xml = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>"#;
//! let doc = roxmltree::Document::parse(xml).unwrap();
//! let kind = faktura_xsd::schema_for_root(&doc).unwrap();
//! let violations = faktura_xsd::validate(&doc, kind);
//! assert!(!violations.is_empty()); // an empty invoice lacks its required elements
//! ```
//!
//! # Security
//!
//! Input is untrusted: the walk is iterative (a 10,000-deep document costs heap, not stack),
//! the content-model matcher never backtracks, at most a bounded number of violations is
//! reported per document, and nothing panics. Messages quote at most 80 characters of a value.

mod check;
mod compile;
mod error;
mod model;
mod schemas;
mod simple;

use std::sync::OnceLock;

pub use error::{Error, SchemaError};

use model::Schema;

/// Namespace of the UBL 2.1 Invoice root element.
pub const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// Namespace of the UBL 2.1 CreditNote root element.
pub const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// Namespace of the CII `CrossIndustryInvoice` root element.
pub const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// A Factur-X / ZUGFeRD profile, each with its own (restricted CII) schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FacturXProfile {
    /// MINIMUM
    Minimum,
    /// BASIC WL
    BasicWl,
    /// BASIC
    Basic,
    /// EN 16931 (COMFORT)
    En16931,
    /// EXTENDED
    Extended,
}

impl FacturXProfile {
    /// All profiles, smallest first.
    pub const ALL: [Self; 5] = [
        Self::Minimum,
        Self::BasicWl,
        Self::Basic,
        Self::En16931,
        Self::Extended,
    ];

    /// The profile a CII guideline identifier (BT-24) names, for Factur-X / ZUGFeRD
    /// identifiers; `None` for anything else (e.g. XRechnung, which uses the plain CII schema).
    pub fn from_guideline(id: &str) -> Option<Self> {
        let id = id.trim();
        if id.contains("#conformant#urn:factur-x.eu:1p0:extended")
            || id.contains("#conformant#urn:zugferd.de:2p0:extended")
        {
            return Some(Self::Extended);
        }
        match id {
            "urn:factur-x.eu:1p0:minimum" | "urn:zugferd.de:2p0:minimum" => Some(Self::Minimum),
            "urn:factur-x.eu:1p0:basicwl" | "urn:zugferd.de:2p0:basicwl" => Some(Self::BasicWl),
            "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic"
            | "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic" => Some(Self::Basic),
            "urn:cen.eu:en16931:2017" => Some(Self::En16931),
            _ => None,
        }
    }

    fn root_file(self) -> &'static str {
        match self {
            Self::Minimum => "facturx/MINIMUM/FACTUR-X_MINIMUM.xsd",
            Self::BasicWl => "facturx/BASIC-WL/FACTUR-X_BASICWL.xsd",
            Self::Basic => "facturx/BASIC/FACTUR-X_BASIC.xsd",
            Self::En16931 => "facturx/EN16931/FACTUR-X_EN16931.xsd",
            Self::Extended => "facturx/EXTENDED/FACTUR-X_EXTENDED.xsd",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Minimum => 0,
            Self::BasicWl => 1,
            Self::Basic => 2,
            Self::En16931 => 3,
            Self::Extended => 4,
        }
    }
}

/// Which official schema a document is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// UBL 2.1 `Invoice`.
    UblInvoice,
    /// UBL 2.1 `CreditNote`.
    UblCreditNote,
    /// UN/CEFACT CII D16B `CrossIndustryInvoice` (XRechnung, EN 16931, Peppol CII).
    Cii,
    /// A Factur-X 1.09.2 profile schema (restricted CII).
    FacturX(FacturXProfile),
}

impl SchemaKind {
    /// Namespace and local name the document's root element must have.
    fn root(self) -> (&'static str, &'static str) {
        match self {
            Self::UblInvoice => (UBL_INVOICE_NS, "Invoice"),
            Self::UblCreditNote => (UBL_CREDIT_NOTE_NS, "CreditNote"),
            Self::Cii | Self::FacturX(_) => (CII_NS, "CrossIndustryInvoice"),
        }
    }

    /// Short human name for messages.
    fn label(self) -> &'static str {
        match self {
            Self::UblInvoice => "UBL 2.1 Invoice",
            Self::UblCreditNote => "UBL 2.1 CreditNote",
            Self::Cii => "CII D16B",
            Self::FacturX(FacturXProfile::Minimum) => "Factur-X MINIMUM",
            Self::FacturX(FacturXProfile::BasicWl) => "Factur-X BASIC WL",
            Self::FacturX(FacturXProfile::Basic) => "Factur-X BASIC",
            Self::FacturX(FacturXProfile::En16931) => "Factur-X EN 16931",
            Self::FacturX(FacturXProfile::Extended) => "Factur-X EXTENDED",
        }
    }
}

/// One place where the document breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// What is wrong and what to do about it, in plain words.
    pub message: String,
    /// XPath of the offending element, e.g. `/Invoice/cac:AccountingSupplierParty[1]/cbc:ID[1]`.
    pub location: String,
    /// 1-based line of the offending element in the source text.
    pub line: u32,
}

/// The schema kind a document's root element calls for, judged by the root's namespace
/// (a CII document gets [`SchemaKind::Cii`]; pick a Factur-X profile with
/// [`FacturXProfile::from_guideline`]).
pub fn schema_for_root(doc: &roxmltree::Document<'_>) -> Option<SchemaKind> {
    match doc.root_element().tag_name().namespace()? {
        UBL_INVOICE_NS => Some(SchemaKind::UblInvoice),
        UBL_CREDIT_NOTE_NS => Some(SchemaKind::UblCreditNote),
        CII_NS => Some(SchemaKind::Cii),
        _ => None,
    }
}

/// Checks `doc` against the schema of `kind`; an empty result means schema-valid.
pub fn validate(doc: &roxmltree::Document<'_>, kind: SchemaKind) -> Vec<Violation> {
    let root = doc.root_element();
    let (ns, local) = kind.root();
    let schema = match compiled(kind) {
        Ok(s) => s,
        Err(e) => {
            return vec![Violation {
                message: format!(
                    "the {} schema could not be loaded, so the structure was not checked: {e}",
                    kind.label()
                ),
                location: check::xpath(root),
                line: check::line_of(doc, root),
            }];
        }
    };
    let matches_root = root.tag_name().namespace() == Some(ns) && root.tag_name().name() == local;
    let decl = schema.global(ns, local);
    match (matches_root, decl) {
        (true, Some(decl)) => {
            let mut c = check::Checker::new(schema, doc);
            c.run(root, decl);
            c.finish()
        }
        _ => vec![Violation {
            message: format!(
                "the root element is {} in namespace '{}', but a {} document must start with {local} in namespace '{ns}'",
                root.tag_name().name(),
                root.tag_name().namespace().unwrap_or(""),
                kind.label()
            ),
            location: check::xpath(root),
            line: check::line_of(doc, root),
        }],
    }
}

/// Compiles every embedded schema set now, so that a defect shows at start-up rather than
/// on the first document. Later calls are free.
pub fn check_schemas() -> Result<(), Error> {
    compiled(SchemaKind::UblInvoice)?;
    compiled(SchemaKind::Cii)?;
    for p in FacturXProfile::ALL {
        compiled(SchemaKind::FacturX(p))?;
    }
    Ok(())
}

type Slot = OnceLock<Result<Schema, Error>>;

static UBL: Slot = OnceLock::new();
static CII: Slot = OnceLock::new();
static FACTURX: [Slot; 5] = [const { OnceLock::new() }; 5];

fn compiled(kind: SchemaKind) -> Result<&'static Schema, Error> {
    let (slot, roots): (&Slot, &[&str]) = match kind {
        SchemaKind::UblInvoice | SchemaKind::UblCreditNote => (
            &UBL,
            &[
                "ubl/maindoc/UBL-Invoice-2.1.xsd",
                "ubl/maindoc/UBL-CreditNote-2.1.xsd",
            ],
        ),
        SchemaKind::Cii => (&CII, &["cii/CrossIndustryInvoice_100pD16B.xsd"]),
        SchemaKind::FacturX(p) => match FACTURX.get(p.index()) {
            Some(slot) => (
                slot,
                std::slice::from_ref(match p {
                    FacturXProfile::Minimum => &"facturx/MINIMUM/FACTUR-X_MINIMUM.xsd",
                    FacturXProfile::BasicWl => &"facturx/BASIC-WL/FACTUR-X_BASICWL.xsd",
                    FacturXProfile::Basic => &"facturx/BASIC/FACTUR-X_BASIC.xsd",
                    FacturXProfile::En16931 => &"facturx/EN16931/FACTUR-X_EN16931.xsd",
                    FacturXProfile::Extended => &"facturx/EXTENDED/FACTUR-X_EXTENDED.xsd",
                }),
            ),
            None => return Err(Error::Schema(SchemaError::new(p.root_file(), 0, "no slot"))),
        },
    };
    slot.get_or_init(|| compile::compile(roots))
        .as_ref()
        .map_err(Clone::clone)
}
