//! Hostile and broken input: a clear finding, never a panic, memory bounded.

use faktura_validate::{Options, Report, validate};

fn check(bytes: &[u8]) -> Report {
    validate(bytes, &Options::default()).expect("the vendored rules compile")
}

fn ids(r: &Report) -> Vec<String> {
    r.failed_rule_ids()
}

const UBL_HEAD: &str = r#"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2">"#;

#[test]
fn doctype_and_external_entities_are_refused() {
    let xxe = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>"#;
    let r = check(xxe);
    assert_eq!(ids(&r), vec!["XML"]);
    assert!(
        r.findings[0].message.contains("DOCTYPE"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let mut s = String::from("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
    for i in 1..10 {
        s.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">",
            format!("&lol{};", i - 1).repeat(10)
        ));
    }
    s.push_str("]><Invoice xmlns=\"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2\">&lol9;</Invoice>");
    assert_eq!(ids(&check(s.as_bytes())), vec!["XML"]);
}

#[test]
fn truncated_and_not_xml() {
    let full = format!("{UBL_HEAD}<cbc:ID>1</cbc:ID></Invoice>");
    let r = check(&full.as_bytes()[..full.len() / 2]);
    assert_eq!(ids(&r), vec!["XML"]);
    assert!(r.findings[0].message.contains("not well-formed"));
    assert_eq!(ids(&check(b"")), vec!["XML"]);
    assert_eq!(ids(&check(b"%PDF-1.7 not really")), Vec::<String>::new());
    assert!(
        check(b"%PDF-1.7 not really").unsupported.is_some(),
        "PDF input is never reported valid"
    );
}

#[test]
fn wrong_namespace_has_no_scenario() {
    let r = check(br#"<Invoice xmlns="urn:example:not-ubl"><ID>1</ID></Invoice>"#);
    assert_eq!(ids(&r), vec!["NO-SCENARIO"]);
    assert!(!r.is_valid());
}

#[test]
fn oversized_input_is_refused_before_parsing() {
    let mut big = UBL_HEAD.as_bytes().to_vec();
    big.resize(100 * 1024 * 1024, b' ');
    let r = check(&big);
    assert_eq!(ids(&r), vec!["XML"]);
    assert!(r.findings[0].message.contains("limit"));
}

#[test]
fn deep_nesting_is_refused() {
    let depth = 10_000;
    let mut s = String::from(UBL_HEAD);
    s.push_str(&"<cbc:Note>".repeat(depth));
    s.push_str(&"</cbc:Note>".repeat(depth));
    s.push_str("</Invoice>");
    let r = check(s.as_bytes());
    assert_eq!(ids(&r), vec!["XML"]);
}

#[test]
fn invalid_utf8_is_refused() {
    let mut b = format!("{UBL_HEAD}<cbc:ID>").into_bytes();
    b.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    b.extend_from_slice(b"</cbc:ID></Invoice>");
    let r = check(&b);
    assert_eq!(ids(&r), vec!["XML"]);
    assert!(r.findings[0].message.contains("UTF-8"));
}

#[test]
fn bad_decimals_and_dates_are_findings_not_panics() {
    let doc = format!(
        "{UBL_HEAD}<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>1</cbc:ID>\
         <cbc:IssueDate>2024-02-30</cbc:IssueDate><cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>\
         <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>\
         <cac:LegalMonetaryTotal><cbc:LineExtensionAmount currencyID=\"EUR\">1,5</cbc:LineExtensionAmount>\
         <cbc:PayableAmount currencyID=\"EUR\">abc</cbc:PayableAmount></cac:LegalMonetaryTotal></Invoice>"
    );
    let r = check(doc.as_bytes());
    let failed = ids(&r);
    assert!(
        failed.contains(&"XSD".to_owned()),
        "bad decimal and date are schema errors: {failed:?}"
    );
    // xs:decimal('abc') in the CEN rules is a dynamic error: the oracle reports XSLT-ERROR.
    assert!(failed.contains(&"XSLT-ERROR".to_owned()), "{failed:?}");
}

#[test]
fn unknown_codes_are_rule_findings() {
    let doc = format!(
        "{UBL_HEAD}<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID><cbc:ID>1</cbc:ID>\
         <cbc:IssueDate>2024-02-01</cbc:IssueDate><cbc:InvoiceTypeCode>999</cbc:InvoiceTypeCode>\
         <cbc:DocumentCurrencyCode>EURO</cbc:DocumentCurrencyCode></Invoice>"
    );
    let failed = ids(&check(doc.as_bytes()));
    assert!(failed.contains(&"BR-CL-01".to_owned()), "{failed:?}");
    assert!(failed.contains(&"BR-CL-04".to_owned()), "{failed:?}");
}
