//! Conformance of the native validator, over every `expected.tsv` folder of
//! `../shared/conformance`, and agreement with the official oracle on every complete
//! document (same verdict, same set of failed rule ids).
//!
//! The oracle (`../shared/tools/validate-official.py`, SaxonC + lxml) runs once, in one
//! process, over all complete documents. Rule families the native engine does not run yet
//! are listed in [`UNSUPPORTED`]: their documents are counted and printed, never silently
//! passed, and a document of any other family that comes back unsupported fails the test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test harness: any I/O or oracle failure must stop the test loudly"
)]

mod hostile;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use faktura_validate::{
    Family, Options, Report, Rules, pdf_without_invoice, validate, validate_embedded,
};

/// Rule families not yet run natively. This list only shrinks.
const UNSUPPORTED: &[&str] = &[];

fn shared() -> PathBuf {
    match std::env::var_os("FAKTURA_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

#[derive(Debug)]
struct Row {
    folder: String,
    path: PathBuf,
    expect: String,
    fires: Vec<String>,
    not_fires: Vec<String>,
    ruleset: String,
}

fn split_ids(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn read_rows(conformance: &Path) -> Vec<Row> {
    let mut manifests = Vec::new();
    let mut stack = vec![conformance.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "expected.tsv") {
                manifests.push(p);
            }
        }
    }
    manifests.sort();
    let mut rows = Vec::new();
    for m in manifests {
        let dir = m.parent().unwrap();
        let folder = dir.strip_prefix(conformance).unwrap().display().to_string();
        let text = std::fs::read_to_string(&m).unwrap();
        let mut cols: Option<Vec<String>> = None;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            if let Some(h) = line.strip_prefix('#') {
                if cols.is_none() {
                    cols = Some(
                        h.trim_start_matches([' ', '#'])
                            .split('\t')
                            .map(str::to_owned)
                            .collect(),
                    );
                }
                continue;
            }
            let cols = cols.as_ref().expect("header line first");
            let vals: Vec<&str> = line.split('\t').collect();
            let get = |name: &str| {
                cols.iter()
                    .position(|c| c == name)
                    .and_then(|i| vals.get(i).copied())
                    .unwrap_or("")
                    .to_owned()
            };
            rows.push(Row {
                folder: folder.clone(),
                path: dir.join(get("file")),
                expect: if get("expect").is_empty() {
                    "valid".into()
                } else {
                    get("expect")
                },
                fires: split_ids(&get("fires")),
                not_fires: split_ids(&get("not_fires")),
                ruleset: if get("ruleset").is_empty() {
                    "auto".into()
                } else {
                    get("ruleset")
                },
            });
        }
    }
    rows
}

fn rules_of(name: &str) -> Rules {
    match name {
        "auto" => Rules::Auto,
        other => Rules::Family(
            *Family::ALL
                .iter()
                .find(|f| f.name() == other)
                .expect("known rule set"),
        ),
    }
}

/// The family of a report whose rules could not run natively.
fn unsupported_family(r: &Report) -> Option<&'static str> {
    r.unsupported.as_ref()?;
    let sc = r.scenario.as_deref().unwrap_or("");
    Some(if sc.contains("Factur-X") {
        "facturx"
    } else {
        "unknown"
    })
}

/// Validates a corpus file as `faktura validate` does: a PDF through its embedded
/// invoice XML (faktura-pdf extracts it; no XML is the pseudo rule `PDF`).
fn validate_file(bytes: &[u8], opts: &Options) -> Report {
    if !bytes.starts_with(b"%PDF-") {
        return validate(bytes, opts).expect("the vendored rules compile");
    }
    match faktura_pdf::extract(bytes) {
        Ok(ex) => validate_embedded(&ex.invoice.data, &ex.invoice.name, opts)
            .expect("the vendored rules compile"),
        Err(e) => pdf_without_invoice(e.to_string()),
    }
}

fn check_expectation(row: &Row, r: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    let fired = r.fired_rule_ids();
    if row.expect == "valid" && !r.is_valid() {
        problems.push(format!(
            "expected VALID, got INVALID ({})",
            r.failed_rule_ids().join(",")
        ));
    }
    if row.expect == "invalid" && r.is_valid() {
        problems.push("expected INVALID, got VALID".into());
    }
    let missing: Vec<&String> = row.fires.iter().filter(|x| !fired.contains(x)).collect();
    if !missing.is_empty() {
        problems.push(format!("expected rule(s) not reported: {missing:?}"));
    }
    let extra: Vec<&String> = row.not_fires.iter().filter(|x| fired.contains(x)).collect();
    if !extra.is_empty() {
        problems.push(format!("rule(s) reported that must not be: {extra:?}"));
    }
    problems
}

