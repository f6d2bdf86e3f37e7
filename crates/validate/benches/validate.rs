//! Validation throughput over the complete documents of the conformance set, next to the
//! official oracle's (SaxonC-HE + lxml) warm rate measured in the same run.
//!
//! `cargo bench -p faktura-validate` prints figures; it asserts nothing about time.
//! Set `FAKTURA_BENCH_NO_ORACLE=1` to skip the oracle run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmark harness: a failure should stop it loudly"
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use faktura_validate::{Options, precompile, validate};

fn shared() -> PathBuf {
    std::env::var_os("FAKTURA_SHARED").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
        PathBuf::from,
    )
}

/// Every XML file in a `valid` or `invalid` folder (complete documents).
fn corpus() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![shared().join("conformance")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "xml")
                && p.parent()
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "valid" || n == "invalid")
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let files = corpus();
    let docs: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let bytes: usize = docs.iter().map(Vec::len).sum();

    let t = Instant::now();
    let sets = precompile().unwrap();
    println!(
        "rule compilation (once per process): {:.1} ms for {} rule sets",
        t.elapsed().as_secs_f64() * 1e3,
        sets.len()
    );

    // Warm-up pass (also compiles the XML Schemas), then timed passes, one thread.
    let opts = Options::default();
    for d in &docs {
        validate(d, &opts).unwrap();
    }
    let rounds = 5;
    let mut per_doc: Vec<Vec<f64>> = vec![Vec::new(); docs.len()];
    let mut total = Duration::ZERO;
    for _ in 0..rounds {
        for (i, d) in docs.iter().enumerate() {
            let t = Instant::now();
            let r = validate(d, &opts).unwrap();
            let e = t.elapsed();
            std::hint::black_box(r);
            total += e;
            per_doc[i].push(e.as_secs_f64() * 1e3);
        }
    }
    let mut medians: Vec<f64> = per_doc.iter_mut().map(|v| median(v)).collect();
    let native_median = median(&mut medians);
    let native_mean = total.as_secs_f64() * 1e3 / (rounds * docs.len()) as f64;
    let native_rate = 1e3 / native_mean;
    println!(
        "native (parse + XSD + rules, 1 thread): {} files, {:.1} MB; median {:.3} ms, mean {:.3} ms per file; {:.0} files/s",
        docs.len(),
        bytes as f64 / 1e6,
        native_median,
        native_mean,
        native_rate
    );

    if std::env::var_os("FAKTURA_BENCH_NO_ORACLE").is_some() {
        return;
    }
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python");
    let script = shared().join("tools/validate-official.py");
    let out = Command::new(python)
        .arg(script)
        .arg("--timing")
        .args(&files)
        .output()
        .expect("run the oracle");
    let err = String::from_utf8_lossy(&out.stderr);
    let mut oracle_ms: Vec<f64> = err
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter_map(|l| l.split_once(" ms\t"))
        .filter_map(|(ms, _)| ms.parse().ok())
        .collect();
    if oracle_ms.is_empty() {
        println!("oracle: no timings ({})", err.lines().last().unwrap_or(""));
        return;
    }
    let oracle_mean = oracle_ms.iter().sum::<f64>() / oracle_ms.len() as f64;
    let oracle_median = median(&mut oracle_ms);
    let oracle_rate = 1e3 / oracle_mean;
    println!(
        "oracle (SaxonC-HE + lxml, warm, same files): median {oracle_median:.2} ms, mean {oracle_mean:.2} ms per file; {oracle_rate:.0} files/s"
    );
    println!(
        "ratio: {:.0}x files/s (mean), {:.0}x on the median document",
        native_rate / oracle_rate,
        oracle_median / native_median
    );
}
