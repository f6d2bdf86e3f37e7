//! End to end: `faktura convert` from the built binary, each output judged by
//! the official oracle (`../shared/tools/validate-official.py`).

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test helpers may fail loudly"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn faktura(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_faktura"))
        .args(args)
        .output()
        .expect("run faktura")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-convert")
        .join(name);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn conformance() -> PathBuf {
    std::env::var_os("FAKTURA_CONFORMANCE").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance"),
        PathBuf::from,
    )
}

/// A valid XRechnung UBL invoice from the shared conformance files.
fn xrechnung_ubl() -> PathBuf {
    conformance().join("xrechnung/ubl/valid/01.01a-INVOICE_ubl.xml")
}

/// The official oracle's verdict on one file: `(valid, failed rules)`.
fn oracle(file: &Path) -> (bool, Vec<String>) {
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("FAKTURA_ORACLE_PYTHON")
        .map_or_else(|| main.join(".venv-oracle/bin/python"), PathBuf::from);
    assert!(
        python.exists(),
        "the oracle's Python is missing at {}; see ../shared/tools/README.md",
        python.display()
    );
    let out = Command::new(&python)
        .arg(conformance().join("../tools/validate-official.py"))
        .arg("--json")
        .arg(file)
        .output()
        .expect("run the oracle");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no oracle verdict; stderr: {}", stderr(&out)));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    let failed = v["failed"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (v["valid"].as_bool() == Some(true), failed)
}

/// The first `<cbc:ID>` / `<ram:ID>` text: the invoice number (BT-1).
fn invoice_number(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).expect("an ID element") + open.len();
    let end = start + xml[start..].find('<').unwrap();
    xml[start..end].to_owned()
}

#[test]
fn xrechnung_ubl_to_cii_and_back_stays_valid_for_the_official_rules() {
    let dir = scratch("roundtrip");
    let input = xrechnung_ubl();
    let original = fs::read_to_string(&input).unwrap();
    let cii = dir.join("invoice-cii.xml");
    let ubl = dir.join("invoice-ubl.xml");

    let out = faktura(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "xrechnung-cii",
        "-o",
        cii.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = faktura(&[
        "convert",
        cii.to_str().unwrap(),
        "--to",
        "xrechnung-ubl",
        "-o",
        ubl.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let cii_text = fs::read_to_string(&cii).unwrap();
    let ubl_text = fs::read_to_string(&ubl).unwrap();
    assert!(cii_text.contains("CrossIndustryInvoice"), "{cii_text}");
    assert!(ubl_text.contains("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"));
    let number = invoice_number(&original, "cbc:ID");
    assert_eq!(invoice_number(&ubl_text, "cbc:ID"), number);
    assert!(cii_text.contains(&format!(">{number}<")));

    for file in [&cii, &ubl] {
        let (valid, failed) = oracle(file);
        assert!(valid, "{} is invalid: {failed:?}", file.display());
    }
}

#[test]
fn a_target_that_cannot_carry_the_invoice_is_refused_with_the_reason() {
    let dir = scratch("refused");
    let output = dir.join("minimum.xml");
    let out = faktura(&[
        "convert",
        xrechnung_ubl().to_str().unwrap(),
        "--to",
        "facturx-xml",
        "--profile",
        "minimum",
        "-o",
        output.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(msg.starts_with("refused: "), "{msg}");
    assert!(msg.contains("invoice lines (BG-25)"), "{msg}");
    assert!(msg.contains("use a richer profile"), "{msg}");
    assert!(!output.exists(), "a refused conversion writes nothing");
}

#[test]
fn unreadable_input_exits_2_and_names_the_file() {
    let dir = scratch("unreadable");
    let missing = dir.join("missing.xml");
    let out = faktura(&["convert", missing.to_str().unwrap(), "--to", "cii"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cannot open"), "{}", stderr(&out));
    assert!(stderr(&out).contains("missing.xml"), "{}", stderr(&out));

    let garbage = dir.join("garbage.xml");
    fs::write(&garbage, "this is not an invoice").unwrap();
    let out = faktura(&["convert", garbage.to_str().unwrap(), "--to", "cii"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not usable XML"), "{}", stderr(&out));
    assert!(out.stdout.is_empty());
}
