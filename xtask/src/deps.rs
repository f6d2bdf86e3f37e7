//! `cargo xtask deps`: every direct dependency is an explicit, reviewed
//! decision (supply-chain/approved-dependencies.toml), and dependencies point
//! downward as ARCHITECTURE.md says (only `store` names sqlx, only `server`
//! names axum, the pure crates pull in no async runtime).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::cargo::{self, Metadata};
use crate::error::{Error, Result};

/// Where the approved list lives, relative to the workspace root.
pub(crate) const APPROVED_PATH: &str = "supply-chain/approved-dependencies.toml";

/// Runs both checks against the real workspace and reports every problem at once.
pub(crate) fn run() -> Result<()> {
    let declared = cargo::metadata_no_deps()?;
    let approved_path = declared.workspace_root.join(APPROVED_PATH);
    let approved = load_approved(&approved_path)?;
    let mut direct = direct_external(&declared);
    direct.extend(extra_workspace_deps(&declared)?);
    direct.sort();
    direct.dedup();
    let approval = check_approval(&direct, &approved);
    let resolved = cargo::metadata_resolved()?;
    let layering = check_layering(&resolved);
    let direct = direct
        .iter()
        .map(|d| d.name.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    match (approval.is_empty(), layering.is_empty()) {
        (true, true) => {
            println!(
                "deps: ok: {direct} direct external dependencies of {} workspace crates, all approved; \
                 {} entries in {APPROVED_PATH}; layering rules hold",
                declared.members().count(),
                approved.len()
            );
            Ok(())
        }
        (false, _) => Err(Error::CheckFailed {
            gate: "dependency approval",
            problems: approval.into_iter().chain(layering).collect(),
        }),
        (true, false) => Err(Error::CheckFailed {
            gate: "dependency layering",
            problems: layering,
        }),
    }
}

/// The approved list: crate name to the reason it is allowed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApprovedFile {
    approved: BTreeMap<String, String>,
}

/// Reads the approved list, refusing a malformed file with its line number.
pub(crate) fn load_approved(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_approved(&text).map_err(|source| Error::Toml {
        path: path.to_owned(),
        source,
    })
}

fn parse_approved(text: &str) -> Result<BTreeMap<String, String>, toml::de::Error> {
    toml::from_str::<ApprovedFile>(text).map(|f| f.approved)
}

/// One external dependency line in a workspace manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct DirectDep {
    name: String,
    kind: &'static str,
    manifest: PathBuf,
}

fn direct_external(meta: &Metadata) -> Vec<DirectDep> {
    let mut out = Vec::new();
    for pkg in meta.members() {
        for dep in &pkg.dependencies {
            if dep.path.is_some() {
                continue; // the workspace's own crates need no approval
            }
            let kind = match dep.kind.as_deref() {
                Some("dev") => "dev-dependencies",
                Some("build") => "build-dependencies",
                _ => "dependencies",
            };
            out.push(DirectDep {
                name: dep.name.clone(),
                kind,
                manifest: meta.relative(&pkg.manifest_path).to_owned(),
            });
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Directories never searched for other manifests.
const SKIP_DIRS: &[&str] = &[
    "target",
    ".git",
    ".venv-oracle",
    "node_modules",
    "corpus",
    "artifacts",
];

/// How deep below the workspace root other manifests are looked for.
const MAX_DEPTH: usize = 6;

/// Direct dependencies of manifests in the repository that are not members of
/// the main workspace (the fuzz workspaces, which need nightly): they are
/// built from this repository too, so they need approval as well.
fn extra_workspace_deps(meta: &Metadata) -> Result<Vec<DirectDep>> {
    let mut known: BTreeSet<PathBuf> = meta.members().map(|p| p.manifest_path.clone()).collect();
    known.insert(meta.workspace_root.join("Cargo.toml"));
    let mut manifests = Vec::new();
    find_manifests(&meta.workspace_root, 0, &mut manifests);
    let mut out = Vec::new();
    for path in manifests.into_iter().filter(|p| !known.contains(p)) {
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let table: toml::Table = toml::from_str(&text).map_err(|source| Error::Toml {
            path: path.clone(),
            source,
        })?;
        let manifest = meta.relative(&path).to_owned();
        out.extend(
            manifest_deps(&table)
                .into_iter()
                .map(|(name, kind)| DirectDep {
                    name,
                    kind,
                    manifest: manifest.clone(),
                }),
        );
    }
    Ok(out)
}

fn find_manifests(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && depth < MAX_DEPTH && !SKIP_DIRS.iter().any(|s| name == *s) {
            find_manifests(&path, depth + 1, out);
        } else if !is_dir && name == "Cargo.toml" {
            out.push(path);
        }
    }
}

/// External (non-path) dependencies declared in a parsed manifest, including
/// target-specific tables; a renamed dependency counts under its real name.
fn manifest_deps(manifest: &toml::Table) -> Vec<(String, &'static str)> {
    const KINDS: [(&str, &str); 3] = [
        ("dependencies", "dependencies"),
        ("dev-dependencies", "dev-dependencies"),
        ("build-dependencies", "build-dependencies"),
    ];
    let mut tables: Vec<&toml::Table> = vec![manifest];
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        tables.extend(targets.values().filter_map(toml::Value::as_table));
    }
    let mut out = Vec::new();
    for table in tables {
        for (key, kind) in KINDS {
            let Some(deps) = table.get(key).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, spec) in deps {
                let detail = spec.as_table();
                if detail.is_some_and(|d| d.contains_key("path")) {
                    continue;
                }
                let real = detail
                    .and_then(|d| d.get("package"))
                    .and_then(toml::Value::as_str)
                    .unwrap_or(name);
                out.push((real.to_owned(), kind));
            }
        }
    }
    out
}

