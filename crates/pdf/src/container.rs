//! Writing: the PDF/A-3 document, the embedded invoice and its metadata.

use krilla::configure::{Archival, ConfigurationBuilder};
use krilla::embed::{AssociationKind, EmbeddedFile, MimeType};
use krilla::metadata::{DateTime, Metadata};
use krilla::{Document, SerializeSettings};
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::layout::{Fonts, paint};
use crate::profile::{MAX_XML_BYTES, Profile, Relationship, Syntax, detect_profile, identify};
use crate::render::{Lang, layout};
use crate::view::InvoiceView;
use crate::xmp::add_facturx_xmp;

/// The PDF/A-3 conformance level to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Conformance {
    /// PDF/A-3b: visual appearance preserved (the Factur-X default).
    #[default]
    A3b,
    /// PDF/A-3u: additionally, all text maps to Unicode.
    A3u,
}

/// How to write a PDF.
#[derive(Debug, Clone)]
pub struct Options {
    /// Label language.
    pub lang: Lang,
    /// PDF/A-3 level.
    pub conformance: Conformance,
    /// Creation date of the PDF and modification date of the embedded file.
    /// Passed in (not read from a clock) so output is reproducible.
    pub date: OffsetDateTime,
}

/// Renders invoices; holds the parsed fonts so that many PDFs reuse them.
#[derive(Debug)]
pub struct Renderer {
    fonts: Fonts,
}

impl Renderer {
    /// Loads the fonts compiled into the crate.
    pub fn new() -> Result<Self> {
        Ok(Self {
            fonts: Fonts::load()?,
        })
    }

    /// Renders a CII invoice as a Factur-X / ZUGFeRD PDF/A-3 with the XML
    /// embedded byte for byte. `profile` defaults to the one the XML's
    /// guideline id names.
    pub fn facturx(
        &self,
        cii: &[u8],
        profile: Option<Profile>,
        options: &Options,
    ) -> Result<Vec<u8>> {
        let (syntax, _) = identify(cii)?;
        if syntax != Syntax::Cii {
            return Err(Error::NotCii("UBL".to_owned()));
        }
        let profile = match profile {
            Some(p) => p,
            None => detect_profile(cii)?,
        };
        let view = InvoiceView::from_xml(cii)?;
        self.facturx_view(&view, cii, profile, options)
    }

    /// Renders `view` (for example [`InvoiceView::from_model`]) and embeds
    /// `cii`, which must be the same invoice in CII, as a Factur-X PDF.
    pub fn facturx_view(
        &self,
        view: &InvoiceView,
        cii: &[u8],
        profile: Profile,
        options: &Options,
    ) -> Result<Vec<u8>> {
        let mut doc = self.document(view, options)?;
        embed_invoice(&mut doc, cii, profile, options.date)?;
        let pdf = doc.finish().map_err(|e| Error::Write(format!("{e:?}")))?;
        add_facturx_xmp(&pdf, profile)
    }

    /// Renders any CII or UBL invoice as a readable PDF/A-3 without embedding
    /// (for people who receive XML they cannot read).
    pub fn readable(&self, xml: &[u8], options: &Options) -> Result<Vec<u8>> {
        let view = InvoiceView::from_xml(xml)?;
        self.readable_view(&view, options)
    }

    /// Renders an already built view as a readable PDF without embedding.
    pub fn readable_view(&self, view: &InvoiceView, options: &Options) -> Result<Vec<u8>> {
        let doc = self.document(view, options)?;
        doc.finish().map_err(|e| Error::Write(format!("{e:?}")))
    }

    fn document(&self, view: &InvoiceView, options: &Options) -> Result<Document> {
        let archival = match options.conformance {
            Conformance::A3b => Archival::A3_B,
            Conformance::A3u => Archival::A3_U,
        };
        let configuration = ConfigurationBuilder::new()
            .with_archival_validator(archival)
            .finish()
            .map_err(|e| Error::Write(format!("{e:?}")))?;
        let settings = SerializeSettings {
            configuration,
            ..SerializeSettings::default()
        };
        let mut doc = Document::new_with(settings);
        let title = if view.number.is_empty() {
            "Invoice".to_owned()
        } else {
            format!(
                "{} {}",
                if options.lang == Lang::De {
                    "Rechnung"
                } else {
                    "Invoice"
                },
                view.number
            )
        };
        let mut metadata = Metadata::new()
            .title(title)
            .language(options.lang.tag().to_owned())
            .creator("Faktura".to_owned())
            .producer("Faktura (krilla)".to_owned())
            .creation_date(krilla_date(options.date));
        if !view.seller.name.is_empty() {
            metadata = metadata.authors(vec![view.seller.name.clone()]);
        }
        doc.set_metadata(metadata);
        let pages = layout(view, &self.fonts, options.lang);
        paint(&mut doc, &self.fonts, &pages)?;
        Ok(doc)
    }
}

fn krilla_date(d: OffsetDateTime) -> DateTime {
    let d = d.to_offset(time::UtcOffset::UTC);
    DateTime::new(u16::try_from(d.year()).unwrap_or(2000))
        .month(u8::from(d.month()))
        .day(d.day())
        .hour(d.hour())
        .minute(d.minute())
        .second(d.second())
        .utc_offset_hour(0)
        .utc_offset_minute(0)
}

/// Embeds `xml` as the profile's invoice file with the Factur-X attributes.
fn embed_invoice(
    doc: &mut Document,
    xml: &[u8],
    profile: Profile,
    date: OffsetDateTime,
) -> Result<()> {
    if xml.len() > MAX_XML_BYTES {
        return Err(Error::TooLarge {
            what: "invoice XML",
            size: xml.len(),
            limit: MAX_XML_BYTES,
        });
    }
    let association_kind = match profile.relationship() {
        Relationship::Data => AssociationKind::Data,
        Relationship::Alternative => AssociationKind::Alternative,
    };
    let file = EmbeddedFile {
        path: profile.file_name().to_owned(),
        mime_type: MimeType::new("text/xml"),
        description: Some(format!("Factur-X / ZUGFeRD invoice, profile {profile}")),
        association_kind,
        data: xml.to_vec().into(),
        modification_date: Some(krilla_date(date)),
        compress: Some(true),
        location: None,
    };
    doc.embed_file(file).ok_or_else(|| {
        Error::Write(format!(
            "a file named {} is already embedded",
            profile.file_name()
        ))
    })
}