#[derive(Default)]
struct Tally {
    pass: usize,
    fail: usize,
    unsupported: usize,
    agree: usize,
    disagree: usize,
}

struct OracleResult {
    valid: bool,
    failed: Vec<String>,
}

fn run_oracle(files: &[PathBuf], extra: &[&str]) -> BTreeMap<PathBuf, OracleResult> {
    let main = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = std::env::var_os("FAKTURA_ORACLE_PYTHON")
        .map_or_else(|| main.join(".venv-oracle/bin/python"), PathBuf::from);
    let script = shared().join("tools/validate-official.py");
    assert!(
        python.exists(),
        "the official oracle is not installed at {}: run `python3 -m venv .venv-oracle && .venv-oracle/bin/pip install -r ../shared/tools/requirements.txt` in the repository root",
        python.display()
    );
    let out = Command::new(&python)
        .arg(&script)
        .arg("--json")
        .args(extra)
        .args(files)
        .output()
        .expect("run the oracle");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "oracle failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut results = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("oracle JSON line");
        let file = PathBuf::from(v["file"].as_str().unwrap());
        let failed = v["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect();
        results.insert(
            file,
            OracleResult {
                valid: v["valid"].as_bool().unwrap(),
                failed,
            },
        );
    }
    results
}

#[test]
fn conformance_and_oracle_agreement() {
    let conformance = shared().join("conformance");
    let rows = read_rows(&conformance);
    assert!(
        rows.len() > 2500,
        "expected the full conformance set, found {} rows in {}",
        rows.len(),
        conformance.display()
    );

    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let mut unsupported_seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut complete: Vec<&Row> = Vec::new();

    for row in &rows {
        let bytes = std::fs::read(&row.path).unwrap();
        let opts = Options {
            rules: rules_of(&row.ruleset),
            schema: row.expect != "rules",
        };
        let r = validate_file(&bytes, &opts);
        let t = tallies.entry(row.folder.clone()).or_default();
        if row.expect != "rules" {
            complete.push(row);
        }
        if let Some(fam) = unsupported_family(&r) {
            if UNSUPPORTED.contains(&fam) {
                t.unsupported += 1;
                *unsupported_seen.entry(fam).or_default() += 1;
                continue;
            }
            failures.push(format!(
                "{}: unsupported outside the listed families: {:?}",
                row.path.display(),
                r.unsupported
            ));
            t.fail += 1;
            continue;
        }
        let problems = check_expectation(row, &r);
        if problems.is_empty() {
            t.pass += 1;
        } else {
            t.fail += 1;
            failures.push(format!("{}: {}", row.path.display(), problems.join("; ")));
        }
    }

    // Agreement with the oracle on every complete document, auto scenario, schema on.
    let files: Vec<PathBuf> = complete.iter().map(|r| r.path.clone()).collect();
    let oracle = run_oracle(&files, &[]);
    for row in &complete {
        let bytes = std::fs::read(&row.path).unwrap();
        let r = validate_file(&bytes, &Options::default());
        let t = tallies.entry(row.folder.clone()).or_default();
        if unsupported_family(&r).is_some_and(|f| UNSUPPORTED.contains(&f)) {
            continue;
        }
        let Some(o) = oracle.get(&row.path) else {
            failures.push(format!("{}: no oracle result", row.path.display()));
            t.disagree += 1;
            continue;
        };
        let native = r.failed_rule_ids();
        if o.valid == r.is_valid() && o.failed == native {
            t.agree += 1;
        } else {
            t.disagree += 1;
            failures.push(format!(
                "{}: oracle {} {:?}, native {} {:?}",
                row.path.display(),
                if o.valid { "VALID" } else { "INVALID" },
                o.failed,
                if r.is_valid() { "VALID" } else { "INVALID" },
                native
            ));
        }
    }

    println!(
        "{:<28} {:>6} {:>6} {:>6} {:>8} {:>9}",
        "folder", "pass", "fail", "unsup", "agree", "disagree"
    );
    for (folder, t) in &tallies {
        println!(
            "{folder:<28} {:>6} {:>6} {:>6} {:>8} {:>9}",
            t.pass, t.fail, t.unsupported, t.agree, t.disagree
        );
    }
    println!(
        "unsupported families (not run natively yet): {UNSUPPORTED:?}; documents skipped per family: {unsupported_seen:?}"
    );
    for f in failures.iter().take(60) {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} disagreements (first 60 printed above)",
        failures.len()
    );
}

