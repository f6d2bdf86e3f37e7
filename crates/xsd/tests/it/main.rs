//! Integration tests for faktura-xsd: the official corpus, hostile input, and a differential
//! test against lxml (libxml2), the reference XSD validator.

mod corpus;
mod differential;
mod hostile;

use std::path::{Path, PathBuf};

use faktura_xsd::{FacturXProfile, SchemaKind};

/// The shared conformance folder.
pub(crate) fn conformance() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}

/// Every complete document that must be schema-valid: the `valid` folders.
pub(crate) fn valid_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let root = conformance();
    for spec in ["en16931", "peppol", "xrechnung", "zugferd"] {
        for syntax in ["ubl", "cii", "xml"] {
            let dir = root.join(spec).join(syntax).join("valid");
            let Ok(rd) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
                {
                    out.push(p);
                }
            }
        }
    }
    out.sort();
    out
}

/// The Factur-X profile a CII document names in its guideline parameter, if any.
pub(crate) fn profile_of(doc: &roxmltree::Document<'_>) -> Option<FacturXProfile> {
    let id = doc
        .descendants()
        .find(|n| n.has_tag_name("GuidelineSpecifiedDocumentContextParameter"))?
        .children()
        .find(|n| n.has_tag_name("ID"))?
        .text()?;
    FacturXProfile::from_guideline(id)
}

pub(crate) fn parse(text: &str) -> Option<roxmltree::Document<'_>> {
    roxmltree::Document::parse_with_options(
        text,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        },
    )
    .ok()
}

#[test]
fn every_schema_set_compiles() {
    faktura_xsd::check_schemas().unwrap();
}

#[test]
fn root_detection() {
    let d =
        parse(r#"<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"/>"#)
            .unwrap();
    assert_eq!(
        faktura_xsd::schema_for_root(&d),
        Some(SchemaKind::UblCreditNote)
    );
    let d = parse(r#"<x:CrossIndustryInvoice xmlns:x="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>"#).unwrap();
    assert_eq!(faktura_xsd::schema_for_root(&d), Some(SchemaKind::Cii));
    let d = parse("<Invoice/>").unwrap();
    assert_eq!(faktura_xsd::schema_for_root(&d), None);
}
