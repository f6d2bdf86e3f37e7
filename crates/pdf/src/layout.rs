//! Page layout: fonts with metrics, a display list per page, and its output
//! through krilla.
//!
//! Layout first builds plain data (a list of [`Op`] per page) so that page
//! breaks and "page i of n" are decided before anything is drawn; [`paint`]
//! then turns the pages into krilla pages. Text is sanitised against the
//! font's character map, so a character the font lacks becomes `?` instead of
//! a `.notdef` glyph (which PDF/A forbids).

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

use crate::error::{Error, Result};

/// A4 width in points.
pub(crate) const PAGE_W: f32 = 595.28;
/// A4 height in points.
pub(crate) const PAGE_H: f32 = 841.89;

/// Advance widths of one font face, in em, for the characters it maps.
struct Metrics {
    font: skrifa::FontRef<'static>,
    /// Cached advances for U+0000..U+0500; `NaN` when the font lacks the glyph.
    latin: Vec<f32>,
    upem: f32,
}

const CACHED: u32 = 0x500;

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics")
            .field("upem", &self.upem)
            .finish_non_exhaustive()
    }
}

impl Metrics {
    fn new(data: &'static [u8]) -> Result<Self> {
        let font = skrifa::FontRef::new(data).map_err(|e| Error::Write(format!("font: {e}")))?;
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em,
        );
        let mut m = Self {
            font,
            latin: Vec::new(),
            upem: upem.max(1.0),
        };
        m.latin = (0..CACHED)
            .map(|c| {
                char::from_u32(c)
                    .and_then(|c| m.lookup(c))
                    .unwrap_or(f32::NAN)
            })
            .collect();
        Ok(m)
    }

    fn lookup(&self, c: char) -> Option<f32> {
        if c.is_control() {
            return None;
        }
        let gid = self.font.charmap().map(c)?;
        if gid.to_u32() == 0 {
            return None;
        }
        let adv = self
            .font
            .glyph_metrics(Size::unscaled(), LocationRef::default())
            .advance_width(gid)?;
        Some(adv / self.upem)
    }

    /// The advance of `c` in em, or `None` when the font cannot draw it.
    fn advance(&self, c: char) -> Option<f32> {
        match self.latin.get(c as usize) {
            Some(a) if a.is_nan() => None,
            Some(a) => Some(*a),
            None => self.lookup(c),
        }
    }
}

/// The two faces used on every page (DejaVu Sans regular and bold).
#[derive(Debug)]
pub(crate) struct Fonts {
    regular: Font,
    bold: Font,
    regular_metrics: Metrics,
    bold_metrics: Metrics,
}

impl Fonts {
    /// Loads the fonts compiled into the binary; nothing is read at run time.
    pub(crate) fn load() -> Result<Self> {
        let regular_data: &'static [u8] = dejavu::sans::regular();
        let bold_data: &'static [u8] = dejavu::sans::bold();
        let regular = Font::new(regular_data.into(), 0)
            .ok_or_else(|| Error::Write("the regular font cannot be read".to_owned()))?;
        let bold = Font::new(bold_data.into(), 0)
            .ok_or_else(|| Error::Write("the bold font cannot be read".to_owned()))?;
        Ok(Self {
            regular,
            bold,
            regular_metrics: Metrics::new(regular_data)?,
            bold_metrics: Metrics::new(bold_data)?,
        })
    }

    fn metrics(&self, bold: bool) -> &Metrics {
        if bold {
            &self.bold_metrics
        } else {
            &self.regular_metrics
        }
    }

    /// Replaces characters the font cannot draw (and controls) with `?` or a space.
    pub(crate) fn sanitize(&self, text: &str, bold: bool) -> String {
        let m = self.metrics(bold);
        text.chars()
            .map(|c| match c {
                '\t' | '\n' | '\r' => ' ',
                c if m.advance(c).is_some() => c,
                _ => '?',
            })
            .collect()
    }

    /// Width of sanitised `text` in points at `size`.
    pub(crate) fn width(&self, text: &str, bold: bool, size: f32) -> f32 {
        let m = self.metrics(bold);
        text.chars()
            .map(|c| m.advance(c).unwrap_or(0.6))
            .sum::<f32>()
            * size
    }

    /// `text` shortened with an ellipsis so that it fits `max` points.
    pub(crate) fn fit(&self, text: &str, bold: bool, size: f32, max: f32) -> String {
        if self.width(text, bold, size) <= max {
            return text.to_owned();
        }
        let mut out = String::new();
        let budget = max - self.width("…", bold, size);
        let mut used = 0.0;
        for c in text.chars() {
            let w = self.width(c.encode_utf8(&mut [0; 4]), bold, size);
            if used + w > budget {
                break;
            }
            used += w;
            out.push(c);
        }
        out.push('…');
        out
    }

    /// Word-wraps `text` to lines of at most `max` points (long words are cut).
    pub(crate) fn wrap(&self, text: &str, bold: bool, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split_whitespace() {
                let candidate = if line.is_empty() {
                    word.to_owned()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, bold, size) <= max {
                    line = candidate;
                } else {
                    if !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                    }
                    line = if self.width(word, bold, size) > max {
                        self.fit(word, bold, size, max)
                    } else {
                        word.to_owned()
                    };
                }
            }
            if !line.is_empty() {
                lines.push(line);
            }
        }
        lines
    }
}

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Colour(pub(crate) u8, pub(crate) u8, pub(crate) u8);

