//! A compiler and evaluator for the XPath 2.0 subset that the official Schematron rules use.
//!
//! Semantics follow what SaxonC-HE 12/13 does with the official XSLT (XPath 3.1 function
//! library, 2.0 syntax): untyped values become `xs:double` in general comparisons with
//! numbers and in `sum`, `xs:decimal` stays exact, `and`/`or` evaluate left to right and
//! stop early, and dynamic errors (a bad cast, two values where one is expected) are
//! errors, which the caller turns into the oracle's `XSLT-ERROR`.

pub(crate) mod ast;
pub(crate) mod eval;
pub(crate) mod parse;
pub(crate) mod regex;
pub(crate) mod value;

use std::fmt;

use value::{Atomic, AtomicType};

/// A dynamic XPath error, with its W3C error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct XpError {
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl XpError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub(crate) fn cast(v: &Atomic<'_>, target: AtomicType) -> Self {
        let shown: String = v.to_str().chars().take(60).collect();
        Self::new(
            "FORG0001",
            format!(
                "cannot cast {} '{shown}' to {}",
                v.ty().name(),
                target.name()
            ),
        )
    }

    pub(crate) fn ty(message: impl Into<String>) -> Self {
        Self::new("XPTY0004", message)
    }
}

impl fmt::Display for XpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}
