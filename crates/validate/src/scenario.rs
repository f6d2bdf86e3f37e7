//! Scenario choice, as the KoSIT validator and the project's oracle make it: the
//! `<match>` XPath of each scenario in `scenarios.xml` (KoSIT, then Peppol, then
//! Factur-X), evaluated on the document; the first that holds wins.

use std::collections::HashMap;
use std::sync::OnceLock;

use roxmltree::{Document, Node};

use crate::schematron::RuleSet;
use crate::xpath::ast::Expr;
use crate::xpath::eval::{Ev, Focus, Program};
use crate::xpath::parse::{CompileError, StaticContext};

const SC_NS: &str = "http://www.xoev.de/de/validator/framework/1/scenarios";

/// The vendored rule artefacts: path (relative to `rules/`) and text.
const RESOURCES: &[(&str, &str)] = &[
    (
        "kosit-xrechnung-3.0.2-config-2026-01-31/resources/ubl/2.1/xsl/EN16931-UBL-validation.xsl",
        include_str!(
            "../rules/kosit-xrechnung-3.0.2-config-2026-01-31/resources/ubl/2.1/xsl/EN16931-UBL-validation.xsl"
        ),
    ),
    (
        "kosit-xrechnung-3.0.2-config-2026-01-31/resources/cii/16b/xsl/EN16931-CII-validation.xsl",
        include_str!(
            "../rules/kosit-xrechnung-3.0.2-config-2026-01-31/resources/cii/16b/xsl/EN16931-CII-validation.xsl"
        ),
    ),
    (
        "kosit-xrechnung-3.0.2-config-2026-01-31/resources/xrechnung/3.0.2/xsl/XRechnung-UBL-validation.xsl",
        include_str!(
            "../rules/kosit-xrechnung-3.0.2-config-2026-01-31/resources/xrechnung/3.0.2/xsl/XRechnung-UBL-validation.xsl"
        ),
    ),
    (
        "kosit-xrechnung-3.0.2-config-2026-01-31/resources/xrechnung/3.0.2/xsl/XRechnung-CII-validation.xsl",
        include_str!(
            "../rules/kosit-xrechnung-3.0.2-config-2026-01-31/resources/xrechnung/3.0.2/xsl/XRechnung-CII-validation.xsl"
        ),
    ),
    (
        "peppol-bis-billing-3.0.19/xsl/PEPPOL-EN16931-UBL.xsl",
        include_str!("../rules/peppol-bis-billing-3.0.19/xsl/PEPPOL-EN16931-UBL.xsl"),
    ),
    (
        "peppol-bis-billing-3.0.19/xsl/PEPPOL-EN16931-CII.xsl",
        include_str!("../rules/peppol-bis-billing-3.0.19/xsl/PEPPOL-EN16931-CII.xsl"),
    ),
    (
        "facturx-1.09.2/MINIMUM/FACTUR-X_MINIMUM.xslt",
        include_str!("../rules/facturx-1.09.2/MINIMUM/FACTUR-X_MINIMUM.xslt"),
    ),
    (
        "facturx-1.09.2/BASIC-WL/FACTUR-X_BASIC-WL.xslt",
        include_str!("../rules/facturx-1.09.2/BASIC-WL/FACTUR-X_BASIC-WL.xslt"),
    ),
    (
        "facturx-1.09.2/BASIC/FACTUR-X_BASIC.xslt",
        include_str!("../rules/facturx-1.09.2/BASIC/FACTUR-X_BASIC.xslt"),
    ),
    (
        "facturx-1.09.2/EN16931/FACTUR-X_EN16931.xslt",
        include_str!("../rules/facturx-1.09.2/EN16931/FACTUR-X_EN16931.xslt"),
    ),
    (
        "facturx-1.09.2/EXTENDED/FACTUR-X_EXTENDED.xslt",
        include_str!("../rules/facturx-1.09.2/EXTENDED/FACTUR-X_EXTENDED.xslt"),
    ),
];

