//! Reading Factur-X / ZUGFeRD PDFs: the embedded invoice XML (byte-identical),
//! its profile, and a container check whose findings are data.
//!
//! Security: the input is untrusted. Its size is capped before parsing
//! ([`MAX_PDF_BYTES`]); every decompression is bounded; reference chains,
//! name trees and attachment counts are bounded; encrypted files are refused
//! (PDF/A forbids encryption). lopdf bounds object nesting itself; as a last
//! line of defence a panic inside lopdf is caught and reported as an error.

use std::collections::HashSet;
use std::fmt;

use lopdf::{Dictionary, Document, LoadOptions, Object, ObjectId};

use crate::error::{Error, Result};
use crate::profile::{MAX_XML_BYTES, Profile, detect_profile, parse_xml};

/// Largest PDF this crate reads.
pub const MAX_PDF_BYTES: usize = 20 * 1024 * 1024;
const MAX_REF_CHAIN: usize = 32;
const MAX_TREE_DEPTH: usize = 16;
const MAX_ATTACHMENTS: usize = 1_000;
const MAX_XMP_BYTES: usize = 4 * 1024 * 1024;

/// File names under which Factur-X / ZUGFeRD / XRechnung embed the invoice.
const INVOICE_NAMES: [&str; 4] = [
    "factur-x.xml",
    "xrechnung.xml",
    "zugferd-invoice.xml",
    "zugferd_invoice.xml",
];

/// One embedded file as found in the PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The file name (`/UF`, else `/F`).
    pub name: String,
    /// `/AFRelationship` without the slash, if present.
    pub relationship: Option<String>,
    /// The embedded file's `/Subtype` (MIME type), if present.
    pub mime_type: Option<String>,
    /// Whether the file specification is listed in the catalog's `/AF` array.
    pub in_af: bool,
    /// The decoded bytes.
    pub data: Vec<u8>,
}

/// The Factur-X facts found in the XMP metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XmpFacts {
    /// `pdfaid:part`.
    pub pdfa_part: Option<String>,
    /// `pdfaid:conformance`.
    pub pdfa_conformance: Option<String>,
    /// `fx:DocumentType`.
    pub document_type: Option<String>,
    /// `fx:DocumentFileName`.
    pub document_file_name: Option<String>,
    /// `fx:Version`.
    pub version: Option<String>,
    /// `fx:ConformanceLevel`.
    pub conformance_level: Option<String>,
}

/// The invoice found in a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The attachment carrying the invoice.
    pub invoice: Attachment,
    /// The profile named by the XML's guideline id, when it names one.
    pub profile: Option<Profile>,
    /// Every attachment's name, in document order.
    pub attachment_names: Vec<String>,
    /// What the XMP metadata says.
    pub xmp: XmpFacts,
    /// How many attachments carry an invoice file name.
    pub invoice_candidates: usize,
}

/// What a container check found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FindingKind {
    /// XMP lacks `pdfaid:part` 3 with conformance A, B or U.
    NotPdfA3,
    /// XMP lacks one of the four `fx:` properties.
    MissingFacturxXmp,
    /// The attachment name differs from `fx:DocumentFileName` or the profile's name.
    AttachmentName,
    /// The attachment is not listed in the catalog's `/AF` array.
    NotInAf,
    /// `/AFRelationship` is missing or not Data / Source / Alternative.
    Relationship,
    /// The embedded file's MIME type is not `text/xml`.
    MimeType,
    /// The embedded bytes are not well-formed XML.
    XmlUnreadable,
    /// The XML names no known profile.
    UnknownProfile,
    /// `fx:ConformanceLevel` disagrees with the XML's guideline id.
    ProfileMismatch,
    /// More than one attachment is named like an invoice.
    SeveralInvoices,
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotPdfA3 => "pdfa",
            Self::MissingFacturxXmp => "fx-xmp",
            Self::AttachmentName => "attachment",
            Self::NotInAf => "af",
            Self::Relationship => "af-relationship",
            Self::MimeType => "mime",
            Self::XmlUnreadable => "xml",
            Self::UnknownProfile => "profile-unknown",
            Self::ProfileMismatch => "profile",
            Self::SeveralInvoices => "several-invoices",
        })
    }
}

