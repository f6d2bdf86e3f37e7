//! `cargo xtask sbom`: a CycloneDX JSON bill of materials of the `faktura`
//! binary, written to target/sbom/faktura.cdx.json by cargo-cyclonedx, then
//! checked against Cargo.lock: every crate the binary is built from is listed
//! with the version Cargo.lock pins and the licence its manifest declares, and
//! nothing else is.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cargo::{self, Metadata, run_inherit};
use crate::error::{Error, Result};

/// The package that builds the `faktura` binary.
const BINARY_PACKAGE: &str = "faktura-cli";

/// Generates the SBOM and checks it.
pub(crate) fn run() -> Result<()> {
    let meta = cargo::metadata_resolved()?;
    let out_dir = meta.target_directory.join("sbom");
    let sbom_path = generate(&meta, &out_dir)?;
    let text = std::fs::read(&sbom_path).map_err(|source| Error::Io {
        path: sbom_path.clone(),
        source,
    })?;
    let bom: Bom = serde_json::from_slice(&text).map_err(|source| Error::Json {
        what: sbom_path.display().to_string(),
        source,
    })?;
    let expected = binary_crates(&meta)?;
    let problems = compare(&bom, &expected);
    if !problems.is_empty() {
        return Err(Error::CheckFailed {
            gate: "sbom",
            problems,
        });
    }
    println!(
        "sbom: ok: {} lists {} crates, matching Cargo.lock (versions and licences)",
        sbom_path.display(),
        expected.len()
    );
    Ok(())
}

/// Runs cargo-cyclonedx for the binary package and moves its output to `out_dir`.
fn generate(meta: &Metadata, out_dir: &Path) -> Result<PathBuf> {
    let pkg = meta
        .members()
        .find(|p| p.name == BINARY_PACKAGE)
        .ok_or_else(|| Error::CheckFailed {
            gate: "sbom",
            problems: vec![format!("no workspace crate named {BINARY_PACKAGE}")],
        })?;
    let host = cargo::host_triple()?;
    // cargo-cyclonedx writes next to the package's Cargo.toml; a unique name
    // keeps it from ever clobbering a real file, and we move it away at once.
    let stem = "faktura-xtask-sbom";
    let mut cmd = cargo::cargo();
    cmd.arg("cyclonedx")
        .arg("--manifest-path")
        .arg(&pkg.manifest_path)
        .args([
            "--format",
            "json",
            "--spec-version",
            "1.5",
            "--target",
            &host,
        ])
        .args(["--no-build-deps", "--override-filename", stem, "-q"]);
    let ran = run_inherit(&mut cmd);
    if ran.is_err() {
        for member in meta.members() {
            remove_outputs(
                member.manifest_path.parent().unwrap_or(Path::new(".")),
                stem,
            );
        }
    }
    ran.map_err(|e| match e {
        Error::CommandFailed {
            command, status, ..
        } => Error::CommandFailed {
            command,
            status,
            stderr: "if cargo said `no such command: cyclonedx`, install it with \
                     `cargo install --locked cargo-cyclonedx` (or run .ci/run, which installs it \
                     into its tool cache) and put its bin directory on PATH"
                .into(),
        },
        other => other,
    })?;
    // It writes one file per workspace member; keep the binary's, remove the rest.
    let dir = pkg.manifest_path.parent().unwrap_or(Path::new("."));
    let produced = find_output(dir, stem);
    for member in meta.members() {
        let member_dir = member.manifest_path.parent().unwrap_or(Path::new("."));
        if member_dir != dir {
            remove_outputs(member_dir, stem);
        }
    }
    let produced = produced?;
    std::fs::create_dir_all(out_dir).map_err(|source| Error::Io {
        path: out_dir.to_owned(),
        source,
    })?;
    let dest = out_dir.join("faktura.cdx.json");
    let moved =
        std::fs::rename(&produced, &dest).or_else(|_| std::fs::copy(&produced, &dest).map(|_| ()));
    remove_outputs(dir, stem);
    moved.map_err(|source| Error::Io {
        path: dest.clone(),
        source,
    })?;
    Ok(dest)
}

/// Removes what cargo-cyclonedx wrote into a package directory (best effort:
/// a leftover file is harmless and named so that nothing else uses it).
fn remove_outputs(dir: &Path, stem: &str) {
    for path in outputs(dir, stem) {
        // Best effort; nothing to do if it is already gone.
        let _ = std::fs::remove_file(path);
    }
}

