//! The crate's one error type. Validation findings are data ([`crate::Violation`]), not errors;
//! an [`Error`] means an embedded schema could not be compiled, which is a defect of this crate.

/// Why a schema set could not be compiled.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A schema file uses an XSD construct this compiler does not support, or is malformed.
    #[error("{0}")]
    Schema(SchemaError),
}

/// Where and why schema compilation failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot compile schema {file} (line {line}): {message}")]
pub struct SchemaError {
    file: String,
    line: u32,
    message: String,
}

impl SchemaError {
    pub(crate) fn new(file: &str, line: u32, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line,
            message: message.into(),
        }
    }

    /// The schema file (path under `schemas/`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// What is unsupported or wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}