/// The Factur-X code databases that the profile stylesheets read with `document()`:
/// file name (as the stylesheets name it) and text.
const CODEDBS: &[(&str, &str)] = &[
    (
        "FACTUR-X_MINIMUM_codedb.xml",
        include_str!("../rules/facturx-1.09.2/MINIMUM/FACTUR-X_MINIMUM_codedb.xml"),
    ),
    (
        "FACTUR-X_BASIC-WL_codedb.xml",
        include_str!("../rules/facturx-1.09.2/BASIC-WL/FACTUR-X_BASIC-WL_codedb.xml"),
    ),
    (
        "FACTUR-X_BASIC_codedb.xml",
        include_str!("../rules/facturx-1.09.2/BASIC/FACTUR-X_BASIC_codedb.xml"),
    ),
    (
        "FACTUR-X_EN16931_codedb.xml",
        include_str!("../rules/facturx-1.09.2/EN16931/FACTUR-X_EN16931_codedb.xml"),
    ),
    (
        "FACTUR-X_EXTENDED_codedb.xml",
        include_str!("../rules/facturx-1.09.2/EXTENDED/FACTUR-X_EXTENDED_codedb.xml"),
    ),
];

/// The scenario files in the oracle's order: folder and text.
const SCENARIO_FILES: &[(&str, &str)] = &[
    (
        "kosit-xrechnung-3.0.2-config-2026-01-31",
        include_str!("../rules/kosit-xrechnung-3.0.2-config-2026-01-31/scenarios.xml"),
    ),
    (
        "peppol-bis-billing-3.0.19",
        include_str!("../rules/peppol-bis-billing-3.0.19/scenarios.xml"),
    ),
    (
        "facturx-1.09.2",
        include_str!("../rules/facturx-1.09.2/scenarios.xml"),
    ),
];

/// Rule families, as `--rules` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// CEN EN 16931 only.
    En16931,
    /// XRechnung 3.0 (CIUS, Extension, CVD).
    Xrechnung,
    /// Peppol BIS Billing 3.0.
    Peppol,
    /// Factur-X / ZUGFeRD profiles.
    Facturx,
}

impl Family {
    /// Every family, in display order.
    pub const ALL: [Self; 4] = [Self::En16931, Self::Xrechnung, Self::Peppol, Self::Facturx];

    /// The family's name as `--rules` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::En16931 => "en16931",
            Self::Xrechnung => "xrechnung",
            Self::Peppol => "peppol",
            Self::Facturx => "facturx",
        }
    }

    fn of_scenario(name: &str) -> Self {
        if name.contains("XRechnung") {
            Self::Xrechnung
        } else if name.contains("Peppol") {
            Self::Peppol
        } else if name.contains("Factur-X") {
            Self::Facturx
        } else {
            Self::En16931
        }
    }
}

/// The syntax of a document, from its root element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DocType {
    UblInvoice,
    UblCreditNote,
    Cii,
}

impl DocType {
    /// Recognises the root element of a UBL Invoice / CreditNote or a CII invoice.
    pub(crate) fn of_root(root: Node<'_, '_>) -> Option<Self> {
        let t = root.tag_name();
        match (t.namespace(), t.name()) {
            (Some("urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"), "Invoice") => {
                Some(Self::UblInvoice)
            }
            (Some("urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"), "CreditNote") => {
                Some(Self::UblCreditNote)
            }
            (
                Some("urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"),
                "CrossIndustryInvoice",
            ) => Some(Self::Cii),
            _ => None,
        }
    }

    fn of_xsd(path: &str) -> Self {
        if path.contains("CreditNote") {
            Self::UblCreditNote
        } else if path.contains("Invoice-2.1") {
            Self::UblInvoice
        } else {
            Self::Cii
        }
    }
}