fn outputs(dir: &Path, stem: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(stem) && n.ends_with(".json"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The file cargo-cyclonedx wrote: `<stem>*.json` in the package directory.
fn find_output(dir: &Path, stem: &str) -> Result<PathBuf> {
    let found = outputs(dir, stem);
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(Error::CheckFailed {
            gate: "sbom",
            problems: vec![format!(
                "expected exactly one {stem}*.json from cargo-cyclonedx in {}, found {}",
                dir.display(),
                found.len()
            )],
        }),
    }
}

/// A crate as the check compares it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Crate {
    /// The crate name.
    pub(crate) name: String,
    /// Its version, as Cargo.lock pins it.
    pub(crate) version: String,
    /// The SPDX identifiers of its licence expression, or empty when it has none.
    pub(crate) licences: BTreeSet<String>,
}

/// Every crate the binary is built from: what `faktura-cli` reaches through
/// normal dependencies (dev- and build-only edges excluded), from Cargo.lock.
pub(crate) fn binary_crates(meta: &Metadata) -> Result<BTreeMap<String, Crate>> {
    let by_id = meta.by_id();
    let root = meta
        .members()
        .find(|p| p.name == BINARY_PACKAGE)
        .ok_or_else(|| Error::CheckFailed {
            gate: "sbom",
            problems: vec![format!("no workspace crate named {BINARY_PACKAGE}")],
        })?;
    let Some(resolve) = &meta.resolve else {
        return Err(Error::CheckFailed {
            gate: "sbom",
            problems: vec!["cargo metadata returned no resolve graph".into()],
        });
    };
    let edges: BTreeMap<&str, Vec<&str>> = resolve
        .nodes
        .iter()
        .map(|n| {
            let normal = n
                .deps
                .iter()
                .filter(|d| d.dep_kinds.iter().any(|k| k.kind.is_none()))
                .map(|d| d.pkg.as_str())
                .collect();
            (n.id.as_str(), normal)
        })
        .collect();
    let mut seen = BTreeSet::from([root.id.as_str()]);
    let mut queue = VecDeque::from([root.id.as_str()]);
    let mut out = BTreeMap::new();
    while let Some(id) = queue.pop_front() {
        for &next in edges.get(id).map(Vec::as_slice).unwrap_or_default() {
            if seen.insert(next) {
                queue.push_back(next);
                if let Some(pkg) = by_id.get(next) {
                    let krate = Crate {
                        name: pkg.name.clone(),
                        version: pkg.version.clone(),
                        licences: licence_ids(pkg.license.as_deref().unwrap_or_default()),
                    };
                    out.insert(key(&krate.name, &krate.version), krate);
                }
            }
        }
    }
    Ok(out)
}

fn key(name: &str, version: &str) -> String {
    format!("{name}@{version}")
}

/// The identifiers in an SPDX expression (or cargo's legacy `A/B` form),
/// without operators and brackets, so that formatting differences do not count.
fn licence_ids(expr: &str) -> BTreeSet<String> {
    expr.replace('/', " OR ")
        .replace(['(', ')'], " ")
        .split_whitespace()
        .filter(|t| !matches!(*t, "OR" | "AND" | "WITH"))
        .map(str::to_owned)
        .collect()
}

/// The part of a CycloneDX JSON document the check reads.
#[derive(Debug, Deserialize)]
struct Bom {
    #[serde(rename = "bomFormat")]
    bom_format: String,
    #[serde(default)]
    components: Vec<Component>,
}

/// One CycloneDX component (possibly with nested components).
#[derive(Debug, Deserialize)]
struct Component {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    licenses: Vec<LicenceChoice>,
    #[serde(default)]
    components: Vec<Self>,
}

/// CycloneDX `licenses[]`: either an SPDX expression or one licence.
#[derive(Debug, Deserialize)]
struct LicenceChoice {
    #[serde(default)]
    expression: Option<String>,
    #[serde(default)]
    license: Option<Licence>,
}

