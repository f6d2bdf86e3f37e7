//! The native XML Schema check: parse with roxmltree (no DTD, bounded node count, as the
//! validator does) and check the document against every schema kind; never panics.
#![no_main]

use faktura_xsd::{FacturXProfile, SchemaKind, schema_for_root, validate};

const KINDS: [SchemaKind; 8] = [
    SchemaKind::UblInvoice,
    SchemaKind::UblCreditNote,
    SchemaKind::Cii,
    SchemaKind::FacturX(FacturXProfile::Minimum),
    SchemaKind::FacturX(FacturXProfile::BasicWl),
    SchemaKind::FacturX(FacturXProfile::Basic),
    SchemaKind::FacturX(FacturXProfile::En16931),
    SchemaKind::FacturX(FacturXProfile::Extended),
];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 100_000,
        ..Default::default()
    };
    let Ok(doc) = roxmltree::Document::parse_with_options(text, opts) else {
        return;
    };
    let _ = schema_for_root(&doc);
    for kind in KINDS {
        let _ = validate(&doc, kind);
    }
});