/// One scenario.
#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) name: String,
    pub(crate) family: Family,
    pub(crate) doctype: DocType,
    /// Index of the match expression in the engine's match program.
    match_index: usize,
    /// The scenario's XML Schema.
    pub(crate) schema: faktura_xsd::SchemaKind,
    /// Rule set paths (relative to `rules/`), in order.
    pub(crate) steps: Vec<String>,
    pub(crate) custom_levels: HashMap<String, String>,
}

/// All scenarios, their match expressions, and the lazily compiled rule sets.
#[derive(Debug)]
pub(crate) struct Engine {
    pub(crate) scenarios: Vec<Scenario>,
    matches: Program,
    match_exprs: Vec<Expr>,
    rulesets: HashMap<&'static str, OnceLock<Result<RuleSet, CompileError>>>,
}

impl Engine {
    /// Reads the vendored scenario files.
    pub(crate) fn load() -> Result<Self, CompileError> {
        let mut cx = StaticContext::default();
        let mut scenarios = Vec::new();
        let mut match_exprs = Vec::new();
        for (dir, text) in SCENARIO_FILES {
            let opts = roxmltree::ParsingOptions {
                allow_dtd: false,
                ..Default::default()
            };
            let doc = Document::parse_with_options(text, opts)
                .map_err(|e| CompileError(format!("{dir}/scenarios.xml: {e}")))?;
            for sc in doc
                .root_element()
                .children()
                .filter(|n| is_sc(*n, "scenario"))
            {
                let name = child_text(sc, "name").unwrap_or_default();
                cx.namespaces.clear();
                for ns in sc.children().filter(|n| is_sc(*n, "namespace")) {
                    cx.namespaces.insert(
                        ns.attribute("prefix").unwrap_or("").to_owned(),
                        ns.text().unwrap_or("").trim().to_owned(),
                    );
                }
                let match_src = child_text(sc, "match").unwrap_or_default();
                let expr = cx
                    .compile(&match_src)
                    .map_err(|e| CompileError(format!("{dir}: scenario {name}: {}", e.0)))?;
                let xsd = sc
                    .children()
                    .find(|n| is_sc(*n, "validateWithXmlSchema"))
                    .and_then(|v| v.descendants().find(|n| is_sc(*n, "location")))
                    .and_then(|l| l.text())
                    .unwrap_or("")
                    .trim()
                    .to_owned();
                let steps = sc
                    .children()
                    .filter(|n| is_sc(*n, "validateWithSchematron"))
                    .filter_map(|v| {
                        v.descendants()
                            .find(|n| is_sc(*n, "location"))
                            .and_then(|l| l.text())
                    })
                    .map(|loc| normalise_path(dir, loc.trim()))
                    .collect();
                let custom_levels = sc
                    .descendants()
                    .filter(|n| is_sc(*n, "customLevel"))
                    .map(|c| {
                        (
                            c.text().unwrap_or("").trim().to_owned(),
                            c.attribute("level").unwrap_or("error").to_owned(),
                        )
                    })
                    .collect();
                match_exprs.push(expr);
                scenarios.push(Scenario {
                    family: Family::of_scenario(&name),
                    doctype: DocType::of_xsd(&xsd),
                    schema: schema_kind(&xsd),
                    name,
                    match_index: match_exprs.len() - 1,
                    steps,
                    custom_levels,
                });
            }
        }
        let matches = Program {
            names: std::mem::take(&mut cx.names),
            ..Program::default()
        };
        let rulesets = RESOURCES
            .iter()
            .map(|(p, _)| (*p, OnceLock::new()))
            .collect();
        Ok(Self {
            scenarios,
            matches,
            match_exprs,
            rulesets,
        })
    }

