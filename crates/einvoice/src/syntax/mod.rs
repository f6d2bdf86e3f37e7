//! Reading and writing the two EN 16931 syntaxes: UBL 2.1 and UN/CEFACT CII D16B.

pub mod cii;
pub mod ubl;
pub(crate) mod xml;

pub use xml::{MAX_DEPTH, MAX_INPUT_BYTES, MAX_NODES};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::Invoice;

/// The XML syntax of an invoice document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Syntax {
    /// OASIS UBL 2.1 `Invoice` or `CreditNote`.
    Ubl,
    /// UN/CEFACT Cross Industry Invoice D16B (`rsm:CrossIndustryInvoice`).
    Cii,
}

/// Content a reader found but could not map, or a doubt about what it read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// XPath of the element concerned.
    pub path: String,
    /// What happened, in plain words.
    pub message: String,
}

/// What a reader returns: the invoice, the syntax it was read from, and warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOutcome {
    /// The invoice.
    pub invoice: Invoice,
    /// The syntax of the input.
    pub syntax: Syntax,
    /// Content not mapped and other doubts.
    pub warnings: Vec<Warning>,
}

pub(crate) const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
pub(crate) const UBL_CREDIT_NOTE_NS: &str =
    "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
pub(crate) const CII_RSM_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";

/// Reads a UBL or CII invoice, choosing the reader by root element.
///
/// # Errors
/// [`Error::Xml`], [`Error::Limit`] for unusable input, [`Error::UnknownDocument`] for other roots,
/// and value errors (with their XPath) for malformed dates, amounts or indicators.
pub fn read(bytes: &[u8]) -> Result<ReadOutcome, Error> {
    let doc = xml::parse(bytes)?;
    let root = doc.root_element();
    match (root.tag_name().namespace(), root.tag_name().name()) {
        (Some(UBL_INVOICE_NS), "Invoice") | (Some(UBL_CREDIT_NOTE_NS), "CreditNote") => {
            ubl::read_document(&doc)
        }
        (Some(CII_RSM_NS), "CrossIndustryInvoice") => cii::read_document(&doc),
        (ns, name) => Err(Error::UnknownDocument {
            found: format!("{{{}}}{name}", ns.unwrap_or("")),
        }),
    }
}

/// Writes an invoice in the given syntax.
///
/// # Errors
/// [`Error::Unsupported`] when the syntax cannot carry a term the invoice holds.
pub fn write(invoice: &Invoice, syntax: Syntax) -> Result<String, Error> {
    match syntax {
        Syntax::Ubl => ubl::write(invoice),
        Syntax::Cii => cii::write(invoice),
    }
}
