//! Factur-X / ZUGFeRD profiles and how they are detected from the XML.
//!
//! The detection follows the `factur-x` reference library: an identifier that
//! mentions `xrechnung` is XRECHNUNG; otherwise the last `:` segment names the
//! profile (`…:basicwl`), or, failing that, the segment before the year of
//! the part before the first `#` (`urn:cen.eu:en16931:2017` is EN 16931).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// Largest XML document this crate parses for profile detection or rendering.
pub const MAX_XML_BYTES: usize = 16 * 1024 * 1024;

/// A Factur-X 1.0x / ZUGFeRD 2.x conformance level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// MINIMUM: header data only (not a valid invoice in Germany).
    Minimum,
    /// BASIC WL: header and totals, no lines.
    BasicWl,
    /// BASIC: a subset of EN 16931 with lines.
    Basic,
    /// EN 16931 (ZUGFeRD "COMFORT").
    En16931,
    /// EXTENDED: EN 16931 plus extension elements.
    Extended,
    /// XRECHNUNG: the German CIUS, embedded as `xrechnung.xml`.
    XRechnung,
}

/// How the embedded XML relates to the PDF (`/AFRelationship`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// The XML is the data the visual representation was made from (MINIMUM, BASIC WL).
    Data,
    /// The XML is an alternative, equivalent representation (all other profiles).
    Alternative,
}

impl Profile {
    /// Every profile, lowest first.
    pub const ALL: [Self; 6] = [
        Self::Minimum,
        Self::BasicWl,
        Self::Basic,
        Self::En16931,
        Self::Extended,
        Self::XRechnung,
    ];

    /// The value of `fx:ConformanceLevel` in the XMP metadata.
    pub fn xmp_level(self) -> &'static str {
        match self {
            Self::Minimum => "MINIMUM",
            Self::BasicWl => "BASIC WL",
            Self::Basic => "BASIC",
            Self::En16931 => "EN 16931",
            Self::Extended => "EXTENDED",
            Self::XRechnung => "XRECHNUNG",
        }
    }

    /// The name of the embedded file (`fx:DocumentFileName`).
    pub fn file_name(self) -> &'static str {
        match self {
            Self::XRechnung => "xrechnung.xml",
            _ => "factur-x.xml",
        }
    }

    /// The `/AFRelationship` the Factur-X specification requires for this profile.
    pub fn relationship(self) -> Relationship {
        match self {
            Self::Minimum | Self::BasicWl => Relationship::Data,
            _ => Relationship::Alternative,
        }
    }

    /// The profile a guideline / specification identifier names, if any.
    pub fn from_guideline_id(id: &str) -> Option<Self> {
        let id = id.trim();
        if id.contains("xrechnung") {
            return Some(Self::XRechnung);
        }
        if let Some(p) = id.rsplit(':').next().and_then(Self::from_level_token) {
            return Some(p);
        }
        let head = id.split('#').next().unwrap_or(id);
        let mut segments = head.rsplit(':');
        segments.next();
        segments.next().and_then(Self::from_level_token)
    }

    /// The profile an `fx:ConformanceLevel` value names (case and `-` tolerant).
    pub fn from_xmp_level(level: &str) -> Option<Self> {
        let norm = level.trim().to_ascii_uppercase().replace('-', " ");
        Self::ALL.into_iter().find(|p| p.xmp_level() == norm)
    }

    fn from_level_token(token: &str) -> Option<Self> {
        match token {
            "minimum" => Some(Self::Minimum),
            "basicwl" => Some(Self::BasicWl),
            "basic" => Some(Self::Basic),
            "en16931" => Some(Self::En16931),
            "extended" => Some(Self::Extended),
            _ => None,
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.xmp_level())
    }
}

impl FromStr for Profile {
    type Err = Error;

    /// Parses a command-line profile name (`basic-wl`, `en16931`, `EN 16931`, …).
    fn from_str(s: &str) -> Result<Self> {
        let norm: String = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "xrechnung" => Ok(Self::XRechnung),
            "comfort" => Ok(Self::En16931),
            other => {
                Self::from_level_token(other).ok_or_else(|| Error::UnknownProfile(s.to_owned()))
            }
        }
    }
}