/// One problem of the container, with what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Which check failed.
    pub kind: FindingKind,
    /// What is wrong and what the producer should change.
    pub message: String,
}

/// Extracts the embedded invoice XML from a Factur-X / ZUGFeRD / XRechnung PDF.
pub fn extract(pdf: &[u8]) -> Result<Extracted> {
    if pdf.len() > MAX_PDF_BYTES {
        return Err(Error::TooLarge {
            what: "PDF",
            size: pdf.len(),
            limit: MAX_PDF_BYTES,
        });
    }
    let doc = load(pdf)?;
    let catalog = doc
        .catalog()
        .map_err(|e| Error::Pdf(format!("no catalog: {e}")))?;
    let xmp = read_xmp(&doc, catalog);
    let attachments = attachments(&doc, catalog)?;
    let names: Vec<String> = attachments.iter().map(|a| a.name.clone()).collect();
    let is_invoice_name = |n: &str| INVOICE_NAMES.iter().any(|k| k.eq_ignore_ascii_case(n));
    let candidates = attachments
        .iter()
        .filter(|a| is_invoice_name(&a.name))
        .count();
    let wanted = xmp.document_file_name.clone();
    let invoice = attachments
        .iter()
        .find(|a| wanted.as_deref().is_some_and(|w| w == a.name) && is_invoice_name(&a.name))
        .or_else(|| attachments.iter().find(|a| is_invoice_name(&a.name)))
        .cloned()
        .ok_or(Error::NoInvoice)?;
    let profile = detect_profile(&invoice.data).ok();
    Ok(Extracted {
        invoice,
        profile,
        attachment_names: names,
        xmp,
        invoice_candidates: candidates,
    })
}

/// Checks the Factur-X packaging of a PDF and returns the invoice with every finding.
pub fn check(pdf: &[u8]) -> Result<(Extracted, Vec<Finding>)> {
    let ex = extract(pdf)?;
    let mut findings = Vec::new();
    let mut add = |kind, message: String| findings.push(Finding { kind, message });
    let x = &ex.xmp;
    if x.pdfa_part.as_deref() != Some("3")
        || !matches!(x.pdfa_conformance.as_deref(), Some("A" | "B" | "U"))
    {
        add(
            FindingKind::NotPdfA3,
            format!(
                "the XMP metadata declares PDF/A part {:?} conformance {:?}; Factur-X needs PDF/A-3 (part 3, conformance A, B or U)",
                x.pdfa_part, x.pdfa_conformance
            ),
        );
    }
    let fx_missing: Vec<&str> = [
        ("DocumentType", &x.document_type),
        ("DocumentFileName", &x.document_file_name),
        ("Version", &x.version),
        ("ConformanceLevel", &x.conformance_level),
    ]
    .iter()
    .filter(|(_, v)| v.is_none())
    .map(|(k, _)| *k)
    .collect();
    if !fx_missing.is_empty() {
        add(
            FindingKind::MissingFacturxXmp,
            format!(
                "the XMP metadata lacks fx:{}; add the Factur-X extension schema and its properties",
                fx_missing.join(", fx:")
            ),
        );
    }
    if let Some(want) = &x.document_file_name
        && *want != ex.invoice.name
    {
        add(
            FindingKind::AttachmentName,
            format!(
                "fx:DocumentFileName is `{want}` but the invoice is embedded as `{}`",
                ex.invoice.name
            ),
        );
    }
    if let Some(p) = ex.profile
        && ex.invoice.name != p.file_name()
        && !ex.invoice.name.to_ascii_lowercase().starts_with("zugferd")
    {
        add(
            FindingKind::AttachmentName,
            format!(
                "a {p} invoice must be embedded as `{}`, not `{}`",
                p.file_name(),
                ex.invoice.name
            ),
        );
    }
    if !ex.invoice.in_af {
        add(
            FindingKind::NotInAf,
            format!(
                "`{}` is not listed in the document catalog's /AF array; PDF/A-3 requires it",
                ex.invoice.name
            ),
        );
    }
    match ex.invoice.relationship.as_deref() {
        Some("Data" | "Source" | "Alternative") => {}
        other => add(
            FindingKind::Relationship,
            format!(
                "the invoice's /AFRelationship is {other:?}; use /Alternative (or /Data for MINIMUM and BASIC WL)"
            ),
        ),
    }
    if ex.invoice.mime_type.as_deref() != Some("text/xml") {
        add(
            FindingKind::MimeType,
            format!(
                "the invoice's /Subtype is {:?}; it must be text/xml",
                ex.invoice.mime_type
            ),
        );
    }
    if let Some(enc) = declared_encoding(&ex.invoice.data)
        && !enc.eq_ignore_ascii_case("UTF-8")
    {
        add(
            FindingKind::XmlUnreadable,
            format!(
                "the embedded XML declares encoding=\"{enc}\"; Factur-X requires UTF-8, so declare encoding=\"UTF-8\""
            ),
        );
    }
    match parse_xml(&ex.invoice.data) {
        Err(e) => add(
            FindingKind::XmlUnreadable,
            format!("the embedded invoice cannot be read: {e}"),
        ),
        Ok(_) => match ex.profile {
            None => add(
                FindingKind::UnknownProfile,
                "the embedded XML's guideline id names no Factur-X / ZUGFeRD profile".to_owned(),
            ),
            Some(p) => {
                let have = x
                    .conformance_level
                    .as_deref()
                    .and_then(Profile::from_xmp_level);
                if have != Some(p) {
                    add(
                        FindingKind::ProfileMismatch,
                        format!(
                            "fx:ConformanceLevel is {:?} but the XML's guideline id is profile {p}; make them agree",
                            x.conformance_level
                        ),
                    );
                }
            }
        },
    }
    if ex.invoice_candidates > 1 {
        add(
            FindingKind::SeveralInvoices,
            format!(
                "{} attachments are named like an invoice ({}); a Factur-X PDF carries exactly one",
                ex.invoice_candidates,
                ex.attachment_names.join(", ")
            ),
        );
    }
    Ok((ex, findings))
}

