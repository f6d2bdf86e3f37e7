//! Adds the Factur-X XMP extension schema and values to krilla's output.
//!
//! krilla (0.8) writes every Factur-X structure except the `fx:` XMP
//! properties and has no API for custom XMP (upstream issue #209). This module
//! rewrites the one metadata object in place: it inserts the `fx` schema
//! description into the `pdfaExtension:schemas` bag krilla already writes (XMP
//! allows that property once) and an `rdf:Description` with the four values,
//! then shifts the later offsets of the classic cross-reference table.
//!
//! INVARIANT: PDF/A forbids a `/Filter` on the metadata stream, so the XMP is
//! plain text in the file; krilla writes a single revision with one classic
//! xref table of 20-byte entries. Any deviation is refused with
//! [`Error::Xmp`], never patched blindly; the integration tests pin this
//! across krilla upgrades.

use memchr::memmem;

use crate::error::{Error, Result};
use crate::profile::Profile;

/// The namespace of the Factur-X XMP properties.
pub const FX_NAMESPACE: &str = "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#";

const BAG_END: &[u8] = b"</rdf:Bag></pdfaExtension:schemas>";
const RDF_END: &[u8] = b"</rdf:RDF>";

/// The PDF/A extension schema description of the `fx` properties (one `rdf:li`).
fn schema_li() -> String {
    let prop = |name: &str, desc: &str| {
        format!(
            "<rdf:li rdf:parseType=\"Resource\"><pdfaProperty:name>{name}</pdfaProperty:name>\
             <pdfaProperty:valueType>Text</pdfaProperty:valueType>\
             <pdfaProperty:category>external</pdfaProperty:category>\
             <pdfaProperty:description>{desc}</pdfaProperty:description></rdf:li>"
        )
    };
    format!(
        "<rdf:li rdf:parseType=\"Resource\">\
         <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>\
         <pdfaSchema:namespaceURI>{FX_NAMESPACE}</pdfaSchema:namespaceURI>\
         <pdfaSchema:prefix>fx</pdfaSchema:prefix>\
         <pdfaSchema:property><rdf:Seq>{}{}{}{}</rdf:Seq></pdfaSchema:property></rdf:li>",
        prop("DocumentFileName", "name of the embedded XML invoice file"),
        prop("DocumentType", "INVOICE"),
        prop("Version", "The actual version of the Factur-X XML schema"),
        prop(
            "ConformanceLevel",
            "The conformance level of the embedded Factur-X data"
        ),
    )
}

/// The `rdf:Description` carrying the four Factur-X values for `profile`.
fn values_description(profile: Profile) -> String {
    format!(
        "<rdf:Description rdf:about=\"\" xmlns:fx=\"{FX_NAMESPACE}\">\
         <fx:DocumentType>INVOICE</fx:DocumentType>\
         <fx:DocumentFileName>{}</fx:DocumentFileName>\
         <fx:Version>1.0</fx:Version>\
         <fx:ConformanceLevel>{}</fx:ConformanceLevel></rdf:Description>",
        profile.file_name(),
        profile.xmp_level()
    )
}

/// Returns `pdf` with the Factur-X XMP added to its metadata stream.
pub(crate) fn add_facturx_xmp(pdf: &[u8], profile: Profile) -> Result<Vec<u8>> {
    let xref = parse_xref(pdf)?;
    let packet = memmem::rfind(pdf, b"<x:xmpmeta").ok_or(Error::Xmp("no XMP packet"))?;
    // The metadata object is the one with the largest offset before the packet.
    let obj_start = xref
        .offsets
        .iter()
        .copied()
        .filter(|&o| o < packet)
        .max()
        .ok_or(Error::Xmp("XMP packet outside any object"))?;
    let obj_end = memmem::find(pdf.get(packet..).unwrap_or_default(), b"endobj")
        .map(|i| packet + i + b"endobj".len())
        .ok_or(Error::Xmp("metadata object has no endobj"))?;
    let object = pdf
        .get(obj_start..obj_end)
        .ok_or(Error::Xmp("bad object range"))?;
    let new_object = rewrite_metadata_object(object, profile)?;

    let delta = new_object.len() as i64 - object.len() as i64;
    let mut out =
        Vec::with_capacity(pdf.len() + new_object.len() - object.len().min(new_object.len()));
    out.extend_from_slice(pdf.get(..obj_start).unwrap_or_default());
    out.extend_from_slice(&new_object);
    let after = pdf
        .get(obj_end..xref.table_start)
        .ok_or(Error::Xmp("xref before metadata"))?;
    out.extend_from_slice(after);
    // Rewrite the xref table entries with shifted offsets.
    let table = pdf
        .get(xref.table_start..xref.table_end)
        .ok_or(Error::Xmp("bad xref range"))?;
    out.extend_from_slice(&shift_table(table, obj_start, delta)?);
    let trailer = pdf
        .get(xref.table_end..xref.startxref_value_start)
        .ok_or(Error::Xmp("bad trailer range"))?;
    out.extend_from_slice(trailer);
    let new_start = shift(xref.table_start, obj_start, delta)?;
    out.extend_from_slice(format!("{new_start}\n%%EOF").as_bytes());
    Ok(out)
}