/// The syntax of an invoice XML document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// UN/CEFACT Cross Industry Invoice (D16B), the syntax Factur-X embeds.
    Cii,
    /// OASIS UBL 2.1 Invoice or CreditNote.
    Ubl,
}

/// Parses invoice XML with this crate's limits: no DTD, bounded size and node count.
pub(crate) fn parse_xml(xml: &[u8]) -> Result<roxmltree::Document<'_>> {
    if xml.len() > MAX_XML_BYTES {
        return Err(Error::TooLarge {
            what: "invoice XML",
            size: xml.len(),
            limit: MAX_XML_BYTES,
        });
    }
    let text = std::str::from_utf8(xml).map_err(|e| Error::Xml(format!("not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: 2_000_000,
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| Error::Xml(e.to_string()))
}

/// The syntax and specification identifier of an invoice document.
pub fn identify(xml: &[u8]) -> Result<(Syntax, String)> {
    let doc = parse_xml(xml)?;
    identify_doc(&doc)
}

pub(crate) fn identify_doc(doc: &roxmltree::Document<'_>) -> Result<(Syntax, String)> {
    let root = doc.root_element();
    let name = root.tag_name().name();
    let syntax = match name {
        "CrossIndustryInvoice" | "CrossIndustryDocument" => Syntax::Cii,
        "Invoice" | "CreditNote" => Syntax::Ubl,
        other => return Err(Error::NotCii(other.to_owned())),
    };
    let id = match syntax {
        Syntax::Cii => root
            .children()
            .find(|n| {
                matches!(
                    n.tag_name().name(),
                    "ExchangedDocumentContext" | "SpecifiedExchangedDocumentContext"
                )
            })
            .and_then(|c| {
                c.children()
                    .find(|n| n.tag_name().name() == "GuidelineSpecifiedDocumentContextParameter")
            })
            .and_then(|g| g.children().find(|n| n.tag_name().name() == "ID"))
            .and_then(|n| n.text()),
        Syntax::Ubl => root
            .children()
            .find(|n| n.tag_name().name() == "CustomizationID")
            .and_then(|n| n.text()),
    };
    match id {
        Some(id) if !id.trim().is_empty() => Ok((syntax, id.trim().to_owned())),
        _ => Err(Error::NoGuideline),
    }
}

/// Detects the Factur-X profile of a CII document from its guideline identifier.
pub fn detect_profile(xml: &[u8]) -> Result<Profile> {
    let (syntax, id) = identify(xml)?;
    if syntax != Syntax::Cii {
        return Err(Error::NotCii("UBL".to_owned()));
    }
    Profile::from_guideline_id(&id).ok_or(Error::UnknownGuideline(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guideline_ids_map_to_profiles() {
        let cases = [
            ("urn:factur-x.eu:1p0:minimum", Profile::Minimum),
            ("urn:factur-x.eu:1p0:basicwl", Profile::BasicWl),
            (
                "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic",
                Profile::Basic,
            ),
            (
                "urn:cen.eu:en16931:2017#compliant#urn:zugferd.de:2p0:basic",
                Profile::Basic,
            ),
            ("urn:cen.eu:en16931:2017", Profile::En16931),
            (
                "urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended",
                Profile::Extended,
            ),
            (
                "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                Profile::XRechnung,
            ),
        ];
        for (id, want) in cases {
            assert_eq!(Profile::from_guideline_id(id), Some(want), "{id}");
        }
        assert_eq!(Profile::from_guideline_id("urn:example:other"), None);
        assert_eq!(Profile::from_guideline_id(""), None);
    }

    #[test]
    fn names_round_trip() {
        for p in Profile::ALL {
            assert_eq!(Profile::from_xmp_level(p.xmp_level()), Some(p));
            assert_eq!(p.xmp_level().parse::<Profile>().ok(), Some(p));
        }
        assert!("gold".parse::<Profile>().is_err());
        assert_eq!("basic-wl".parse::<Profile>().ok(), Some(Profile::BasicWl));
    }

    #[test]
    fn dtd_is_refused() {
        let xml = b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><x>&a;</x>";
        assert!(matches!(identify(xml), Err(Error::Xml(_))));
    }
}