    /// The first scenario whose match holds, restricted to `family` when forced; with a
    /// forced family and no match, that family's first scenario for the document type.
    /// Returns the scenario and a note when a fallback was used.
    pub(crate) fn choose(
        &self,
        doc: &Document<'_>,
        doctype: DocType,
        family: Option<Family>,
    ) -> (Option<&Scenario>, Option<String>) {
        let ev_doc: &Document<'_> = doc;
        let mut ev = Ev::new(&self.matches, ev_doc);
        let focus = Focus::node(ev.root());
        for sc in &self.scenarios {
            if family.is_some_and(|f| f != sc.family) {
                continue;
            }
            let Some(expr) = self.match_exprs.get(sc.match_index) else {
                continue;
            };
            if ev.ebv(expr, &focus).unwrap_or(false) {
                let note = family.map(|f| format!("rule set forced: {}", f.name()));
                return (Some(sc), note);
            }
        }
        let (want, note) = match family {
            None => (
                Family::En16931,
                "no scenario matched the specification identifier; fell back to EN 16931"
                    .to_owned(),
            ),
            Some(f) => (
                f,
                format!(
                    "rule set forced: {} (specification identifier not matched)",
                    f.name()
                ),
            ),
        };
        let sc = self
            .scenarios
            .iter()
            .find(|s| s.family == want && s.doctype == doctype);
        (sc, Some(note))
    }

    /// The compiled rule set at `path`, compiling it on first use. `None` when the
    /// artefact is not vendored (the family is not supported natively yet).
    pub(crate) fn ruleset(&self, path: &str) -> Option<&Result<RuleSet, CompileError>> {
        let (key, text) = RESOURCES.iter().find(|(p, _)| *p == path)?;
        let cell = self.rulesets.get(key)?;
        Some(cell.get_or_init(|| RuleSet::compile(key, text, CODEDBS)))
    }

    /// Paths of every vendored rule set.
    pub(crate) fn ruleset_paths() -> impl Iterator<Item = &'static str> {
        RESOURCES.iter().map(|(p, _)| *p)
    }
}

/// The structure schema a scenario's `validateWithXmlSchema` location names.
fn schema_kind(xsd: &str) -> faktura_xsd::SchemaKind {
    use faktura_xsd::{FacturXProfile as P, SchemaKind as K};
    let file = xsd.rsplit('/').next().unwrap_or(xsd);
    match file {
        f if f.contains("UBL-CreditNote") => K::UblCreditNote,
        f if f.contains("UBL-Invoice") => K::UblInvoice,
        f if f.starts_with("FACTUR-X_MINIMUM") => K::FacturX(P::Minimum),
        f if f.starts_with("FACTUR-X_BASICWL") => K::FacturX(P::BasicWl),
        f if f.starts_with("FACTUR-X_BASIC") => K::FacturX(P::Basic),
        f if f.starts_with("FACTUR-X_EN16931") => K::FacturX(P::En16931),
        f if f.starts_with("FACTUR-X_EXTENDED") => K::FacturX(P::Extended),
        _ => K::Cii,
    }
}

fn is_sc(n: Node<'_, '_>, local: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(SC_NS) && n.tag_name().name() == local
}

fn child_text(n: Node<'_, '_>, local: &str) -> Option<String> {
    n.children()
        .find(|c| is_sc(*c, local))
        .map(|c| c.text().unwrap_or("").trim().to_owned())
}

/// Resolves a scenario-relative location (`../kosit…/resources/…`) against its folder.
fn normalise_path(dir: &str, loc: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').collect();
    for seg in loc.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_across_folders() {
        assert_eq!(
            normalise_path(
                "peppol-bis-billing-3.0.19",
                "../kosit-x/resources/ubl/a.xsl"
            ),
            "kosit-x/resources/ubl/a.xsl"
        );
    }

    #[test]
    fn scenarios_load_in_oracle_order() {
        let e = Engine::load().unwrap();
        assert!(e.scenarios.len() >= 12, "{}", e.scenarios.len());
        assert_eq!(
            e.scenarios.first().map(|s| s.family),
            Some(Family::Xrechnung)
        );
        assert_eq!(e.scenarios.last().map(|s| s.family), Some(Family::Facturx));
        let xr = e
            .scenarios
            .iter()
            .find(|s| s.family == Family::Xrechnung)
            .unwrap();
        assert_eq!(
            xr.custom_levels.get("BR-CL-23").map(String::as_str),
            Some("warning")
        );
    }
}
