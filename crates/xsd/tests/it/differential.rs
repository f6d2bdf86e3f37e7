//! Differential test against lxml (libxml2 as bundled by lxml 6), the reference XSD
//! validator: the whole corpus plus systematic mutations of every complete valid document
//! must get the same verdict (valid / invalid) from both.
#![expect(
    clippy::indexing_slicing,
    reason = "test code: every index comes from the document or list just built"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use faktura_xsd::{FacturXProfile, SchemaKind, validate};
use roxmltree::{Document, Node};

use crate::{conformance, parse, profile_of, valid_files};

/// The Python with lxml that the oracle runs on (set up by `.ci/run`).
fn oracle_python() -> PathBuf {
    match std::env::var_os("FAKTURA_ORACLE_PYTHON") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv-oracle/bin/python"),
    }
}

fn schema_file(kind: SchemaKind) -> PathBuf {
    let rel = match kind {
        SchemaKind::UblInvoice => "ubl/maindoc/UBL-Invoice-2.1.xsd",
        SchemaKind::UblCreditNote => "ubl/maindoc/UBL-CreditNote-2.1.xsd",
        SchemaKind::Cii => "cii/CrossIndustryInvoice_100pD16B.xsd",
        SchemaKind::FacturX(FacturXProfile::Minimum) => "facturx/MINIMUM/FACTUR-X_MINIMUM.xsd",
        SchemaKind::FacturX(FacturXProfile::BasicWl) => "facturx/BASIC-WL/FACTUR-X_BASICWL.xsd",
        SchemaKind::FacturX(FacturXProfile::Basic) => "facturx/BASIC/FACTUR-X_BASIC.xsd",
        SchemaKind::FacturX(FacturXProfile::En16931) => "facturx/EN16931/FACTUR-X_EN16931.xsd",
        SchemaKind::FacturX(FacturXProfile::Extended) => "facturx/EXTENDED/FACTUR-X_EXTENDED.xsd",
    };
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(rel)
}

/// The schema kinds a document is checked against: its root's, plus its Factur-X profile.
fn kinds_of(doc: &Document<'_>) -> Vec<SchemaKind> {
    let Some(k) = faktura_xsd::schema_for_root(doc) else {
        return Vec::new();
    };
    let mut out = vec![k];
    if k == SchemaKind::Cii
        && let Some(p) = profile_of(doc)
    {
        out.push(SchemaKind::FacturX(p));
    }
    out
}