/// The `encoding` pseudo-attribute of an XML declaration, if any.
fn declared_encoding(xml: &[u8]) -> Option<String> {
    let xml = xml.strip_prefix(b"\xef\xbb\xbf").unwrap_or(xml);
    if !xml.starts_with(b"<?xml") {
        return None;
    }
    let end = memchr::memmem::find(xml.get(..xml.len().min(512))?, b"?>")?;
    let decl = std::str::from_utf8(xml.get(..end)?).ok()?;
    let rest = decl
        .split("encoding")
        .nth(1)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = rest.get(1..)?.split(quote).next()?;
    Some(value.to_owned())
}

fn load(pdf: &[u8]) -> Result<Document> {
    if !pdf.starts_with(b"%PDF-")
        && memchr::memmem::find(pdf.get(..1024).unwrap_or(pdf), b"%PDF-").is_none()
    {
        return Err(Error::Pdf("no %PDF- header".to_owned()));
    }
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_XML_BYTES * 2),
        ..LoadOptions::default()
    };
    let loaded = std::panic::catch_unwind(|| Document::load_mem_with_options(pdf, options));
    let doc = match loaded {
        Ok(Ok(doc)) => doc,
        Ok(Err(e)) => {
            if looks_encrypted(pdf) {
                return Err(Error::Encrypted);
            }
            return Err(Error::Pdf(e.to_string()));
        }
        Err(_) => {
            return Err(Error::Pdf(
                "the PDF parser failed on malformed input".to_owned(),
            ));
        }
    };
    if doc.trailer.get(b"Encrypt").is_ok() || doc.was_encrypted() {
        return Err(Error::Encrypted);
    }
    Ok(doc)
}

fn looks_encrypted(pdf: &[u8]) -> bool {
    let tail = pdf.get(pdf.len().saturating_sub(4096)..).unwrap_or(pdf);
    memchr::memmem::find(tail, b"/Encrypt").is_some()
}

