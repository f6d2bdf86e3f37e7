//! The result of validating one document: findings with official rule ids, and a verdict.
//!
//! A finding is data, not an error: an invalid invoice is a normal outcome.

use serde::Serialize;

/// How serious a finding is, after the scenario's `customLevel` re-grading.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The document is rejected.
    Fatal,
    /// The document is rejected (KoSIT's "error" level).
    Error,
    /// Reported, the document is still accepted.
    Warning,
    /// Reported for information only.
    Information,
}

impl Severity {
    /// Reads a Schematron `flag` / KoSIT `customLevel` value; unknown values count as errors.
    pub fn from_flag(flag: &str) -> Self {
        match flag.trim().to_ascii_lowercase().as_str() {
            "fatal" => Self::Fatal,
            "warning" | "warn" => Self::Warning,
            "information" | "info" => Self::Information,
            _ => Self::Error,
        }
    }

    /// True for the levels that make a document invalid.
    pub fn rejects(self) -> bool {
        matches!(self, Self::Fatal | Self::Error)
    }

    /// The lower-case name, as the oracle and the JSON output write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fatal => "fatal",
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Information => "information",
        }
    }
}

/// One reported rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The official rule id (`BR-CO-15`, `PEPPOL-EN16931-R008`) or a pseudo id
    /// (`XML`, `NO-SCENARIO`, `XSLT-ERROR`, `PDF`, `UNNAMED`).
    pub rule: String,
    /// Effective severity after the scenario's level overrides.
    pub severity: Severity,
    /// The level as written in the rules.
    pub flag: String,
    /// Which step reported it: `xml`, `scenario`, or the rule set's name.
    pub step: String,
    /// XPath of the node the rule fired on (SchXslt's `Q{ns}name[n]` notation).
    pub location: String,
    /// The rule's own message text.
    pub message: String,
}

/// Whether the XML Schema step ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemaStep {
    /// The scenario's XML Schema was checked (violations are `XSD` findings).
    Checked,
    /// Not requested (`--no-schema`), or the document never reached that step.
    Skipped,
}

/// The outcome for one document.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Name of the scenario that was applied, if any.
    pub scenario: Option<String>,
    /// Notes about how the document was handled (fallbacks, forced rule sets).
    pub notes: Vec<String>,
    /// The XML Schema step's status.
    pub schema: SchemaStep,
    /// Set when the chosen rules cannot be run natively yet; the verdict is then unknown.
    pub unsupported: Option<String>,
    /// Every finding, at every level.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Valid: nothing at fatal or error level, and every selected rule set ran.
    pub fn is_valid(&self) -> bool {
        self.unsupported.is_none() && !self.findings.iter().any(|f| f.severity.rejects())
    }

    /// The sorted, distinct ids of findings at fatal or error level (the oracle's `failed`).
    pub fn failed_rule_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .findings
            .iter()
            .filter(|f| f.severity.rejects())
            .map(|f| f.rule.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// Every rule id reported at any level.
    pub fn fired_rule_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.findings.iter().map(|f| f.rule.clone()).collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(rule: &str, severity: Severity) -> Finding {
        Finding {
            rule: rule.into(),
            severity,
            flag: severity.as_str().into(),
            step: "t".into(),
            location: "/".into(),
            message: String::new(),
        }
    }

    #[test]
    fn warnings_do_not_reject() {
        let mut r = Report {
            scenario: None,
            notes: vec![],
            schema: SchemaStep::Skipped,
            unsupported: None,
            findings: vec![],
        };
        r.findings.push(finding("BR-CL-23", Severity::Warning));
        assert!(r.is_valid());
        r.findings.push(finding("BR-01", Severity::Fatal));
        r.findings.push(finding("BR-01", Severity::Fatal));
        assert!(!r.is_valid());
        assert_eq!(r.failed_rule_ids(), vec!["BR-01".to_owned()]);
        assert_eq!(r.fired_rule_ids().len(), 2);
    }

    #[test]
    fn unsupported_is_never_valid() {
        let r = Report {
            scenario: None,
            notes: vec![],
            schema: SchemaStep::Skipped,
            unsupported: Some("x".into()),
            findings: vec![],
        };
        assert!(!r.is_valid());
    }
}