/// Every XML file of the corpus (complete documents and fragments alike).
fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let root = conformance();
    for spec in ["en16931", "peppol", "xrechnung", "zugferd"] {
        for syntax in ["ubl", "cii", "xml"] {
            for folder in ["valid", "invalid", "rule-tests"] {
                let Ok(rd) = std::fs::read_dir(root.join(spec).join(syntax).join(folder)) else {
                    continue;
                };
                for e in rd.flatten() {
                    let p = e.path();
                    if p.extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| x.eq_ignore_ascii_case("xml"))
                    {
                        out.push(p);
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// A small deterministic generator, so that every run mutates the same places.
struct Lcg(u64);

impl Lcg {
    fn pick(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn splice(text: &str, at: std::ops::Range<usize>, with: &str) -> String {
    format!("{}{}{}", &text[..at.start], with, &text[at.end..])
}

/// End (exclusive) of the start tag of the element starting at `start`.
fn start_tag_end(text: &str, start: usize) -> usize {
    let mut quote = None;
    for (i, c) in text[start..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return start + i + 1,
            _ => {}
        }
    }
    text.len()
}

/// The element's name as written in its start tag.
fn raw_name(text: &str, n: Node<'_, '_>) -> String {
    text[n.range().start + 1..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
        .collect()
}

fn leaf_text<'a, 'i>(n: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    let mut kids = n.children();
    let t = kids.next()?;
    (t.is_text() && kids.next().is_none()).then_some(t)
}

/// Systematic mutations of one document: (description, mutated text).
fn mutations(text: &str, doc: &Document<'_>, seed: u64) -> Vec<(String, String)> {
    let mut rng = Lcg(seed);
    let elems: Vec<Node<'_, '_>> = doc.descendants().filter(Node::is_element).skip(1).collect();
    let leaves: Vec<Node<'_, '_>> = elems
        .iter()
        .copied()
        .filter(|n| leaf_text(*n).is_some())
        .collect();
    let mut out = Vec::new();
    if elems.is_empty() {
        return out;
    }
    for round in 0..3 {
        let e = elems[rng.pick(elems.len())];
        out.push((
            format!("delete {} #{round}", raw_name(text, e)),
            splice(text, e.range(), ""),
        ));
        let e = elems[rng.pick(elems.len())];
        if let Some(next) = e.next_sibling_element() {
            let (a, b) = (e.range(), next.range());
            let swapped = format!(
                "{}{}{}{}{}",
                &text[..a.start],
                &text[b.clone()],
                &text[a.end..b.start],
                &text[a.clone()],
                &text[b.end..]
            );
            out.push((
                format!("swap {} and {}", raw_name(text, e), raw_name(text, next)),
                swapped,
            ));
        }
        let e = elems[rng.pick(elems.len())];
        let copy = text[e.range()].to_owned();
        out.push((
            format!("duplicate {} #{round}", raw_name(text, e)),
            splice(text, e.range().end..e.range().end, &copy),
        ));
    }
    let e = elems[rng.pick(elems.len())];
    let name = raw_name(text, e);
    let unknown = match name.split_once(':') {
        Some((p, _)) => format!("<{p}:UnknownThing>1</{p}:UnknownThing>"),
        None => "<UnknownThing>1</UnknownThing>".to_owned(),
    };
    out.push((
        format!("unknown element after {name}"),
        splice(text, e.range().end..e.range().end, &unknown),
    ));
    let e = elems[rng.pick(elems.len())];
    let at = e.range().start + 1 + raw_name(text, e).len();
    out.push((
        format!("unknown attribute on {}", raw_name(text, e)),
        splice(text, at..at, " unknownAttr=\"1\""),
    ));
    if let Some(e) = elems
        .iter()
        .copied()
        .filter(|n| n.attributes().len() > 0)
        .nth(
            rng.pick(elems.len())
                % elems
                    .iter()
                    .filter(|n| n.attributes().len() > 0)
                    .count()
                    .max(1),
        )
    {
        let end = start_tag_end(text, e.range().start);
        let tag = &text[e.range().start..end];
        if let Some(a) = e.attributes().next()
            && let Some(pos) = tag.find(&format!("{}=", a.name()))
        {
            let vstart = e.range().start + pos + a.name().len() + 2;
            let q = text.as_bytes()[vstart - 1] as char;
            if let Some(len) = text[vstart..].find(q) {
                out.push((
                    format!("bad value of {}/@{}", raw_name(text, e), a.name()),
                    splice(text, vstart..vstart + len, "BAD VALUE"),
                ));
            }
        }
    }
    let e = elems[rng.pick(elems.len())];
    if e.children().any(|c| c.is_element()) {
        let end = start_tag_end(text, e.range().start);
        out.push((
            format!("text inside {}", raw_name(text, e)),
            splice(text, end..end, "stray text"),
        ));
    }
    // Value mutations on leaves of several kinds.
    let is_decimal = |s: &str| !s.is_empty() && s.contains('.') && s.trim().parse::<f64>().is_ok();
    let is_date = |s: &str| {
        s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-')
    };
    type Pred<'p> = &'p dyn Fn(&str) -> bool;
    let classes: [(&str, Pred<'_>, &str); 6] = [
        ("bad decimal", &is_decimal, "12,50"),
        ("bad date", &is_date, "2023-02-30"),
        ("bad date format", &is_date, "31.12.2023"),
        (
            "bad code",
            &|s: &str| s.len() <= 4 && s.chars().all(|c| c.is_ascii_alphanumeric()),
            "NOT A CODE",
        ),
        ("bad boolean", &|s: &str| s == "true" || s == "false", "yes"),
        (
            "bad base64",
            &|s: &str| s.len() > 40 && !s.contains(' '),
            "@@ not base64 @@",
        ),
    ];
    for (what, pred, bad) in classes {
        let cands: Vec<_> = leaves
            .iter()
            .filter(|n| {
                leaf_text(**n)
                    .and_then(|t| t.text())
                    .is_some_and(|t| pred(t.trim()))
            })
            .collect();
        if cands.is_empty() {
            continue;
        }
        let n = cands[rng.pick(cands.len())];
        if let Some(t) = leaf_text(*n) {
            out.push((
                format!("{what} in {}", raw_name(text, *n)),
                splice(text, t.range(), bad),
            ));
        }
    }
    if !leaves.is_empty() {
        for _ in 0..2 {
            let n = leaves[rng.pick(leaves.len())];
            if let Some(t) = leaf_text(n) {
                out.push((
                    format!("empty value in {}", raw_name(text, n)),
                    splice(text, t.range(), ""),
                ));
            }
        }
    }
    out
}

/// Replaces the text of the first `<tag ...>text</tag>` with `value`.
fn set_first(text: &str, tag: &str, value: &str) -> Option<String> {
    let open = text.find(&format!("<{tag}"))?;
    let start = open + text[open..].find('>')? + 1;
    let end = start + text[start..].find(&format!("</{tag}>"))?;
    Some(splice(text, start..end, value))
}

/// Inserts `what` right after the start tag of the first `<tag`.
fn after_start(text: &str, tag: &str, what: &str) -> Option<String> {
    let open = text.find(&format!("<{tag}"))?;
    let end = start_tag_end(text, open);
    Some(splice(text, end..end, what))
}

/// Adds an attribute to the first `<tag`.
fn add_attr(text: &str, tag: &str, attr: &str) -> Option<String> {
    let open = text.find(&format!("<{tag}"))? + 1 + tag.len();
    Some(splice(text, open..open, &format!(" {attr}")))
}

/// Hand-written edge cases: lexical forms of the built-in types, wildcards (UBL extension
/// content, signatures), xsi attributes, fixed attribute values.
fn crafted(ubl: &str, cii: &str) -> Vec<(String, String, SchemaKind)> {
    let mut out = Vec::new();
    let mut push = |what: String, text: Option<String>, kind: SchemaKind| {
        if let Some(t) = text {
            out.push((what, t, kind));
        }
    };
    let inv = SchemaKind::UblInvoice;
    for v in [
        "2024-02-29",
        "2023-02-29",
        "2100-02-29",
        "2000-02-29",
        "0000-01-01",
        "-0001-01-01",
        "10000-01-01",
        "010000-01-01",
        "2024-01-01Z",
        "2024-01-01+14:00",
        "2024-01-01+14:01",
        "2024-01-01-00:00",
        "2024-01-01+1:00",
        "2024-1-01",
        " 2024-01-01 ",
        "2024-01-01T00:00:00",
        "2024-04-31",
        "2024-00-10",
        "2024-12-00",
        "",
        "\n2024-01-01\n",
    ] {
        push(
            format!("IssueDate '{}'", v.escape_debug()),
            set_first(ubl, "cbc:IssueDate", v),
            inv,
        );
    }
    for v in [
        "1.",
        ".5",
        "+1",
        "-0",
        "1e5",
        "1 000",
        "123456789012345678901234567890.123",
        "",
        " 5 ",
        "+",
        "0x10",
        "NaN",
        "INF",
        "-.5",
        "+.",
        "00012.3400",
        "1.2.",
        "\u{0661}",
        "5\n",
    ] {
        push(
            format!("PayableAmount '{}'", v.escape_debug()),
            set_first(ubl, "cbc:PayableAmount", v),
            inv,
        );
    }
    for v in [
        "10:00:00",
        "24:00:00",
        "24:00:00.0",
        "23:59:60",
        "10:00",
        "10:00:00.5+01:00",
        "10:00:00Z",
        "10:00:00.",
        "9:00:00",
    ] {
        push(
            format!("IssueTime '{v}'"),
            ubl.find("</cbc:IssueDate>").map(|i| {
                let at = i + "</cbc:IssueDate>".len();
                splice(ubl, at..at, &format!("<cbc:IssueTime>{v}</cbc:IssueTime>"))
            }),
            inv,
        );
    }
    for v in [
        "de",
        "en-GB",
        "x-klingon",
        "toolonglanguage",
        "de_DE",
        "",
        "1de",
        "de-",
    ] {
        push(
            format!("languageID '{v}'"),
            add_attr(ubl, "cbc:Note", &format!("languageID=\"{v}\"")),
            inv,
        );
    }
    for v in [
        "a b",
        "%",
        "a%2",
        "a%20",
        "[",
        "a#b#c",
        "http://[::1]/",
        "http://[::1",
        ":",
        "a:",
        "1a:b",
        "a/b:c",
        "//h:",
        "//:80",
        "//a@b@c",
        "//a:1:2",
        "http://a:xx/",
        "http://a:b@c:99999/",
        "-a:b",
        "a+:b",
        "#a#",
        "a?b?c#d?",
        "\u{e4}",
        "&lt;x&gt;",
        "http://a]b/",
        "urn:x:y",
        "",
    ] {
        push(
            format!("schemeURI '{v}'"),
            add_attr(ubl, "cbc:ID", &format!("schemeURI=\"{v}\"")),
            inv,
        );
    }
    let ext_ns =
        "xmlns:ext=\"urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2\"";
    for (what, content) in [
        (
            "foreign element",
            "<x:Foo xmlns:x=\"urn:x\"><x:Bar a=\"1\"/></x:Foo>",
        ),
        (
            "foreign element holding a bad cbc:IssueDate",
            "<x:Foo xmlns:x=\"urn:x\"><cbc:IssueDate>notadate</cbc:IssueDate></x:Foo>",
        ),
        (
            "declared cbc element with a bad value",
            "<cbc:IssueDate>notadate</cbc:IssueDate>",
        ),
        (
            "declared cbc element",
            "<cbc:IssueDate>2024-01-01</cbc:IssueDate>",
        ),
        (
            "empty ds:Signature",
            "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>",
        ),
        (
            "empty UBLDocumentSignatures",
            "<sig:UBLDocumentSignatures xmlns:sig=\"urn:oasis:names:specification:ubl:schema:xsd:CommonSignatureComponents-2\"/>",
        ),
        (
            "two foreign elements",
            "<x:A xmlns:x=\"urn:x\"/><x:B xmlns:x=\"urn:x\"/>",
        ),
        ("no element", ""),
        ("text only", "hello"),
        ("no-namespace element", "<Foo/>"),
        (
            "extension-namespace element",
            "<ext:ExtensionURI>x</ext:ExtensionURI>",
        ),
        (
            "xades QualifyingProperties without Target",
            "<xades:QualifyingProperties xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\"/>",
        ),
        (
            "xades QualifyingProperties",
            "<xades:QualifyingProperties xmlns:xades=\"http://uri.etsi.org/01903/v1.3.2#\" Target=\"#x\"/>",
        ),
        (
            "ds:Object with anything",
            "<ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"o1\">text<y:Any xmlns:y=\"urn:y\"/></ds:Object>",
        ),
        (
            "ds:Object with bad Id",
            "<ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"1 o\"/>",
        ),
        (
            "ds:KeyInfo mixed",
            "<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">text<ds:KeyName>k</ds:KeyName></ds:KeyInfo>",
        ),
        (
            "ds:KeyInfo empty",
            "<ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>",
        ),
        (
            "ds:SignatureValue bad base64",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">@@@</ds:SignatureValue>",
        ),
        (
            "ds:SignatureValue stray characters",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">QU@JD!</ds:SignatureValue>",
        ),
        (
            "ds:SignatureValue data after padding",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">QQ==QQ==</ds:SignatureValue>",
        ),
        (
            "ds:SignatureValue 3 characters",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">QUJ</ds:SignatureValue>",
        ),
        (
            "ds:SignatureValue bad padding",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">QR==</ds:SignatureValue>",
        ),
        (
            "ds:SignatureValue base64",
            "<ds:SignatureValue xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">QUJD\nREVG</ds:SignatureValue>",
        ),
    ] {
        let block = format!(
            "<ext:UBLExtensions {ext_ns}><ext:UBLExtension><ext:ExtensionContent>{content}</ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"
        );
        push(
            format!("extension: {what}"),
            after_start(ubl, "ubl:Invoice", &block),
            inv,
        );
    }
    for (what, a, b) in [
        ("duplicate Id", "dup", "dup"),
        ("distinct Ids", "one", "two"),
        ("Id with spaces", " dup", "dup "),
    ] {
        let obj = |id: &str| {
            format!(
                "<ext:UBLExtension><ext:ExtensionContent><ds:Object xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" Id=\"{id}\"/></ext:ExtensionContent></ext:UBLExtension>"
            )
        };
        let block = format!(
            "<ext:UBLExtensions {ext_ns}>{}{}</ext:UBLExtensions>",
            obj(a),
            obj(b)
        );
        push(
            format!("extension: {what}"),
            after_start(ubl, "ubl:Invoice", &block),
            inv,
        );
    }
    let xsi = "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"";
    push(
        "xsi:nil on cbc:Note".into(),
        add_attr(ubl, "cbc:Note", &format!("{xsi} xsi:nil=\"true\"")),
        inv,
    );
    push(
        "xsi:schemaLocation on root".into(),
        add_attr(
            ubl,
            "ubl:Invoice",
            &format!("{xsi} xsi:schemaLocation=\"a b\""),
        ),
        inv,
    );
    push(
        "xsi:foo on root".into(),
        add_attr(ubl, "ubl:Invoice", &format!("{xsi} xsi:foo=\"a\"")),
        inv,
    );
    for t in [
        "cbc:NoteType",
        "cbc:IDType",
        "udt:TextType",
        "cbc:NoSuchType",
        "xsd:string",
        "nope:X",
    ] {
        push(
            format!("xsi:type {t} on cbc:Note"),
            add_attr(
                ubl,
                "cbc:Note",
                &format!(
                    "{xsi} xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:udt=\"urn:oasis:names:specification:ubl:schema:xsd:UnqualifiedDataTypes-2\" xsi:type=\"{t}\""
                ),
            ),
            inv,
        );
    }
    push(
        "xml:lang on cbc:Note".into(),
        add_attr(ubl, "cbc:Note", "xml:lang=\"de\""),
        inv,
    );
    push(
        "comment and PI between elements".into(),
        after_start(ubl, "cbc:ID", "<!-- c --><?pi x?>"),
        inv,
    );
    push(
        "CDATA amount".into(),
        set_first(ubl, "cbc:PayableAmount", "<![CDATA[12.50]]>"),
        inv,
    );
    push(
        "character reference amount".into(),
        set_first(ubl, "cbc:PayableAmount", "&#x31;2.50"),
        inv,
    );
    push(
        "missing required currencyID".into(),
        Some(ubl.replacen(" currencyID=\"EUR\"", "", 1)),
        inv,
    );

    let cii_kind = SchemaKind::Cii;
    for v in ["true", "false", "1", "0", "TRUE", " true ", "yes", ""] {
        push(
            format!("CII Indicator '{v}'"),
            after_start(
                cii,
                "rsm:ExchangedDocumentContext",
                &format!(
                    "<ram:TestIndicator><udt:Indicator>{v}</udt:Indicator></ram:TestIndicator>"
                ),
            ),
            cii_kind,
        );
    }
    for a in [
        "listAgencyID=\"6\"",
        "listAgencyID=\"5\"",
        "listID=\"x\"",
        "listVersionID=\"D16B\"",
        "unknown=\"1\"",
    ] {
        push(
            format!("CII currency code {a}"),
            add_attr(cii, "ram:InvoiceCurrencyCode", a),
            cii_kind,
        );
        push(
            format!("CII TypeCode {a}"),
            add_attr(cii, "ram:TypeCode", a),
            cii_kind,
        );
    }
    for f in ["102", "610", "", "999"] {
        push(
            format!("CII date format '{f}'"),
            Some(cii.replacen("format=\"102\"", &format!("format=\"{f}\""), 1)),
            cii_kind,
        );
    }
    push(
        "CII date without format".into(),
        Some(cii.replacen(" format=\"102\"", "", 1)),
        cii_kind,
    );
    out
}

struct Case {
    label: String,
    file: PathBuf,
    kind: SchemaKind,
}

#[test]
fn verdicts_agree_with_lxml() {
    let python = oracle_python();
    assert!(
        python.exists(),
        "the lxml oracle is missing at {} (set FAKTURA_ORACLE_PYTHON or run .ci/run to install it)",
        python.display()
    );
    let tmp = std::env::temp_dir().join(format!("faktura-xsd-diff-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cases = Vec::new();
    for f in corpus_files() {
        let text = std::fs::read_to_string(&f).unwrap();
        let Some(doc) = parse(&text) else { continue };
        for kind in kinds_of(&doc) {
            cases.push(Case {
                label: format!("{} as {kind:?}", f.display()),
                file: f.clone(),
                kind,
            });
        }
    }
    let corpus_cases = cases.len();
    for (i, f) in valid_files().iter().enumerate() {
        let text = std::fs::read_to_string(f).unwrap();
        let doc = parse(&text).unwrap();
        let kinds = kinds_of(&doc);
        for (j, (what, mutated)) in mutations(&text, &doc, i as u64 + 1).into_iter().enumerate() {
            let out = tmp.join(format!("m{i}-{j}.xml"));
            std::fs::write(&out, &mutated).unwrap();
            for kind in &kinds {
                cases.push(Case {
                    label: format!(
                        "{} mutated ({what}) as {kind:?}",
                        f.file_name().unwrap().to_string_lossy()
                    ),
                    file: out.clone(),
                    kind: *kind,
                });
            }
        }
    }

    let ubl_base = conformance().join("xrechnung/ubl/valid/01.01a-INVOICE_ubl.xml");
    let cii_base = conformance().join("xrechnung/cii/valid/01.01a-INVOICE_uncefact.xml");
    let crafted_cases = crafted(
        &std::fs::read_to_string(ubl_base).unwrap(),
        &std::fs::read_to_string(cii_base).unwrap(),
    );
    assert!(
        crafted_cases.len() > 100,
        "crafted cases: {}",
        crafted_cases.len()
    );
    for (j, (what, text, kind)) in crafted_cases.into_iter().enumerate() {
        let out = tmp.join(format!("c{j}.xml"));
        std::fs::write(&out, &text).unwrap();
        cases.push(Case {
            label: format!("crafted ({what}) as {kind:?}"),
            file: out,
            kind,
        });
    }

    let mut child = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lxml_oracle.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for c in &cases {
        input.push_str(&format!(
            "{}\t{}\n",
            c.file.display(),
            schema_file(c.kind).display()
        ));
    }
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(output.status.success(), "lxml oracle failed");
    let verdicts: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        verdicts.len(),
        cases.len(),
        "oracle answered {} of {} cases",
        verdicts.len(),
        cases.len()
    );

    let (mut agree, mut skipped, mut invalid) = (0, 0, 0);
    let mut disagree = Vec::new();
    let mut by_kind: std::collections::BTreeMap<String, (usize, usize)> =
        std::collections::BTreeMap::new();
    for (c, v) in cases.iter().zip(&verdicts) {
        let text = std::fs::read_to_string(&c.file).unwrap();
        let Some(doc) = parse(&text) else {
            skipped += 1;
            continue;
        };
        let (lxml_verdict, lxml_msg) = v.split_once('\t').unwrap_or((v.as_str(), ""));
        if lxml_verdict == "unreadable" {
            skipped += 1;
            continue;
        }
        let ours = validate(&doc, c.kind);
        let ours_valid = ours.is_empty();
        if let Some((_, rest)) = c
            .label
            .split_once("mutated (")
            .or_else(|| c.label.split_once("crafted ("))
        {
            let key: String = if c.label.starts_with("crafted") {
                rest.split([' ', '\'']).next().unwrap_or("").to_owned()
            } else {
                rest.split(' ')
                    .take_while(|w| {
                        !w.contains(':') && !w.starts_with('#') && *w != "in" && *w != "of"
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            let e = by_kind.entry(key).or_default();
            if lxml_verdict == "valid" {
                e.0 += 1
            } else {
                e.1 += 1
            }
        }
        if std::env::var_os("FAKTURA_XSD_SHOW").is_some() && !ours_valid {
            println!("{}: {}", c.label, ours[0].message);
        }
        if ours_valid == (lxml_verdict == "valid") {
            agree += 1;
            if !ours_valid {
                invalid += 1;
                for v in &ours {
                    assert!(
                        !v.message.is_empty() && v.location.starts_with('/') && v.line > 0,
                        "{v:?}"
                    );
                }
            }
        } else {
            disagree.push(format!(
                "{}\n    lxml: {lxml_verdict} {lxml_msg}\n    ours: {}",
                c.label,
                ours.first().map_or("valid".to_owned(), |v| format!(
                    "{} at {} line {}",
                    v.message, v.location, v.line
                ))
            ));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    println!(
        "differential: {} cases ({corpus_cases} corpus, {} mutations), {agree} agree ({invalid} invalid), {skipped} skipped as not well-formed, {} disagree",
        cases.len(),
        cases.len() - corpus_cases,
        disagree.len()
    );
    for (k, (v, i)) in &by_kind {
        println!("  mutation {k:<22} lxml valid {v:>4}, invalid {i:>4}");
    }
    assert!(
        invalid > 100,
        "too few invalid cases ({invalid}) for the test to mean anything"
    );
    assert!(
        disagree.is_empty(),
        "{} verdicts differ from lxml:\n{}",
        disagree.len(),
        disagree
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
