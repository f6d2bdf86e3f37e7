//! Factur-X / ZUGFeRD PDF/A-3 invoices: render an invoice as a clean A4 PDF,
//! embed the CII XML with the Factur-X metadata, and read such PDFs back.
//!
//! What it does: [`Renderer::facturx`] turns CII XML into a PDF/A-3b (or 3u)
//! with the XML embedded byte for byte as `factur-x.xml` (`xrechnung.xml` for
//! XRECHNUNG), `/AFRelationship` Alternative (Data for MINIMUM and BASIC WL),
//! MIME type `text/xml`, `/Params` with date and size, the catalog `/AF`
//! array and the Factur-X XMP extension schema. [`Renderer::readable`] turns
//! CII or UBL into a readable PDF without embedding; [`InvoiceView::from_model`]
//! prints an EN 16931 model invoice of `faktura-einvoice`. [`extract`] returns the
//! embedded XML and its profile; [`check`] reports packaging problems as data.
//!
//! What it deliberately does not do: validate the invoice's business rules
//! (that is `faktura-validate`), compute or correct amounts (values are
//! printed as the XML states them), or validate PDF/A in full (krilla refuses
//! the violations it can detect; no veraPDF runs here).
//!
//! Fonts (DejaVu Sans) are compiled in; nothing is downloaded or read from the
//! system at run time.
//!
//! # Security
//!
//! PDFs and XML are untrusted input. XML is parsed without DTDs or entity
//! expansion and with size and node limits; PDFs are size-capped, decompression
//! is bounded, reference chains and name trees are depth-limited, encrypted
//! PDFs are refused. Invoice contents are never logged.
//!
//! ```
//! # fn main() -> Result<(), faktura_pdf::Error> {
//! let renderer = faktura_pdf::Renderer::new()?;
//! assert!(renderer.facturx(b"<not-cii/>", None, &faktura_pdf::Options {
//!     lang: faktura_pdf::Lang::En,
//!     conformance: faktura_pdf::Conformance::A3b,
//!     date: time::macros::datetime!(2026-11-24 12:00 UTC),
//! }).is_err());
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod container;
mod error;
mod extract;
mod layout;
mod model;
mod profile;
mod render;
mod view;
mod xmp;

pub use container::{Conformance, Options, Renderer};
pub use error::{Error, Result};
pub use extract::{
    Attachment, Extracted, Finding, FindingKind, MAX_PDF_BYTES, XmpFacts, check, extract,
};
pub use profile::{MAX_XML_BYTES, Profile, Relationship, Syntax, detect_profile, identify};
pub use render::{Lang, epc_payload};
pub use view::{InvoiceView, Line, MAX_LINES, Party, Payment, Totals, VatRow};
pub use xmp::FX_NAMESPACE;

/// Entry points for the cargo-fuzz targets in `crates/pdf/fuzz` (not a stable API).
#[doc(hidden)]
pub mod fuzzing {
    /// Extraction and container check on arbitrary bytes: must return, never panic.
    pub fn facturx_extract(data: &[u8]) {
        if let Ok((ex, _)) = crate::check(data) {
            // Whatever was extracted must be what a second extraction returns.
            debug_assert_eq!(
                crate::extract(data).ok().map(|e| e.invoice.data),
                Some(ex.invoice.data)
            );
        }
    }
}