/// Text colour.
pub(crate) const INK: Colour = Colour(0x1f, 0x29, 0x37);
/// Secondary text colour.
pub(crate) const MUTED: Colour = Colour(0x6b, 0x72, 0x80);
/// Accent colour (letterhead rule, table header).
pub(crate) const ACCENT: Colour = Colour(0x1e, 0x40, 0x7a);
/// Light fill for table headers and zebra rows.
pub(crate) const SHADE: Colour = Colour(0xf1, 0xf4, 0xf9);

/// Horizontal alignment of a text run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    /// `x` is the left edge.
    Left,
    /// `x` is the right edge.
    Right,
}

/// One drawing operation, in points from the top-left corner.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// A single line of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        colour: Colour,
        text: String,
    },
    /// A filled rectangle.
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        colour: Colour,
    },
    /// A straight line.
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        colour: Colour,
    },
    /// Many black squares (a QR code), drawn as one path.
    Modules { rects: Vec<(f32, f32, f32)> },
}

/// A page under construction: a display list and a helper to add text.
#[derive(Debug, Default)]
pub(crate) struct PageOps {
    pub(crate) ops: Vec<Op>,
}

impl PageOps {
    /// Adds text, sanitised and aligned; returns its width.
    #[expect(
        clippy::too_many_arguments,
        reason = "a text run has this many attributes"
    )]
    pub(crate) fn text(
        &mut self,
        fonts: &Fonts,
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        colour: Colour,
        align: Align,
        text: &str,
    ) -> f32 {
        let text = fonts.sanitize(text, bold);
        let w = fonts.width(&text, bold, size);
        let x = match align {
            Align::Left => x,
            Align::Right => x - w,
        };
        if !text.trim().is_empty() {
            self.ops.push(Op::Text {
                x,
                y,
                size,
                bold,
                colour,
                text,
            });
        }
        w
    }

    /// Adds a filled rectangle.
    pub(crate) fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, colour: Colour) {
        self.ops.push(Op::Rect { x, y, w, h, colour });
    }

    /// Adds a line.
    pub(crate) fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32, colour: Colour) {
        self.ops.push(Op::Line {
            x1,
            y1,
            x2,
            y2,
            width,
            colour,
        });
    }
}

fn fill(c: Colour) -> Fill {
    Fill {
        paint: rgb::Color::new(c.0, c.1, c.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

/// Draws every page into `doc`.
pub(crate) fn paint(doc: &mut Document, fonts: &Fonts, pages: &[PageOps]) -> Result<()> {
    for page_ops in pages {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| Error::Write("invalid page size".to_owned()))?;
        let mut page = doc.start_page_with(settings);
        let mut surface = page.surface();
        for op in &page_ops.ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    colour,
                    text,
                } => {
                    surface.set_fill(Some(fill(*colour)));
                    let font = if *bold { &fonts.bold } else { &fonts.regular };
                    surface.draw_text(
                        Point::from_xy(*x, *y),
                        font.clone(),
                        *size,
                        text,
                        false,
                        TextDirection::Auto,
                    );
                }
                Op::Rect { x, y, w, h, colour } => {
                    if let Some(r) = Rect::from_xywh(*x, *y, *w, *h) {
                        let mut pb = PathBuilder::new();
                        pb.push_rect(r);
                        if let Some(path) = pb.finish() {
                            surface.set_fill(Some(fill(*colour)));
                            surface.draw_path(&path);
                        }
                    }
                }
                Op::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    width,
                    colour,
                } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y1);
                    pb.line_to(*x2, *y2);
                    if let Some(path) = pb.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            paint: rgb::Color::new(colour.0, colour.1, colour.2).into(),
                            width: *width,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                    }
                }
                Op::Modules { rects } => {
                    let mut pb = PathBuilder::new();
                    for (x, y, s) in rects {
                        if let Some(r) = Rect::from_xywh(*x, *y, *s, *s) {
                            pb.push_rect(r);
                        }
                    }
                    if let Some(path) = pb.finish() {
                        surface.set_fill(Some(fill(Colour(0, 0, 0))));
                        surface.draw_path(&path);
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_replaces_missing_glyphs_and_controls() {
        let fonts = Fonts::load().unwrap();
        assert_eq!(fonts.sanitize("Größe €\u{7}", false), "Größe €?");
        assert_eq!(fonts.sanitize("a\u{10FFFD}b", true), "a?b");
    }

    #[test]
    fn width_grows_and_wrap_respects_max() {
        let fonts = Fonts::load().unwrap();
        let w1 = fonts.width("abc", false, 10.0);
        let w2 = fonts.width("abcabc", false, 10.0);
        assert!(w1 > 0.0 && (w2 - 2.0 * w1).abs() < 0.01);
        let text = "lorem ipsum dolor sit amet ".repeat(20);
        for line in fonts.wrap(&text, false, 9.0, 120.0) {
            assert!(fonts.width(&line, false, 9.0) <= 120.0, "{line}");
        }
        let fitted = fonts.fit(&"x".repeat(500), true, 9.0, 50.0);
        assert!(fonts.width(&fitted, true, 9.0) <= 50.0);
        assert!(fitted.ends_with('…'));
    }
}