/// Every unapproved direct dependency, every stale or empty approval.
fn check_approval(deps: &[DirectDep], approved: &BTreeMap<String, String>) -> Vec<String> {
    let mut problems = Vec::new();
    for dep in deps {
        if !approved.contains_key(&dep.name) {
            problems.push(format!(
                "{}: [{}] `{}` is not approved. To approve it, add the line\n      {} = \"<one line: what it does for us and why no smaller way>\"\n    under [approved] in {APPROVED_PATH} (alphabetical order) in the same change, \
                 add it once to [workspace.dependencies] in the root Cargo.toml, and have the change reviewed \
                 (well kept? licence allowed by deny.toml? no advisory?)",
                dep.manifest.display(),
                dep.kind,
                dep.name,
                dep.name
            ));
        }
    }
    let used: BTreeSet<&str> = deps.iter().map(|d| d.name.as_str()).collect();
    for (name, reason) in approved {
        if !used.contains(name.as_str()) {
            problems.push(format!(
                "{APPROVED_PATH}: `{name}` is approved but no workspace crate depends on it; \
                 remove its line (and its [workspace.dependencies] entry) or add the dependency it was approved for"
            ));
        } else if reason.trim().is_empty() {
            problems.push(format!(
                "{APPROVED_PATH}: `{name}` has an empty reason; write one line saying why we need it"
            ));
        }
    }
    problems
}

/// A crate that only one workspace crate may name in its manifest.
const ONLY_NAMED_BY: &[(&str, &str, &str)] = &[
    ("sqlx", "faktura-store", "store is the only crate with SQL"),
    (
        "axum",
        "faktura-server",
        "server is the only crate that knows HTTP",
    ),
];

/// Crates that must not pull in an async runtime or SQL, even indirectly.
const PURE_CRATES: &[&str] = &[
    "faktura-einvoice",
    "faktura-xsd",
    "faktura-validate",
    "faktura-crypto",
    "faktura-audit",
];

/// What the pure crates must not reach through normal or build dependencies.
const FORBIDDEN_IN_PURE: &[&str] = &["tokio", "sqlx", "axum", "hyper"];

