//! Extraction from third-party PDFs is byte-identical to pikepdf's.

use faktura_pdf::extract;

use crate::support::{files, oracle_python, scratch, shared};

#[test]
fn extraction_matches_pikepdf() {
    let dir = shared().join("conformance/zugferd/pdf/valid");
    let pdfs = files(&dir, "pdf");
    assert!(pdfs.len() >= 10);
    let Some(python) = oracle_python() else {
        return;
    };
    let out_dir = scratch("pikepdf");
    let script = r#"
import pikepdf, sys, os
out = sys.argv[1]
for p in sys.argv[2:]:
    with pikepdf.open(p) as pdf:
        names = [n for n in pdf.attachments if n.lower() in ("factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml")]
        if names:
            data = pdf.attachments[names[0]].get_file().read_bytes()
            open(os.path.join(out, os.path.basename(p) + ".xml"), "wb").write(data)
"#;
    let status = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&out_dir)
        .args(&pdfs)
        .status()
        .unwrap();
    assert!(status.success());
    for pdf in &pdfs {
        let bytes = std::fs::read(pdf).unwrap();
        let ex = extract(&bytes).unwrap_or_else(|e| panic!("{}: {e}", pdf.display()));
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        let want = std::fs::read(out_dir.join(format!("{name}.xml")))
            .unwrap_or_else(|_| panic!("pikepdf found no invoice in {name}"));
        assert_eq!(ex.invoice.data, want, "{name}: bytes differ from pikepdf");
        assert!(ex.profile.is_some(), "{name}: no profile");
    }
}

/// The corpus's invalid PDFs: none panics; the ones whose container is at
/// fault get the matching finding. (The others are invalid by business rules
/// or XSD on the embedded XML, which `faktura-validate` judges, not this crate;
/// their containers are correct.) Prints what was found for each.
#[test]
fn invalid_pdfs_give_findings_or_errors() {
    let dir = shared().join("conformance/zugferd/pdf/invalid");
    let expected = [
        ("factur-x-invalid-xml-encoding-attribute.pdf", "xml"),
        (
            "MustangRE-20171118_506_ZUGFeRD1and2.pdf",
            "several-invoices",
        ),
        ("python-factur-x.pdf", "af"),
    ];
    let mut hits = 0;
    for pdf in files(&dir, "pdf") {
        let bytes = std::fs::read(&pdf).unwrap();
        let name = pdf.file_name().unwrap().to_string_lossy().into_owned();
        match faktura_pdf::check(&bytes) {
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.len() > 20, "{name}: unhelpful error {msg}");
                println!("{name}\terror\t{msg}");
            }
            Ok((ex, findings)) => {
                let kinds: Vec<String> = findings.iter().map(|f| f.kind.to_string()).collect();
                println!(
                    "{name}\t{:?}\t{}\t{}",
                    ex.profile,
                    ex.invoice.name,
                    kinds.join(",")
                );
                for f in &findings {
                    assert!(!f.message.is_empty());
                }
                for (file, kind) in expected {
                    if file == name {
                        assert!(
                            kinds.iter().any(|k| k == kind),
                            "{name}: expected {kind}, got {kinds:?}"
                        );
                        hits += 1;
                    }
                }
            }
        }
    }
    assert_eq!(hits, expected.len(), "an expected invalid PDF is missing");
}
