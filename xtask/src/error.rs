//! The one error type of `xtask`: every variant says what went wrong and what
//! to do about it, because the reader is a developer looking at a CI log.

use std::path::PathBuf;

/// Everything that can stop an xtask command.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The command line named no known command.
    #[error("{0}\n\n{usage}", usage = crate::USAGE)]
    Usage(String),
    /// A program could not be started at all (not installed, not on PATH).
    #[error("could not run `{command}`: {source}; is it installed and on PATH?")]
    Spawn {
        /// The command line, for the message.
        command: String,
        /// Why the operating system refused.
        source: std::io::Error,
    },
    /// A program ran and reported failure.
    #[error("`{command}` failed ({status}){}", detail_suffix(.stderr))]
    CommandFailed {
        /// The command line, for the message.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// The tail of what it printed on stderr.
        stderr: String,
    },
    /// A file could not be read or written.
    #[error("could not access {}: {source}", path.display())]
    Io {
        /// The file in question.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A TOML file did not parse or did not have the expected shape.
    #[error("{} is not valid: {source}", path.display())]
    Toml {
        /// The file in question.
        path: PathBuf,
        /// What the parser said, with line and column.
        source: toml::de::Error,
    },
    /// JSON (cargo metadata output, an SBOM) did not parse or had the wrong shape.
    #[error("could not read {what} as JSON: {source}")]
    Json {
        /// Where the JSON came from.
        what: String,
        /// What the parser said.
        source: serde_json::Error,
    },
    /// A check ran and found problems; each line says what to fix.
    #[error("{gate} check failed with {} problem(s):\n{}", problems.len(), bullet_list(problems))]
    CheckFailed {
        /// The name of the check, as CI prints it.
        gate: &'static str,
        /// One actionable line per problem.
        problems: Vec<String>,
    },
}

/// Shorthand for results in this crate.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

fn detail_suffix(stderr: &str) -> String {
    let trimmed = stderr.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        format!(":\n{trimmed}")
    }
}

fn bullet_list(problems: &[String]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}