/// One licence by SPDX id or by name.
#[derive(Debug, Deserialize)]
struct Licence {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The crates a BOM lists (cargo packages only, identified by their purl).
fn bom_crates(bom: &Bom) -> BTreeMap<String, Crate> {
    fn walk(components: &[Component], out: &mut BTreeMap<String, Crate>) {
        for c in components {
            let is_cargo = c
                .purl
                .as_deref()
                .is_some_and(|p| p.starts_with("pkg:cargo/"));
            if is_cargo {
                let licences = c
                    .licenses
                    .iter()
                    .flat_map(|l| {
                        let text = l
                            .expression
                            .clone()
                            .or_else(|| {
                                l.license
                                    .as_ref()
                                    .and_then(|x| x.id.clone().or_else(|| x.name.clone()))
                            })
                            .unwrap_or_default();
                        licence_ids(&text)
                    })
                    .collect();
                let version = c.version.clone().unwrap_or_default();
                out.insert(
                    key(&c.name, &version),
                    Crate {
                        name: c.name.clone(),
                        version,
                        licences,
                    },
                );
            }
            walk(&c.components, out);
        }
    }
    let mut out = BTreeMap::new();
    walk(&bom.components, &mut out);
    out
}

/// Every difference between the BOM and the crates the binary is built from.
fn compare(bom: &Bom, expected: &BTreeMap<String, Crate>) -> Vec<String> {
    let mut problems = Vec::new();
    if bom.bom_format != "CycloneDX" {
        problems.push(format!(
            "bomFormat is `{}`, expected `CycloneDX`",
            bom.bom_format
        ));
    }
    let listed = bom_crates(bom);
    for (k, want) in expected {
        match listed.get(k) {
            None => problems.push(format!(
                "{k} is built into the binary (Cargo.lock) but missing from the SBOM"
            )),
            Some(got) if got.licences != want.licences => problems.push(format!(
                "{k}: the SBOM says licence {:?}, its manifest says {:?}",
                got.licences, want.licences
            )),
            Some(got) if got.licences.is_empty() => problems.push(format!(
                "{k}: no licence in the SBOM or the manifest; find the crate's licence and record it"
            )),
            Some(_) => {}
        }
    }
    for k in listed.keys() {
        if !expected.contains_key(k) {
            problems.push(format!(
                "{k} is in the SBOM but not among the crates Cargo.lock builds into the binary"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn krate(name: &str, version: &str, licence: &str) -> (String, Crate) {
        (
            key(name, version),
            Crate {
                name: name.into(),
                version: version.into(),
                licences: licence_ids(licence),
            },
        )
    }

    fn bom(json: &str) -> Bom {
        serde_json::from_str(json).unwrap()
    }

    const GOOD: &str = r#"{"bomFormat": "CycloneDX", "components": [
        {"name": "clap", "version": "4.6.9", "purl": "pkg:cargo/clap@4.6.9",
         "licenses": [{"expression": "MIT OR Apache-2.0"}]},
        {"name": "anyhow", "version": "1.0.105", "purl": "pkg:cargo/anyhow@1.0.105",
         "licenses": [{"license": {"id": "MIT"}}, {"license": {"id": "Apache-2.0"}}],
         "components": [{"name": "inner", "version": "0.1.0", "purl": "pkg:cargo/inner@0.1.0",
                         "licenses": [{"expression": "Zlib"}]}]}
    ]}"#;

    fn expected() -> BTreeMap<String, Crate> {
        [
            krate("clap", "4.6.9", "MIT/Apache-2.0"),
            krate("anyhow", "1.0.105", "Apache-2.0 OR MIT"),
            krate("inner", "0.1.0", "Zlib"),
        ]
        .into_iter()
        .collect()
    }

    #[test]
    fn matching_bom_passes_whatever_the_licence_spelling() {
        assert_eq!(compare(&bom(GOOD), &expected()), Vec::<String>::new());
    }

    #[test]
    fn missing_crate_wrong_version_and_wrong_licence_are_reported() {
        let mut want = expected();
        want.insert(
            krate("regex", "1.0.0", "MIT").0,
            krate("regex", "1.0.0", "MIT").1,
        );
        let doctored = GOOD
            .replace("\"Zlib\"", "\"GPL-3.0-only\"")
            .replace("clap@4.6.9", "clap@4.6.8")
            .replace("\"4.6.9\"", "\"4.6.8\"");
        let problems = compare(&bom(&doctored), &want);
        let all = problems.join("\n");
        assert!(
            all.contains("regex@1.0.0 is built into the binary (Cargo.lock) but missing"),
            "{all}"
        );
        assert!(all.contains("clap@4.6.9 is built into the binary"), "{all}");
        assert!(
            all.contains("clap@4.6.8 is in the SBOM but not among"),
            "{all}"
        );
        assert!(
            all.contains("inner@0.1.0: the SBOM says licence {\"GPL-3.0-only\"}"),
            "{all}"
        );
        assert_eq!(problems.len(), 4, "{all}");
    }

    #[test]
    fn licence_ids_ignore_operators_and_brackets() {
        let ids = licence_ids("(MIT OR Apache-2.0) AND Unicode-3.0");
        assert_eq!(
            ids,
            ["Apache-2.0", "MIT", "Unicode-3.0"]
                .map(String::from)
                .into()
        );
        assert_eq!(
            licence_ids("MIT/Apache-2.0"),
            licence_ids("Apache-2.0 OR MIT")
        );
        assert!(licence_ids("").is_empty());
    }
}
