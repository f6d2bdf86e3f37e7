//! The one error type of this crate.
//!
//! Every message says what went wrong and what the user can do about it.
//! Container *findings* (a wrong attachment name, a profile mismatch) are
//! data in [`crate::Finding`], not errors.

/// Everything that can go wrong while writing or reading a Factur-X PDF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The invoice XML could not be parsed.
    #[error(
        "the invoice XML is not well-formed ({0}); fix the XML before rendering or embedding it"
    )]
    Xml(String),
    /// The invoice XML names no specification (guideline) identifier.
    #[error(
        "the invoice XML has no specification identifier (CII ExchangedDocumentContext/GuidelineSpecifiedDocumentContextParameter/ID, UBL CustomizationID); add it or pass a profile explicitly"
    )]
    NoGuideline,
    /// The specification identifier names no Factur-X / ZUGFeRD profile.
    #[error(
        "the specification identifier `{0}` names no Factur-X / ZUGFeRD profile (MINIMUM, BASIC WL, BASIC, EN 16931, EXTENDED, XRECHNUNG); pass a profile explicitly"
    )]
    UnknownGuideline(String),
    /// A profile name given by the user is not known.
    #[error(
        "unknown profile `{0}`; use one of: minimum, basic-wl, basic, en16931, extended, xrechnung"
    )]
    UnknownProfile(String),
    /// Only CII can be embedded in a Factur-X / ZUGFeRD PDF.
    #[error(
        "only UN/CEFACT CII XML can be embedded in a Factur-X / ZUGFeRD PDF, this is `{0}`; convert the invoice to CII first or render it without embedding"
    )]
    NotCii(String),
    /// An input exceeded a fixed size limit.
    #[error("the {what} is {size} bytes, more than the limit of {limit} bytes; split or shrink it")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// krilla refused to write the PDF (a PDF/A violation it detected, a font problem).
    #[error("the PDF writer refused the document: {0}")]
    Write(String),
    /// The XMP metadata of the written PDF did not have the expected shape.
    #[error(
        "cannot add the Factur-X XMP metadata: {0} (the PDF writer's output changed shape; this is a bug in faktura-pdf)"
    )]
    Xmp(&'static str),
    /// The PDF could not be parsed.
    #[error("cannot read the PDF ({0}); is the file a complete, undamaged PDF?")]
    Pdf(String),
    /// The PDF is encrypted; PDF/A forbids encryption.
    #[error(
        "the PDF is encrypted; PDF/A-3 (Factur-X / ZUGFeRD) forbids encryption, so ask the sender for an unencrypted invoice"
    )]
    Encrypted,
    /// The PDF structure is nested deeper than allowed.
    #[error("the PDF nests objects more than {0} levels deep; refusing to read it further")]
    TooDeep(usize),
    /// The PDF carries no embedded invoice XML.
    #[error(
        "the PDF has no embedded invoice XML (factur-x.xml, xrechnung.xml, zugferd-invoice.xml or ZUGFeRD-invoice.xml); it is a plain PDF, not a Factur-X / ZUGFeRD invoice"
    )]
    NoInvoice,
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;