/// Every breach of the layering rules in ARCHITECTURE.md, with the path that causes it.
fn check_layering(meta: &Metadata) -> Vec<String> {
    let mut problems = Vec::new();
    for pkg in meta.members() {
        for dep in &pkg.dependencies {
            for (banned, owner, why) in ONLY_NAMED_BY {
                if dep.name == *banned && pkg.name != *owner {
                    problems.push(format!(
                        "{}: names `{banned}`, but only {owner} may ({why}); move that code into {owner} \
                         or call it through {owner}'s API",
                        meta.relative(&pkg.manifest_path).display()
                    ));
                }
            }
        }
    }
    let Some(resolve) = &meta.resolve else {
        problems.push(
            "cargo metadata returned no resolve graph; cannot check indirect dependencies".into(),
        );
        return problems;
    };
    let by_id = meta.by_id();
    let edges: BTreeMap<&str, Vec<&str>> = resolve
        .nodes
        .iter()
        .map(|n| {
            let next = n
                .deps
                .iter()
                .filter(|d| d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev")))
                .map(|d| d.pkg.as_str())
                .collect();
            (n.id.as_str(), next)
        })
        .collect();
    for pkg in meta
        .members()
        .filter(|p| PURE_CRATES.contains(&p.name.as_str()))
    {
        for chain in forbidden_chains(&pkg.id, &edges, &by_id) {
            problems.push(format!(
                "{}: pulls in `{}` through {}; {} must stay free of async runtimes, HTTP and SQL \
                 (remove the dependency, make it dev-only, or move the code to store/server)",
                meta.relative(&pkg.manifest_path).display(),
                chain.last().map_or("", String::as_str),
                chain.join(" -> "),
                pkg.name
            ));
        }
    }
    problems
}

/// Shortest dependency chain from `start` to each forbidden crate it reaches.
fn forbidden_chains(
    start: &str,
    edges: &BTreeMap<&str, Vec<&str>>,
    by_id: &BTreeMap<&str, &cargo::Package>,
) -> Vec<Vec<String>> {
    let name_of = |id: &str| {
        by_id
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut seen: BTreeSet<&str> = BTreeSet::from([start]);
    let mut queue = VecDeque::from([start]);
    let mut found = Vec::new();
    while let Some(id) = queue.pop_front() {
        for &next in edges.get(id).map(Vec::as_slice).unwrap_or_default() {
            if !seen.insert(next) {
                continue;
            }
            parent.insert(next, id);
            if FORBIDDEN_IN_PURE.contains(&name_of(next).as_str()) {
                let mut chain = vec![name_of(next)];
                let mut cur = next;
                while let Some(&p) = parent.get(cur) {
                    chain.push(name_of(p));
                    cur = p;
                }
                chain.reverse();
                found.push(chain);
            } else {
                queue.push_back(next);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny workspace: `faktura-crypto` (pure) and `faktura-cli`, with the
    /// given declared dependencies and resolved edges.
    fn workspace(crypto_deps: &str, cli_deps: &str, nodes: &str, extra_pkgs: &str) -> Metadata {
        let json = format!(
            r#"{{
            "workspace_root": "/ws",
            "target_directory": "/ws/target",
            "workspace_members": ["crypto-id", "cli-id"],
            "packages": [
              {{"name": "faktura-crypto", "version": "0.1.0", "id": "crypto-id", "license": "AGPL-3.0-only",
                "source": null, "manifest_path": "/ws/crates/crypto/Cargo.toml", "dependencies": [{crypto_deps}]}},
              {{"name": "faktura-cli", "version": "0.1.0", "id": "cli-id", "license": "AGPL-3.0-only",
                "source": null, "manifest_path": "/ws/crates/cli/Cargo.toml", "dependencies": [{cli_deps}]}}
              {extra_pkgs}
            ],
            "resolve": {{"nodes": [{nodes}]}}
        }}"#
        );
        serde_json::from_str(&json).unwrap()
    }

    fn dep(name: &str, kind: &str) -> String {
        let kind = if kind.is_empty() {
            "null".to_owned()
        } else {
            format!("\"{kind}\"")
        };
        format!(r#"{{"name": "{name}", "kind": {kind}, "path": null}}"#)
    }

    fn approved(names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| ((*n).to_owned(), "reason".to_owned()))
            .collect()
    }

    #[test]
    fn all_approved_passes() {
        let m = workspace(&dep("thiserror", ""), &dep("clap", ""), "", "");
        assert!(check_approval(&direct_external(&m), &approved(&["clap", "thiserror"])).is_empty());
    }

    #[test]
    fn unapproved_dev_dependency_is_named_with_how_to_approve() {
        let m = workspace(&dep("thiserror", ""), &dep("insta", "dev"), "", "");
        let problems = check_approval(&direct_external(&m), &approved(&["thiserror"]));
        assert_eq!(problems.len(), 1, "{problems:?}");
        let p = &problems[0];
        assert!(p.contains("crates/cli/Cargo.toml"), "{p}");
        assert!(
            p.contains("[dev-dependencies] `insta` is not approved"),
            "{p}"
        );
        assert!(p.contains("insta = \""), "{p}");
        assert!(p.contains(APPROVED_PATH), "{p}");
    }

    #[test]
    fn path_dependencies_need_no_approval() {
        let internal = r#"{"name": "faktura-crypto", "kind": null, "path": "/ws/crates/crypto"}"#;
        let m = workspace("", internal, "", "");
        assert!(check_approval(&direct_external(&m), &approved(&[])).is_empty());
    }

    #[test]
    fn stale_and_empty_approvals_are_reported() {
        let m = workspace(&dep("thiserror", ""), "", "", "");
        let mut list = approved(&["thiserror", "left-pad"]);
        list.insert("thiserror".into(), "  ".into());
        let problems = check_approval(&direct_external(&m), &list);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`left-pad` is approved but no workspace crate"))
        );
        assert!(
            problems
                .iter()
                .any(|p| p.contains("`thiserror` has an empty reason"))
        );
    }

    #[test]
    fn other_workspace_manifests_count_with_real_names_and_without_path_deps() {
        let manifest: toml::Table = toml::from_str(
            r#"
            [package]
            name = "faktura-pdf-fuzz"
            [workspace]
            [dependencies]
            libfuzzer-sys = "0.4"
            faktura-pdf = { path = ".." }
            [dev-dependencies]
            fast = { package = "arbitrary", version = "1" }
            [target.'cfg(unix)'.build-dependencies]
            cc = "1"
            "#,
        )
        .unwrap();
        let mut deps = manifest_deps(&manifest);
        deps.sort();
        assert_eq!(
            deps,
            vec![
                ("arbitrary".to_owned(), "dev-dependencies"),
                ("cc".to_owned(), "build-dependencies"),
                ("libfuzzer-sys".to_owned(), "dependencies"),
            ]
        );
    }

    #[test]
    fn approved_file_parses_and_rejects_unknown_tables() {
        let ok = parse_approved("[approved]\nserde = \"serialisation\"\n").unwrap();
        assert_eq!(ok.get("serde").map(String::as_str), Some("serialisation"));
        assert!(parse_approved("[approved]\nserde = 1\n").is_err());
        assert!(parse_approved("[aproved]\nserde = \"x\"\n").is_err());
    }

    #[test]
    fn sqlx_outside_store_is_a_layering_breach() {
        let m = workspace("", &dep("sqlx", ""), "", "");
        let problems = check_layering(&m);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("crates/cli/Cargo.toml: names `sqlx`"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn pure_crate_reaching_tokio_indirectly_is_reported_with_the_chain() {
        let pkgs = r#",
            {"name": "reqwest-ish", "version": "1.0.0", "id": "mid-id", "license": "MIT", "source": "registry",
             "manifest_path": "/r/mid/Cargo.toml", "dependencies": []},
            {"name": "tokio", "version": "1.0.0", "id": "tokio-id", "license": "MIT", "source": "registry",
             "manifest_path": "/r/tokio/Cargo.toml", "dependencies": []}"#;
        let normal = r#"[{"kind": null}]"#;
        let dev = r#"[{"kind": "dev"}]"#;
        let nodes = format!(
            r#"{{"id": "crypto-id", "deps": [{{"pkg": "mid-id", "dep_kinds": {normal}}}]}},
               {{"id": "mid-id", "deps": [{{"pkg": "tokio-id", "dep_kinds": {normal}}}]}},
               {{"id": "cli-id", "deps": [{{"pkg": "tokio-id", "dep_kinds": {normal}}}]}},
               {{"id": "tokio-id", "deps": []}}"#
        );
        let m = workspace(&dep("reqwest-ish", ""), &dep("tokio", ""), &nodes, pkgs);
        let problems = check_layering(&m);
        assert_eq!(
            problems.len(),
            1,
            "only the pure crate is held to it: {problems:?}"
        );
        assert!(
            problems[0].contains("faktura-crypto -> reqwest-ish -> tokio"),
            "{}",
            problems[0]
        );

        // The same edge as a dev-dependency (tests may use a runtime) is fine.
        let dev_nodes = nodes.replacen(normal, dev, 1);
        let m = workspace(&dep("reqwest-ish", "dev"), "", &dev_nodes, pkgs);
        assert!(check_layering(&m).is_empty());
    }
}
