//! Running cargo and reading `cargo metadata`: the single source of truth for
//! which crates the workspace declares and which ones it resolves to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The cargo to run: the one that started us when there is one, so that the
/// toolchain pinned in rust-toolchain.toml is used throughout.
pub(crate) fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs a command to completion, returning its stdout, or an error carrying
/// the tail of its stderr.
pub(crate) fn run_capture(cmd: &mut Command) -> Result<Vec<u8>> {
    let command = describe(cmd);
    let out = cmd.output().map_err(|source| Error::Spawn {
        command: command.clone(),
        source,
    })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(Error::CommandFailed {
            command,
            status: out.status,
            stderr: tail(&String::from_utf8_lossy(&out.stderr), 40),
        })
    }
}

/// Runs a command with inherited stdio (for long builds whose progress the
/// user should see).
pub(crate) fn run_inherit(cmd: &mut Command) -> Result<()> {
    let command = describe(cmd);
    eprintln!("xtask: running {command}");
    let status = cmd.status().map_err(|source| Error::Spawn {
        command: command.clone(),
        source,
    })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::CommandFailed {
            command,
            status,
            stderr: String::new(),
        })
    }
}

/// A readable rendering of a command line for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut parts = vec![cmd.get_program().to_string_lossy().into_owned()];
    parts.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let start = all.len().saturating_sub(lines);
    all.get(start..).unwrap_or_default().join("\n")
}

/// The part of `cargo metadata --format-version 1` that xtask reads.
#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    /// Every package: only the workspace members with `--no-deps`.
    pub(crate) packages: Vec<Package>,
    /// Package ids of the workspace members.
    pub(crate) workspace_members: Vec<String>,
    /// The resolved dependency graph (absent with `--no-deps`).
    pub(crate) resolve: Option<Resolve>,
    /// The directory holding the root Cargo.toml.
    pub(crate) workspace_root: PathBuf,
    /// Where build output goes.
    pub(crate) target_directory: PathBuf,
}

/// One package as cargo metadata describes it.
#[derive(Debug, Deserialize)]
pub(crate) struct Package {
    /// The crate name.
    pub(crate) name: String,
    /// Its version.
    pub(crate) version: String,
    /// Its package id, the key of the resolve graph.
    pub(crate) id: String,
    /// Its SPDX licence expression, when the manifest gives one.
    pub(crate) license: Option<String>,
    /// Its manifest.
    pub(crate) manifest_path: PathBuf,
    /// Its declared dependencies (all kinds).
    pub(crate) dependencies: Vec<Dependency>,
}

/// One dependency line of a manifest.
#[derive(Debug, Deserialize)]
pub(crate) struct Dependency {
    /// The real crate name (also when renamed with `package = ...`).
    pub(crate) name: String,
    /// `None` for a normal dependency, or `dev` / `build`.
    pub(crate) kind: Option<String>,
    /// Set for path dependencies (the workspace's own crates).
    pub(crate) path: Option<PathBuf>,
}

/// The resolved graph.
#[derive(Debug, Deserialize)]
pub(crate) struct Resolve {
    /// One node per package in the graph.
    pub(crate) nodes: Vec<Node>,
}

/// One package in the resolved graph and its edges.
#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    /// The package id.
    pub(crate) id: String,
    /// Its resolved dependencies.
    pub(crate) deps: Vec<NodeDep>,
}

/// One resolved edge.
#[derive(Debug, Deserialize)]
pub(crate) struct NodeDep {
    /// The package id it points to.
    pub(crate) pkg: String,
    /// Why: normal, dev or build, possibly several.
    pub(crate) dep_kinds: Vec<DepKindInfo>,
}

/// The kind of one resolved edge.
#[derive(Debug, Deserialize)]
pub(crate) struct DepKindInfo {
    /// `None` for normal, or `dev` / `build`.
    pub(crate) kind: Option<String>,
}

impl Metadata {
    /// The workspace member packages.
    pub(crate) fn members(&self) -> impl Iterator<Item = &Package> {
        self.packages
            .iter()
            .filter(|p| self.workspace_members.contains(&p.id))
    }

    /// Package id to package.
    pub(crate) fn by_id(&self) -> BTreeMap<&str, &Package> {
        self.packages.iter().map(|p| (p.id.as_str(), p)).collect()
    }

    /// Manifest path relative to the workspace root, for messages.
    pub(crate) fn relative<'a>(&self, path: &'a Path) -> &'a Path {
        path.strip_prefix(&self.workspace_root).unwrap_or(path)
    }
}

/// The declared dependencies of the workspace members only (fast, no network).
pub(crate) fn metadata_no_deps() -> Result<Metadata> {
    let mut cmd = cargo();
    cmd.args(["metadata", "--format-version", "1", "--no-deps"]);
    parse_metadata(&mut cmd)
}

/// The whole resolved graph for the host platform, from Cargo.lock as it is.
pub(crate) fn metadata_resolved() -> Result<Metadata> {
    let host = host_triple()?;
    let mut cmd = cargo();
    cmd.args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
        "--filter-platform",
        &host,
    ]);
    parse_metadata(&mut cmd)
}

fn parse_metadata(cmd: &mut Command) -> Result<Metadata> {
    let what = describe(cmd);
    let out = run_capture(cmd)?;
    serde_json::from_slice(&out).map_err(|source| Error::Json {
        what: format!("the output of `{what}`"),
        source,
    })
}

/// The host target triple, as rustc reports it.
pub(crate) fn host_triple() -> Result<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let mut cmd = Command::new(rustc);
    cmd.arg("-vV");
    let what = describe(&cmd);
    let out = run_capture(&mut cmd)?;
    String::from_utf8_lossy(&out)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .map(|h| h.trim().to_owned())
        .ok_or_else(|| Error::CheckFailed {
            gate: "toolchain",
            problems: vec![format!("`{what}` printed no `host:` line")],
        })
}
