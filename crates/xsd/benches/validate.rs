//! Prints how many documents per second the structure check handles over the complete
//! documents of the conformance corpus (parse excluded and included), after a warm-up.
//! A benchmark, not a test: it asserts nothing about speed.

use std::path::Path;
use std::time::{Duration, Instant};

use faktura_xsd::{FacturXProfile, SchemaKind, validate};

fn main() {
    // FAKTURA_XSD_BENCH_FILE=path: time only that document (for profiling).
    if let Some(path) = std::env::var_os("FAKTURA_XSD_BENCH_FILE") {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {}", Path::new(&path).display());
            return;
        };
        let Some((doc, kind)) = roxmltree::Document::parse(&text)
            .ok()
            .and_then(|d| faktura_xsd::schema_for_root(&d).map(|k| (d, k)))
        else {
            eprintln!("not an invoice");
            return;
        };
        let (mut n, start) = (0u32, Instant::now());
        while start.elapsed() < Duration::from_secs(3) {
            std::hint::black_box(validate(&doc, kind));
            n += 1;
        }
        println!(
            "{:.1} µs/validation",
            start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
        );
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let mut texts = Vec::new();
    for spec in ["en16931", "peppol", "xrechnung", "zugferd"] {
        for syntax in ["ubl", "cii", "xml"] {
            let Ok(rd) = std::fs::read_dir(root.join(spec).join(syntax).join("valid")) else {
                continue;
            };
            for e in rd.flatten() {
                if e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
                    && let Ok(t) = std::fs::read_to_string(e.path())
                {
                    texts.push(t);
                }
            }
        }
    }
    if texts.is_empty() {
        eprintln!("no corpus found under {}", root.display());
        return;
    }
    let bytes: usize = texts.iter().map(String::len).sum();

    let t = Instant::now();
    if let Err(e) = faktura_xsd::check_schemas() {
        eprintln!("schemas do not compile: {e}");
        return;
    }
    println!(
        "schema compilation (UBL, CII, 5 Factur-X profiles): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let docs: Vec<(roxmltree::Document<'_>, SchemaKind)> = texts
        .iter()
        .filter_map(|t| {
            let d = roxmltree::Document::parse(t).ok()?;
            let k = faktura_xsd::schema_for_root(&d)?;
            Some((d, k))
        })
        .collect();
    // Warm-up.
    let mut violations = 0usize;
    for (d, k) in &docs {
        violations += validate(d, *k).len();
    }

    let budget = Duration::from_secs(3);
    let (mut n, start) = (0usize, Instant::now());
    while start.elapsed() < budget {
        for (d, k) in &docs {
            std::hint::black_box(validate(d, *k));
        }
        n += docs.len();
    }
    let validate_secs = start.elapsed().as_secs_f64();

    let (mut m, start) = (0usize, Instant::now());
    while start.elapsed() < budget {
        for t in &texts {
            if let Ok(d) = roxmltree::Document::parse(t)
                && let Some(k) = faktura_xsd::schema_for_root(&d)
            {
                std::hint::black_box(validate(&d, k));
            }
        }
        m += texts.len();
    }
    let both_secs = start.elapsed().as_secs_f64();

    let mut per_doc: Vec<(f64, usize)> = docs
        .iter()
        .map(|(d, k)| {
            let reps = 20;
            let t = Instant::now();
            for _ in 0..reps {
                std::hint::black_box(validate(d, *k));
            }
            (
                t.elapsed().as_secs_f64() * 1e6 / f64::from(reps),
                d.input_text().len(),
            )
        })
        .collect();
    per_doc.sort_by(|a, b| a.0.total_cmp(&b.0));
    if let (Some(med), Some(max)) = (per_doc.get(per_doc.len() / 2), per_doc.last()) {
        println!(
            "per document: median {:.1} µs ({} bytes), slowest {:.1} µs ({} bytes)",
            med.0, med.1, max.0, max.1
        );
    }

    // The documents RULES-ANALYSIS.md §5 timed with libxml2 (validate 16 / 147 / 912 / 1,763 µs).
    for name in [
        "xrechnung/ubl/valid/01.01a-INVOICE_ubl.xml",
        "xrechnung/ubl/valid/04.03a-INVOICE_ubl.xml",
        "xrechnung/ubl/valid/01.02_comprehensive_test_ubl.xml",
        "xrechnung/ubl/valid/03.07a-INVOICE_ubl.xml",
    ] {
        let Ok(text) = std::fs::read_to_string(root.join(name)) else {
            continue;
        };
        let Ok(doc) = roxmltree::Document::parse(&text) else {
            continue;
        };
        let reps = 2_000;
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(validate(&doc, SchemaKind::UblInvoice));
        }
        let v = t.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
        let t = Instant::now();
        for _ in 0..reps {
            std::hint::black_box(roxmltree::Document::parse(&text).ok());
        }
        let p = t.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
        println!(
            "{name} ({:.1} KB): parse {p:.1} µs, validate {v:.1} µs",
            text.len() as f64 / 1000.0
        );
    }

    let cii: Vec<_> = docs.iter().filter(|(_, k)| *k == SchemaKind::Cii).collect();
    let (mut f, start) = (0usize, Instant::now());
    while start.elapsed() < Duration::from_secs(1) && !cii.is_empty() {
        for (d, _) in &cii {
            std::hint::black_box(validate(d, SchemaKind::FacturX(FacturXProfile::Extended)));
        }
        f += cii.len();
    }
    let fx_secs = start.elapsed().as_secs_f64();

    println!(
        "corpus: {} complete documents, {:.1} KiB mean ({} violations in the warm-up, expected 0)",
        docs.len(),
        bytes as f64 / texts.len() as f64 / 1024.0,
        violations
    );
    println!(
        "validate only:       {:>9.0} documents/s ({:.1} µs/document)",
        n as f64 / validate_secs,
        validate_secs * 1e6 / n as f64
    );
    println!(
        "parse + validate:    {:>9.0} documents/s ({:.1} µs/document)",
        m as f64 / both_secs,
        both_secs * 1e6 / m as f64
    );
    if f > 0 {
        println!(
            "CII as Factur-X EXTENDED: {:>9.0} documents/s",
            f as f64 / fx_secs
        );
    }
}
