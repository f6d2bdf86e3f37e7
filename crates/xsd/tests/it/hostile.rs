//! Hostile and broken input: deep nesting, floods of errors, wrong roots. No panic, bounded
//! output, and a finding that says what to fix.

use faktura_xsd::{SchemaKind, validate};

use crate::parse;

const UBL: &str = r#"xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2""#;

fn parse_deep(xml: &str) -> Option<roxmltree::Document<'_>> {
    roxmltree::Document::parse_with_options(
        xml,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: u32::MAX,
            ..Default::default()
        },
    )
    .ok()
}

#[test]
fn ten_thousand_deep_in_strict_content() {
    let depth = 10_000;
    let xml = format!(
        "<Invoice {UBL}>{}{}</Invoice>",
        "<cbc:ID>".repeat(depth),
        "</cbc:ID>".repeat(depth)
    );
    if let Some(doc) = parse_deep(&xml) {
        let v = validate(&doc, SchemaKind::UblInvoice);
        assert!(!v.is_empty());
    }
}

#[test]
fn ten_thousand_deep_under_a_lax_wildcard() {
    let depth = 10_000;
    let xml = format!(
        "<Invoice {UBL}><ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent>{}{}</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions></Invoice>",
        "<x:a xmlns:x=\"urn:x\">".repeat(depth),
        "</x:a>".repeat(depth)
    );
    let doc = parse_deep(&xml).expect("roxmltree parses 10,000 levels");
    let v = validate(&doc, SchemaKind::UblInvoice);
    // The extension content is fine (lax, undeclared); the invoice lacks its required parts.
    assert!(
        v.iter().all(|v| !v.location.contains("x:a")),
        "{:?}",
        v.first()
    );
    assert!(
        v.iter()
            .any(|v| v.message.contains("incomplete") || v.message.contains("not allowed"))
    );
}

#[test]
fn a_flood_of_errors_is_capped() {
    let lines = "<cbc:Note>x</cbc:Note><cbc:IssueDate>not a date</cbc:IssueDate>".repeat(2_000);
    let xml = format!(
        "<Invoice {UBL}><cbc:ID>1</cbc:ID><cbc:IssueDate>2024-13-45</cbc:IssueDate>{lines}</Invoice>"
    );
    let doc = parse(&xml).unwrap();
    let v = validate(&doc, SchemaKind::UblInvoice);
    assert!(!v.is_empty() && v.len() <= 201, "{} violations", v.len());
    let mut attrs = String::new();
    for i in 0..5_000 {
        attrs.push_str(&format!(" a{i}=\"1\""));
    }
    let xml = format!("<Invoice {UBL}{attrs}/>");
    let doc = parse(&xml).unwrap();
    let v = validate(&doc, SchemaKind::UblInvoice);
    assert!(v.len() > 100 && v.len() <= 201, "{} violations", v.len());
    assert!(v.last().unwrap().message.contains("more than"));
}

#[test]
fn wrong_root_and_wrong_namespace() {
    let doc = parse(r#"<Invoice xmlns="urn:wrong"/>"#).unwrap();
    let v = validate(&doc, SchemaKind::UblInvoice);
    assert_eq!(v.len(), 1);
    assert!(v[0].message.contains("root element"), "{}", v[0].message);
    let ubl = format!("<Invoice {UBL}/>");
    let doc = parse(&ubl).unwrap();
    let v = validate(&doc, SchemaKind::Cii);
    assert!(
        v[0].message.contains("CrossIndustryInvoice"),
        "{}",
        v[0].message
    );
}

#[test]
fn odd_values_do_not_panic() {
    for value in [
        "",
        " ",
        "-",
        ".",
        "+.",
        "9".repeat(10_000).as_str(),
        "€€€",
        "2024-02-29T24:00:00",
        "\u{0}",
    ] {
        let xml = format!(
            "<Invoice {UBL}><cbc:ID>{0}</cbc:ID><cbc:IssueDate>{0}</cbc:IssueDate><cbc:Note>{0}</cbc:Note></Invoice>",
            value.replace('\u{0}', "")
        );
        if let Some(doc) = parse(&xml) {
            let v = validate(&doc, SchemaKind::UblInvoice);
            assert!(!v.is_empty());
            assert!(v.iter().all(|v| v.message.chars().count() < 1_000));
        }
    }
}

#[test]
fn violation_points_at_the_element() {
    let xml = format!(
        "<Invoice {UBL}>\n<cbc:UBLVersionID>2.1</cbc:UBLVersionID>\n<cbc:ID>1</cbc:ID>\n<cbc:IssueDate>2024-02-30</cbc:IssueDate>\n</Invoice>"
    );
    let doc = parse(&xml).unwrap();
    let v = validate(&doc, SchemaKind::UblInvoice);
    let bad = v
        .iter()
        .find(|v| v.message.contains("cbc:IssueDate"))
        .unwrap();
    assert_eq!(bad.location, "/Invoice/cbc:IssueDate[1]");
    assert_eq!(bad.line, 4);
    assert!(bad.message.contains("YYYY-MM-DD"), "{}", bad.message);
}
