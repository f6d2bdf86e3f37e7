//! Every complete valid document of the conformance corpus is schema-valid.

use faktura_xsd::{SchemaKind, validate};

use crate::{parse, profile_of, valid_files};

#[test]
fn valid_corpus_is_schema_valid() {
    let files = valid_files();
    assert!(
        files.len() > 100,
        "conformance corpus not found ({} files)",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut profiles = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let doc = parse(&text).unwrap_or_else(|| panic!("{} does not parse", f.display()));
        let kind = faktura_xsd::schema_for_root(&doc)
            .unwrap_or_else(|| panic!("{}: unknown root", f.display()));
        let mut kinds = vec![kind];
        if kind == SchemaKind::Cii
            && let Some(p) = profile_of(&doc)
        {
            kinds.push(SchemaKind::FacturX(p));
            profiles += 1;
        }
        for k in kinds {
            checked += 1;
            let v = validate(&doc, k);
            if !v.is_empty() {
                failures.push(format!("{} as {k:?}: {:?}", f.display(), v.first()));
            }
        }
    }
    assert!(
        profiles >= 26,
        "only {profiles} documents were checked against a Factur-X profile"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