/// Inserts the two XMP fragments and updates `/Length` in one metadata object.
fn rewrite_metadata_object(object: &[u8], profile: Profile) -> Result<Vec<u8>> {
    let stream_kw = memmem::find(object, b"stream").ok_or(Error::Xmp("no stream keyword"))?;
    let dict = object.get(..stream_kw).unwrap_or_default();
    if memmem::find(dict, b"/Filter").is_some() {
        return Err(Error::Xmp("metadata stream is filtered"));
    }
    let len_pos = memmem::find(dict, b"/Length ").ok_or(Error::Xmp("no /Length"))?;
    let digits_start = len_pos + b"/Length ".len();
    let digits_len = dict
        .get(digits_start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    if digits_len == 0 {
        return Err(Error::Xmp("/Length is not a direct integer"));
    }
    let digits_end = digits_start + digits_len;
    let old_len: usize =
        std::str::from_utf8(dict.get(digits_start..digits_end).unwrap_or_default())
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(Error::Xmp("unreadable /Length"))?;

    let bag_end =
        memmem::find(object, BAG_END).ok_or(Error::Xmp("no pdfaExtension:schemas bag"))?;
    let rdf_end = memmem::rfind(object, RDF_END).ok_or(Error::Xmp("no </rdf:RDF>"))?;
    if rdf_end < bag_end {
        return Err(Error::Xmp("unexpected XMP order"));
    }
    let li = schema_li();
    let desc = values_description(profile);
    let new_len = old_len + li.len() + desc.len();

    let mut out = Vec::with_capacity(object.len() + li.len() + desc.len() + 4);
    out.extend_from_slice(object.get(..digits_start).unwrap_or_default());
    out.extend_from_slice(new_len.to_string().as_bytes());
    out.extend_from_slice(object.get(digits_end..bag_end).unwrap_or_default());
    out.extend_from_slice(li.as_bytes());
    out.extend_from_slice(object.get(bag_end..rdf_end).unwrap_or_default());
    out.extend_from_slice(desc.as_bytes());
    out.extend_from_slice(object.get(rdf_end..).unwrap_or_default());
    Ok(out)
}

/// Where the classic cross-reference table sits and which offsets it lists.
struct Xref {
    table_start: usize,
    table_end: usize,
    startxref_value_start: usize,
    offsets: Vec<usize>,
}

fn parse_xref(pdf: &[u8]) -> Result<Xref> {
    let sx = memmem::rfind(pdf, b"startxref").ok_or(Error::Xmp("no startxref"))?;
    let value_start = sx + b"startxref".len();
    let rest = pdf.get(value_start..).unwrap_or_default();
    let ws = rest.iter().take_while(|b| b.is_ascii_whitespace()).count();
    let digits: Vec<u8> = rest
        .iter()
        .skip(ws)
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    let table_start: usize = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(Error::Xmp("unreadable startxref"))?;
    let table = pdf
        .get(table_start..sx)
        .ok_or(Error::Xmp("startxref out of range"))?;
    if !table.starts_with(b"xref") {
        return Err(Error::Xmp("no classic xref table"));
    }
    let trailer = memmem::find(table, b"trailer").ok_or(Error::Xmp("no trailer"))?;
    if memmem::find(table.get(trailer..).unwrap_or_default(), b"/Prev").is_some() {
        return Err(Error::Xmp("the PDF has more than one revision"));
    }
    let mut offsets = Vec::new();
    let body = table.get(..trailer).unwrap_or_default();
    for line in body.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_suffix(b" ").unwrap_or(line);
        // In-use entries: "oooooooooo ggggg n"
        if line.len() == 18 && line.ends_with(b" n") {
            let off = std::str::from_utf8(line.get(..10).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(Error::Xmp("unreadable xref entry"))?;
            offsets.push(off);
        }
    }
    Ok(Xref {
        table_start,
        table_end: table_start + trailer,
        startxref_value_start: value_start + ws,
        offsets,
    })
}

fn shift(offset: usize, changed_at: usize, delta: i64) -> Result<usize> {
    if offset > changed_at {
        usize::try_from(offset as i64 + delta).map_err(|_| Error::Xmp("negative offset"))
    } else {
        Ok(offset)
    }
}

fn shift_table(table: &[u8], changed_at: usize, delta: i64) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(table.len());
    for (i, line) in table.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        let (core, tail) = match line.get(..18) {
            Some(core) if core.ends_with(b" n") || core.ends_with(b" f") => {
                (core, line.get(18..).unwrap_or_default())
            }
            _ => {
                out.extend_from_slice(line);
                continue;
            }
        };
        if core.ends_with(b" n") {
            let off: usize = std::str::from_utf8(core.get(..10).unwrap_or_default())
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(Error::Xmp("unreadable xref entry"))?;
            let new = shift(off, changed_at, delta)?;
            out.extend_from_slice(format!("{new:010}").as_bytes());
            out.extend_from_slice(core.get(10..).unwrap_or_default());
        } else {
            out.extend_from_slice(core);
        }
        out.extend_from_slice(tail);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_name_the_profile_file_and_level() {
        let d = values_description(Profile::XRechnung);
        assert!(d.contains("<fx:DocumentFileName>xrechnung.xml</fx:DocumentFileName>"));
        assert!(d.contains("<fx:ConformanceLevel>XRECHNUNG</fx:ConformanceLevel>"));
        let d = values_description(Profile::BasicWl);
        assert!(d.contains("<fx:ConformanceLevel>BASIC WL</fx:ConformanceLevel>"));
    }

    #[test]
    fn refuses_input_without_xref() {
        assert!(add_facturx_xmp(b"%PDF-1.7\n<x:xmpmeta>", Profile::Basic).is_err());
        assert!(add_facturx_xmp(b"", Profile::Basic).is_err());
    }
}