/// Follows references (bounded) to a direct object.
fn resolve<'a>(doc: &'a Document, mut obj: &'a Object) -> Option<&'a Object> {
    for _ in 0..MAX_REF_CHAIN {
        match obj {
            Object::Reference(id) => obj = doc.get_object(*id).ok()?,
            other => return Some(other),
        }
    }
    None
}

fn dict<'a>(doc: &'a Document, obj: &'a Object) -> Option<&'a Dictionary> {
    match resolve(doc, obj)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    resolve(doc, d.get(key).ok()?)
}

fn name_of(obj: Option<&Object>) -> Option<String> {
    match obj? {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// Decodes a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding ≈ Latin-1).
fn text_string(obj: Option<&Object>) -> Option<String> {
    let Object::String(bytes, _) = obj? else {
        return None;
    };
    if let Some(rest) = bytes.strip_prefix(&[0xfe, 0xff]) {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                u16::from_be_bytes([
                    c.first().copied().unwrap_or(0),
                    c.get(1).copied().unwrap_or(0),
                ])
            })
            .collect();
        return Some(String::from_utf16_lossy(&units));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return Some(String::from_utf8_lossy(rest).into_owned());
    }
    Some(bytes.iter().map(|&b| char::from(b)).collect())
}

fn attachments(doc: &Document, catalog: &Dictionary) -> Result<Vec<Attachment>> {
    // Object ids of the file specifications in /AF.
    let mut af_ids: HashSet<ObjectId> = HashSet::new();
    let mut specs: Vec<(Option<ObjectId>, &Dictionary)> = Vec::new();
    if let Some(Object::Array(af)) = catalog.get(b"AF").ok().and_then(|o| resolve(doc, o)) {
        for item in af.iter().take(MAX_ATTACHMENTS) {
            if let Object::Reference(id) = item {
                af_ids.insert(*id);
            }
        }
    }
    if let Some(names) = get(doc, catalog, b"Names").and_then(|o| dict(doc, o))
        && let Some(tree) = get(doc, names, b"EmbeddedFiles").and_then(|o| dict(doc, o))
    {
        walk_name_tree(doc, tree, 0, &mut specs)?;
    }
    // Files only reachable through /AF count too.
    for id in &af_ids {
        if specs.iter().all(|(sid, _)| *sid != Some(*id))
            && let Ok(Object::Dictionary(d)) = doc.get_object(*id)
        {
            specs.push((Some(*id), d));
        }
    }
    let mut out = Vec::new();
    for (id, spec) in specs {
        let name = text_string(get(doc, spec, b"UF"))
            .or_else(|| text_string(get(doc, spec, b"F")))
            .unwrap_or_default();
        let relationship = name_of(get(doc, spec, b"AFRelationship"));
        let Some(ef) = get(doc, spec, b"EF").and_then(|o| dict(doc, o)) else {
            continue;
        };
        let Some(Object::Stream(stream)) = ef
            .get(b"F")
            .or_else(|_| ef.get(b"UF"))
            .ok()
            .and_then(|o| resolve(doc, o))
        else {
            continue;
        };
        let mime_type = name_of(stream.dict.get(b"Subtype").ok());
        let data = stream
            .get_plain_content_with_limit(MAX_XML_BYTES)
            .map_err(|e| Error::Pdf(format!("attachment `{name}` cannot be decoded: {e}")))?;
        out.push(Attachment {
            name,
            relationship,
            mime_type,
            in_af: id.is_some_and(|id| af_ids.contains(&id)),
            data,
        });
    }
    Ok(out)
}

fn walk_name_tree<'a>(
    doc: &'a Document,
    node: &'a Dictionary,
    depth: usize,
    out: &mut Vec<(Option<ObjectId>, &'a Dictionary)>,
) -> Result<()> {
    if depth > MAX_TREE_DEPTH {
        return Err(Error::TooDeep(MAX_TREE_DEPTH));
    }
    if let Some(Object::Array(names)) = get(doc, node, b"Names") {
        for pair in names.chunks(2) {
            if out.len() >= MAX_ATTACHMENTS {
                return Ok(());
            }
            if let Some(value) = pair.get(1) {
                let id = match value {
                    Object::Reference(id) => Some(*id),
                    _ => None,
                };
                if let Some(Object::Dictionary(d)) = resolve(doc, value) {
                    out.push((id, d));
                }
            }
        }
    }
    if let Some(Object::Array(kids)) = get(doc, node, b"Kids") {
        for kid in kids.iter().take(MAX_ATTACHMENTS) {
            if let Some(d) = dict(doc, kid) {
                walk_name_tree(doc, d, depth + 1, out)?;
            }
        }
    }
    Ok(())
}

