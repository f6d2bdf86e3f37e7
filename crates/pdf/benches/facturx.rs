//! Throughput of Factur-X rendering and extraction, with the `factur-x`
//! Python library's embed / extract rates measured in the same run (when the
//! oracle venv and `shared/bench-peers` are present), printed as ratios.
//!
//! Run: `cargo bench -p faktura-pdf` (figures, never assertions).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use faktura_pdf::{Conformance, Lang, Options, Renderer, extract};

const N_RENDER: usize = 200;
const N_EXTRACT: usize = 2_000;

fn rate(n: usize, f: impl FnMut()) -> f64 {
    let mut f = f;
    for _ in 0..(n / 10).max(1) {
        f();
    }
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    n as f64 / t.elapsed().as_secs_f64()
}

/// Runs a peer script with `interpreter` and returns its `items_per_s`.
fn peer(interpreter: &Path, script: &Path, args: &[&str]) -> Option<f64> {
    let out = Command::new(interpreter)
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().rev().find(|l| l.contains("items_per_s"))?;
    let v = line.split("\"items_per_s\":").nth(1)?;
    v.trim().split([',', '}']).next()?.trim().parse().ok()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = root.join("../shared");
    let cii_path = shared.join("conformance/zugferd/xml/valid/zf22-EN16931_Einfach.cii.xml");
    let cii = std::fs::read(&cii_path)?;
    let renderer = Renderer::new()?;
    let options = Options {
        lang: Lang::De,
        conformance: Conformance::A3b,
        date: time::macros::datetime!(2026-11-24 12:00 UTC),
    };
    let pdf = renderer.facturx(&cii, None, &options)?;
    let render_rate = rate(N_RENDER, || {
        let _ = std::hint::black_box(renderer.facturx(&cii, None, &options));
    });
    let extract_rate = rate(N_EXTRACT, || {
        let _ = std::hint::black_box(extract(&pdf));
    });
    println!(
        "faktura-pdf render+embed Factur-X ({} bytes CII, {} bytes PDF): {render_rate:.1} PDFs/s",
        cii.len(),
        pdf.len()
    );
    println!("faktura-pdf extract: {extract_rate:.1} extractions/s");

    let python = root.join(".venv-oracle/bin/python");
    let peers = shared.join("bench-peers");
    if !python.exists() || !peers.join("facturx_bench.py").exists() {
        println!("peer: skipped (no .venv-oracle or shared/bench-peers)");
        return Ok(());
    }
    // The peer embeds into an existing PDF: give it our readable PDF as the base.
    let dir = std::env::temp_dir().join(format!("faktura-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let base = dir.join("base.pdf");
    std::fs::write(&base, renderer.readable(&cii, &options)?)?;
    let fx_pdf = dir.join("facturx.pdf");
    std::fs::write(&fx_pdf, &pdf)?;
    let script = peers.join("facturx_bench.py");
    let (b, x, f) = (
        base.to_string_lossy().into_owned(),
        cii_path.to_string_lossy().into_owned(),
        fx_pdf.to_string_lossy().into_owned(),
    );
    let embed = peer(
        &python,
        &script,
        &["embed-base-noxsd", "--pdf", &b, "--xml", &x],
    );
    let peer_extract = peer(
        &python,
        &script,
        &["extract-noxsd", "--files", &f, "--n", "500"],
    );
    match embed {
        Some(r) => println!(
            "peer factur-x (PyPI) generate_from_binary, no XSD, into a ready PDF: {r:.1} PDFs/s; faktura renders AND embeds at {:.1}x",
            render_rate / r
        ),
        None => println!("peer factur-x embed: did not run"),
    }
    match peer_extract {
        Some(r) => println!(
            "peer factur-x (PyPI) get_xml_from_pdf, no XSD: {r:.1} extractions/s; faktura at {:.1}x",
            extract_rate / r
        ),
        None => println!("peer factur-x extract: did not run"),
    }
    // npm node-zugferd: its bench script must sit beside a node_modules with
    // node-zugferd (ESM resolution), so it runs only when FAKTURA_NODE_PEERS
    // names such a folder (a copy of shared/bench-peers plus
    // `npm install node-zugferd@0.1.0`).
    match std::env::var_os("FAKTURA_NODE_PEERS") {
        Some(node_dir) => {
            let script = Path::new(&node_dir).join("node_zugferd_bench.mjs");
            let r = peer(
                Path::new("node"),
                &script,
                &["facturx", "--pdf", &b, "--n", "200"],
            );
            match r {
                Some(r) => println!(
                    "peer node-zugferd (npm) Factur-X, embed into a ready PDF: {r:.1} PDFs/s; faktura renders AND embeds at {:.1}x",
                    render_rate / r
                ),
                None => println!("peer node-zugferd: did not run (see FAKTURA_NODE_PEERS)"),
            }
        }
        None => println!("peer node-zugferd: skipped (set FAKTURA_NODE_PEERS)"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
