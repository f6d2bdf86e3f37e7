//! The crate's one error type.
//!
//! Errors say what was wrong and what to do about it. Problems a reader can
//! survive (content it does not map) are warnings, not errors.

use std::fmt;

/// Everything that can go wrong reading, computing or writing an invoice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value (decimal, date, code) is not well formed.
    #[error(transparent)]
    Value(#[from] ValueError),
    /// The input is not well-formed XML, or has a DOCTYPE (refused so that no entity is ever expanded).
    #[error(
        "the input is not usable XML: {0}; send a well-formed UTF-8 XML document without DOCTYPE"
    )]
    Xml(String),
    /// The input exceeds a safety limit.
    #[error("the input exceeds the {what} limit of {limit}; split the document or reduce its size")]
    Limit {
        /// Which limit.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The root element is not a UBL Invoice/CreditNote nor a CII CrossIndustryInvoice.
    #[error(
        "the root element is {found}; expected a UBL 2.1 Invoice or CreditNote, or a UN/CEFACT CII CrossIndustryInvoice (check the namespace)"
    )]
    UnknownDocument {
        /// The root element as `{namespace}name`.
        found: String,
    },
    /// A required element is missing or empty.
    #[error("{term} is missing at {path}; every invoice must carry it")]
    Missing {
        /// The business term (e.g. `BT-1 Invoice number`).
        term: &'static str,
        /// The XPath where it was expected.
        path: String,
    },
    /// A value read from the document is malformed.
    #[error("{path}: {problem}")]
    AtPath {
        /// The XPath of the value.
        path: String,
        /// What is wrong.
        problem: ValueError,
    },
    /// The target specification cannot carry something the invoice holds.
    #[error("cannot convert to {target}: {reason}")]
    Unsupported {
        /// The target specification or syntax.
        target: String,
        /// What cannot be carried, and what to do.
        reason: String,
    },
    /// The calculation overflowed the decimal range.
    #[error("the amounts are too large to compute exactly ({0}); check quantities and prices")]
    Overflow(&'static str),
}

/// A malformed value: what it should have been and what was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError {
    what: &'static str,
    found: String,
    expected: &'static str,
}

impl ValueError {
    pub(crate) fn new(what: &'static str, found: &str, expected: &'static str) -> Self {
        let mut found: String = found.chars().take(64).collect();
        if found.len() < found.len().max(64) && found.chars().count() == 64 {
            found.push('…');
        }
        Self {
            what,
            found,
            expected,
        }
    }

    /// What kind of value it was (e.g. `date`).
    pub fn what(&self) -> &'static str {
        self.what
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a valid {}; write {}",
            self.found, self.what, self.expected
        )
    }
}

impl std::error::Error for ValueError {}