fn read_xmp(doc: &Document, catalog: &Dictionary) -> XmpFacts {
    let Some(Object::Stream(s)) = get(doc, catalog, b"Metadata") else {
        return XmpFacts::default();
    };
    let Ok(bytes) = s.get_plain_content_with_limit(MAX_XMP_BYTES) else {
        return XmpFacts::default();
    };
    xmp_facts(&bytes)
}

/// Reads the PDF/A and Factur-X facts from an XMP packet (element or attribute form).
pub(crate) fn xmp_facts(bytes: &[u8]) -> XmpFacts {
    let mut facts = XmpFacts::default();
    // XMP packets start with a processing instruction and may carry a BOM-less
    // UTF-8 body; anything unparsable yields no facts.
    let Ok(doc) = parse_xml(bytes) else {
        return facts;
    };
    let mut set = |ns: &str, local: &str, value: &str| {
        let value = Some(value.trim().to_owned());
        if ns.contains("pdfa/ns/id") {
            match local {
                "part" => facts.pdfa_part = value,
                "conformance" => facts.pdfa_conformance = value,
                _ => {}
            }
        } else if ns.contains("factur-x") || ns.contains("zugferd") || ns.contains("ferd") {
            match local {
                "DocumentType" => facts.document_type = value,
                "DocumentFileName" => facts.document_file_name = value,
                "Version" => facts.version = value,
                "ConformanceLevel" => facts.conformance_level = value,
                _ => {}
            }
        }
    };
    for node in doc.descendants().filter(|n| n.is_element()) {
        // Skip the extension schema descriptions (they name properties, not values).
        if let (Some(ns), Some(text)) = (node.tag_name().namespace(), node.text())
            && node.children().all(|c| c.is_text())
        {
            set(ns, node.tag_name().name(), text);
        }
        for attr in node.attributes() {
            if let Some(ns) = attr.namespace() {
                set(ns, attr.name(), attr.value());
            }
        }
    }
    facts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_facts_read_elements_and_attributes() {
        let xmp = br#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" pdfaid:part="3" pdfaid:conformance="B"/>
<rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
<fx:DocumentType>INVOICE</fx:DocumentType><fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
<fx:Version>1.0</fx:Version><fx:ConformanceLevel>EN 16931</fx:ConformanceLevel></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let f = xmp_facts(xmp);
        assert_eq!(f.pdfa_part.as_deref(), Some("3"));
        assert_eq!(f.pdfa_conformance.as_deref(), Some("B"));
        assert_eq!(f.document_file_name.as_deref(), Some("factur-x.xml"));
        assert_eq!(f.conformance_level.as_deref(), Some("EN 16931"));
        assert_eq!(xmp_facts(b"not xml"), XmpFacts::default());
    }

    #[test]
    fn encoding_declaration_is_read() {
        assert_eq!(
            declared_encoding(b"<?xml version='1.0' encoding='UTF-8' ?><a/>").as_deref(),
            Some("UTF-8")
        );
        assert_eq!(
            declared_encoding(b"<?xml version=\"1.0\" encoding=\"UTF-8_W/O_BOM\"?><a/>").as_deref(),
            Some("UTF-8_W/O_BOM")
        );
        assert_eq!(declared_encoding(b"<a/>"), None);
        assert_eq!(declared_encoding(b"<?xml version=\"1.0\"?><a/>"), None);
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        assert!(matches!(extract(b""), Err(Error::Pdf(_))));
        assert!(matches!(
            extract(b"%PDF-1.7\n1 0 obj\n<<"),
            Err(Error::Pdf(_))
        ));
        let big = vec![b' '; MAX_PDF_BYTES + 1];
        assert!(matches!(extract(&big), Err(Error::TooLarge { .. })));
    }
}