/// Guideline ids of the Factur-X profiles, and whether the oracle needs `--profile facturx`
/// to choose the profile (plain EN 16931 goes to the KoSIT scenario in auto mode).
const PROFILE_IDS: &[(&str, &str, bool)] = &[
    ("minimum", "urn:factur-x.eu:1p0:minimum", false),
    ("basicwl", "urn:factur-x.eu:1p0:basicwl", false),
    (
        "basic",
        "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
        false,
    ),
    ("en16931", "urn:cen.eu:en16931:2017", true),
    (
        "extended",
        "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
        false,
    ),
];

/// Beyond the corpus's few Factur-X documents: every complete CII document of the
/// conformance set, with its guideline id rewritten to each Factur-X profile, must get the
/// oracle's verdict and failed rule ids (profile "not used" reports, `UNNAMED`, code
/// lists, cardinalities) from the native profile rules.
#[test]
fn facturx_profiles_agree_with_the_oracle_on_every_cii_document() {
    const OPEN: &str = "<ram:GuidelineSpecifiedDocumentContextParameter>";
    let rows = read_rows(&shared().join("conformance"));
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("facturx-profiles");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).unwrap();
    let mut made: Vec<(PathBuf, bool)> = Vec::new();
    for row in rows.iter().filter(|r| r.expect != "rules") {
        if row.path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        let text = std::fs::read_to_string(&row.path).unwrap_or_default();
        if !text.contains("CrossIndustryInvoice") {
            continue;
        }
        // The document's guideline <ram:ID>…</ram:ID>, replaced by each profile's id.
        let Some(at) = text.find(OPEN) else { continue };
        let Some(id_open) = text[at..]
            .find("<ram:ID>")
            .map(|i| at + i + "<ram:ID>".len())
        else {
            continue;
        };
        let Some(id_close) = text[id_open..].find("</ram:ID>").map(|i| id_open + i) else {
            continue;
        };
        let stem = row.path.file_stem().unwrap().to_string_lossy().into_owned();
        let folder = row.folder.replace('/', "_");
        for (name, id, forced) in PROFILE_IDS {
            let mutated = format!("{}{id}{}", &text[..id_open], &text[id_close..]);
            let path = out.join(format!("{folder}--{stem}--{name}.xml"));
            std::fs::write(&path, mutated).unwrap();
            made.push((path, *forced));
        }
    }
    assert!(made.len() > 1000, "only {} mutated documents", made.len());
    let auto: Vec<PathBuf> = made.iter().filter(|m| !m.1).map(|m| m.0.clone()).collect();
    let forced: Vec<PathBuf> = made.iter().filter(|m| m.1).map(|m| m.0.clone()).collect();
    let mut oracle = run_oracle(&auto, &[]);
    oracle.extend(run_oracle(&forced, &["--profile", "facturx"]));

    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (path, forced) in &made {
        let opts = Options {
            rules: if *forced {
                Rules::Family(Family::Facturx)
            } else {
                Rules::Auto
            },
            schema: true,
        };
        let r = validate_file(&std::fs::read(path).unwrap(), &opts);
        let profile = PROFILE_IDS
            .iter()
            .map(|p| p.0)
            .find(|p| path.to_string_lossy().ends_with(&format!("--{p}.xml")))
            .unwrap();
        let t = tally.entry(profile).or_default();
        assert!(
            r.scenario
                .as_deref()
                .is_some_and(|s| s.contains("Factur-X")),
            "{}: scenario {:?}",
            path.display(),
            r.scenario
        );
        let o = &oracle[path];
        let native = r.failed_rule_ids();
        if o.valid == r.is_valid() && o.failed == native {
            t.0 += 1;
        } else {
            t.1 += 1;
            failures.push(format!(
                "{}: oracle {:?}, native {:?}",
                path.display(),
                o.failed,
                native
            ));
        }
        if native.iter().any(|x| x == "UNNAMED") {
            t.2 += 1;
        }
    }
    println!(
        "{:<10} {:>7} {:>9} {:>13}",
        "profile", "agree", "disagree", "with UNNAMED"
    );
    for (p, (a, d, u)) in &tally {
        println!("{p:<10} {a:>7} {d:>9} {u:>13}");
    }
    for f in failures.iter().take(40) {
        println!("FAIL {f}");
    }
    assert!(failures.is_empty(), "{} disagreements", failures.len());
}
