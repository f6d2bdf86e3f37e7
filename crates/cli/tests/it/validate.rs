//! End to end: `faktura validate` from the built binary on XML and Factur-X PDFs of the
//! shared conformance set: exit codes 0 (valid), 1 (invalid), 2 (unreadable) and the JSON
//! lines a program reads.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers may fail loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Output;

fn conformance() -> PathBuf {
    match std::env::var_os("FAKTURA_SHARED") {
        Some(p) => PathBuf::from(p).join("conformance"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
    }
}

fn validate_json(files: &[&Path]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(["validate", "--format", "json"])
        .args(files)
        .output()
        .expect("run faktura")
}

/// The JSON object printed for each file, in argument order.
fn lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn failed(v: &serde_json::Value) -> Vec<String> {
    v["failed"]
        .as_array()
        .expect("failed is a list")
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn valid_pdf_exits_0_and_names_the_embedded_file() {
    let pdf = conformance().join("zugferd/pdf/valid/zf22-EN16931_Einfach.pdf");
    let out = validate_json(&[&pdf]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(v["valid"], true);
    assert!(failed(v).is_empty());
    assert_eq!(v["scenario"], "EN16931 (CII)");
    assert_eq!(v["notes"][0], "validated embedded factur-x.xml");
}

#[test]
fn facturx_basic_pdf_is_checked_with_the_profile_rules() {
    let pdf = conformance().join("zugferd/pdf/valid/zugferd_2p0_BASIC_Einfach.pdf");
    let out = validate_json(&[&pdf]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(v["scenario"], "Factur-X BASIC");
    assert_eq!(v["unsupported"], serde_json::Value::Null);
    assert_eq!(v["valid"], true);
}

#[test]
fn valid_xml_exits_0() {
    let dir = conformance().join("xrechnung/ubl/valid");
    let xml = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "xml"))
        .unwrap();
    let out = validate_json(&[&xml]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(lines(&out)[0]["valid"], true);
}

#[test]
fn pdf_with_broken_embedded_xml_exits_1_with_the_xml_rule() {
    let pdf = conformance().join("zugferd/pdf/invalid/factur-x-invalid-xml-encoding-attribute.pdf");
    let out = validate_json(&[&pdf]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(v["valid"], false);
    assert_eq!(failed(v), vec!["XML".to_owned()]);
}

#[test]
fn pdf_failing_business_rules_exits_1_with_their_ids() {
    let pdf = conformance().join("zugferd/pdf/invalid/ZUGFeRD_2.0_fully_compliant_complete.pdf");
    let out = validate_json(&[&pdf]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(failed(v), vec!["BR-CL-23".to_owned(), "BR-S-02".to_owned()]);
}

#[test]
fn pdf_without_invoice_is_invalid_with_the_pdf_rule() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-validate");
    std::fs::create_dir_all(&dir).unwrap();
    let pdf = dir.join("truncated.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog").unwrap();
    let out = validate_json(&[&pdf]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v = &lines(&out)[0];
    assert_eq!(failed(v), vec!["PDF".to_owned()]);
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(msg.contains("PDF"), "{msg}");
}

#[test]
fn unreadable_file_exits_2_and_says_why() {
    let valid = conformance().join("zugferd/pdf/valid/zf22-EN16931_Einfach.pdf");
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-invoice.pdf");
    let out = validate_json(&[&valid, &missing]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let v = lines(&out);
    assert_eq!(v.len(), 2);
    assert_eq!(v[0]["valid"], true);
    let err = v[1]["error"].as_str().unwrap();
    assert!(
        err.contains("cannot read") && err.contains("no-such-invoice.pdf"),
        "{err}"
    );
}
