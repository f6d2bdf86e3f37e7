//! Errors of the validator itself. Problems with the document being validated are not
//! errors: they are findings in a [`crate::Report`].

/// Something the validator could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vendored rule artefact uses a construct the native engine does not support. This
    /// is a defect of this build (the rules and the engine disagree), not of the input.
    #[error(
        "rule set {set} cannot be compiled natively: {detail}; update crates/validate to support it"
    )]
    RuleCompile {
        /// The rule artefact's path.
        set: String,
        /// What could not be compiled.
        detail: String,
    },
}
