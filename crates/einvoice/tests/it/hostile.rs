//! Hostile and broken input: every case ends in a clear error or warning, never a panic, with memory bounded.

use faktura_einvoice::Error;
use faktura_einvoice::codes::VatCategory;
use faktura_einvoice::syntax;

use crate::common::conformance_dir;

const MINIMAL_UBL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
  <cbc:ID>1</cbc:ID>
  <cbc:IssueDate>DATE</cbc:IssueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="C62">QTY</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">10</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>x</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>CAT</cbc:ID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme></cac:ClassifiedTaxCategory></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">10</cbc:PriceAmount></cac:Price>
    <cbc:Unknown>surprise</cbc:Unknown>
  </cac:InvoiceLine>
</Invoice>"#;

fn ubl(date: &str, qty: &str, category: &str) -> String {
    MINIMAL_UBL
        .replace("DATE", date)
        .replace("QTY", qty)
        .replace("CAT", category)
}

#[test]
fn the_minimal_document_reads() {
    let out = syntax::read(ubl("2025-01-31", "1", "S").as_bytes()).unwrap();
    assert_eq!(out.invoice.lines.len(), 1);
    // The element no reader maps is reported, with its path.
    assert!(
        out.warnings.iter().any(|w| w.path.ends_with("cbc:Unknown")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn external_entities_and_dtds_are_refused() {
    let xxe = r#"<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x SYSTEM "file:///etc/passwd">]><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>"#;
    assert!(matches!(syntax::read(xxe.as_bytes()), Err(Error::Xml(_))));
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"lol\">{}]><l>&j;</l>",
        (b'b'..=b'j')
            .map(|c| format!(
                "<!ENTITY {} \"{}\">",
                c as char,
                format!("&{};", (c - 1) as char).repeat(10)
            ))
            .collect::<String>()
    );
    assert!(matches!(
        syntax::read(laughs.as_bytes()),
        Err(Error::Xml(_))
    ));
}

#[test]
fn broken_documents_give_errors() {
    let full = ubl("2025-01-31", "1", "S");
    for cut in [10, full.len() / 3, full.len() / 2, full.len() - 5] {
        assert!(
            matches!(syntax::read(&full.as_bytes()[..cut]), Err(Error::Xml(_))),
            "truncated at {cut}"
        );
    }
    let wrong_ns = full.replace(
        "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
        "urn:example:not-ubl",
    );
    let err = syntax::read(wrong_ns.as_bytes()).unwrap_err();
    assert!(matches!(err, Error::UnknownDocument { .. }));
    assert!(err.to_string().contains("urn:example:not-ubl"));
    let mut bad_utf8 = full.into_bytes();
    bad_utf8.insert(200, 0xff);
    assert!(matches!(syntax::read(&bad_utf8), Err(Error::Xml(_))));
    assert!(matches!(syntax::read(b""), Err(Error::Xml(_))));
}

#[test]
fn oversized_and_deep_inputs_hit_limits() {
    let big = vec![b' '; syntax::MAX_INPUT_BYTES + 1];
    assert!(matches!(syntax::read(&big), Err(Error::Limit { .. })));
    let hundred_mb = "<a>".to_owned() + &"x".repeat(100 * 1024 * 1024) + "</a>";
    assert!(matches!(
        syntax::read(hundred_mb.as_bytes()),
        Err(Error::Limit { .. })
    ));
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    assert!(matches!(
        syntax::read(deep.as_bytes()),
        Err(Error::Limit { .. })
    ));
    let many = format!("<a>{}</a>", "<b/>".repeat(3_000_000));
    assert!(matches!(
        syntax::read(many.as_bytes()),
        Err(Error::Limit { .. })
    ));
}

#[test]
fn bad_values_name_the_path_and_what_to_write() {
    let err = syntax::read(ubl("2025-02-30", "1", "S").as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cbc:IssueDate") && text.contains("calendar date"),
        "{text}"
    );
    let err = syntax::read(ubl("2025-01-31", "1e3", "S").as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("cbc:InvoicedQuantity") && text.contains("decimal"),
        "{text}"
    );
    // An unknown code is kept, not lost: the validator judges it.
    let out = syntax::read(ubl("2025-01-31", "1", "QQ").as_bytes()).unwrap();
    assert_eq!(
        out.invoice.lines[0].vat.category,
        VatCategory::Other("QQ".to_owned())
    );
    let again = syntax::read(
        syntax::write(&out.invoice, syntax::Syntax::Ubl)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    assert_eq!(again.invoice.lines[0].vat.category.code(), "QQ");
}

#[test]
fn no_conformance_file_makes_a_reader_panic() {
    let mut stack = vec![conformance_dir()];
    let (mut read_ok, mut refused) = (0, 0);
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                if !path.ends_with("rules") {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
            {
                match syntax::read(&std::fs::read(&path).unwrap()) {
                    Ok(_) => read_ok += 1,
                    Err(_) => refused += 1,
                }
            }
        }
    }
    // Refusals are the rule-test fragments without an invoice number and the mutations with a
    // malformed indicator; every complete document reads (see the round-trip test).
    eprintln!("{read_ok} conformance files read, {refused} refused with an error");
    assert!(read_ok > 1300, "only {read_ok} files read");
}
