//! Throughput of reading and writing over every valid conformance document, and the time to
//! parse and write one typical invoice. Figures only, never assertions.
//!
//! Run: `cargo bench -p faktura-einvoice`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "benchmark set-up: a missing file must stop it"
)]

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use faktura_einvoice::syntax;

fn valid_files() -> Vec<(String, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance");
    let mut out = Vec::new();
    for spec in ["en16931", "xrechnung", "peppol", "zugferd"] {
        for syntax in ["ubl", "cii", "xml"] {
            let Ok(entries) = std::fs::read_dir(root.join(spec).join(syntax).join("valid")) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("xml"))
                {
                    out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    out.sort();
    out
}

fn main() {
    let files = valid_files();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let rounds = 20;

    let start = Instant::now();
    for _ in 0..rounds {
        for (_, b) in &files {
            black_box(syntax::read(b).unwrap());
        }
    }
    let parse = start.elapsed().as_secs_f64();
    let docs: Vec<_> = files
        .iter()
        .map(|(_, b)| syntax::read(b).unwrap())
        .collect();
    let start = Instant::now();
    for _ in 0..rounds {
        for d in &docs {
            black_box(syntax::write(&d.invoice, d.syntax).unwrap());
        }
    }
    let write = start.elapsed().as_secs_f64();
    let n = (files.len() * rounds) as f64;
    println!(
        "einvoice: {} valid documents, {:.1} KiB on average",
        files.len(),
        bytes as f64 / files.len() as f64 / 1024.0
    );
    println!(
        "parse  {:>10.0} files/s  ({:.1} MiB/s)",
        n / parse,
        (bytes * rounds) as f64 / parse / 1_048_576.0
    );
    println!("write  {:>10.0} files/s", n / write);

    // A typical invoice: the XRechnung "standard" business case 01.01a in UBL and in CII.
    for name in ["01.01a-INVOICE_ubl.xml", "01.01a-INVOICE_uncefact.xml"] {
        let Some((_, b)) = files.iter().find(|(p, _)| p.ends_with(name)) else {
            continue;
        };
        let iterations = 5_000;
        let start = Instant::now();
        for _ in 0..iterations {
            let read = syntax::read(black_box(b)).unwrap();
            black_box(syntax::write(&read.invoice, read.syntax).unwrap());
        }
        let micros = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(syntax::read(black_box(b)).unwrap());
        }
        let parse = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        let start = Instant::now();
        for _ in 0..iterations {
            black_box(
                roxmltree::Document::parse(std::str::from_utf8(black_box(b)).unwrap()).unwrap(),
            );
        }
        let xml_only = start.elapsed().as_secs_f64() * 1e6 / f64::from(iterations);
        println!(
            "parse + write {name} ({} bytes): {micros:.1} µs (parse {parse:.1} µs, of which XML tree {xml_only:.1} µs)",
            b.len()
        );
    }
}
