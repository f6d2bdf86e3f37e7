//! Simple types: the XSD built-in types these schemas use, checked lexically, and the
//! restriction facets they apply (enumeration and the length facets).

use std::borrow::Cow;

/// Whitespace handling of a built-in type (XSD `whiteSpace` facet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WhiteSpace {
    Preserve,
    Replace,
    Collapse,
}

/// The XSD built-in simple types supported; any other built-in fails schema compilation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Builtin {
    AnySimpleType,
    String,
    NormalizedString,
    Token,
    Language,
    Id,
    AnyUri,
    Decimal,
    Integer,
    Boolean,
    Date,
    DateTime,
    Time,
    Base64Binary,
}

impl Builtin {
    /// The built-in named `local` in the XML Schema namespace, if supported.
    pub(crate) fn from_name(local: &str) -> Option<Self> {
        Some(match local {
            "anySimpleType" => Self::AnySimpleType,
            "string" => Self::String,
            "normalizedString" => Self::NormalizedString,
            "token" => Self::Token,
            "language" => Self::Language,
            "ID" => Self::Id,
            "anyURI" => Self::AnyUri,
            "decimal" => Self::Decimal,
            "integer" => Self::Integer,
            "boolean" => Self::Boolean,
            "date" => Self::Date,
            "dateTime" => Self::DateTime,
            "time" => Self::Time,
            "base64Binary" => Self::Base64Binary,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::AnySimpleType => "anySimpleType",
            Self::String => "string",
            Self::NormalizedString => "normalizedString",
            Self::Token => "token",
            Self::Language => "language",
            Self::Id => "ID",
            Self::AnyUri => "anyURI",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::Boolean => "boolean",
            Self::Date => "date",
            Self::DateTime => "dateTime",
            Self::Time => "time",
            Self::Base64Binary => "base64Binary",
        }
    }

    fn white_space(self) -> WhiteSpace {
        match self {
            // XSD collapses whitespace around dates and times, but libxml2 (the reference
            // validator behind the official tooling) rejects it; we follow the reference.
            Self::String | Self::AnySimpleType | Self::Date | Self::DateTime | Self::Time => {
                WhiteSpace::Preserve
            }
            Self::NormalizedString => WhiteSpace::Replace,
            _ => WhiteSpace::Collapse,
        }
    }

    /// Whether length facets count characters (string family) rather than octets or digits.
    pub(crate) fn is_string_like(self) -> bool {
        matches!(
            self,
            Self::String
                | Self::NormalizedString
                | Self::Token
                | Self::Language
                | Self::Id
                | Self::AnyUri
        )
    }
}

/// Facets one restriction step adds; a value must satisfy every step of its derivation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facets {
    pub(crate) enumeration: Option<Vec<String>>,
    pub(crate) length: Option<usize>,
    pub(crate) min_length: Option<usize>,
    pub(crate) max_length: Option<usize>,
}

/// A simple type: a built-in base plus the facet layers of each restriction step.
#[derive(Debug, Clone)]
pub(crate) struct SimpleType {
    /// Name for messages (prefix-free `Name` or the built-in's name).
    pub(crate) name: String,
    pub(crate) builtin: Builtin,
    pub(crate) layers: Vec<Facets>,
}

impl SimpleType {
    /// The built-in type itself, with no facets.
    pub(crate) fn builtin(b: Builtin) -> Self {
        Self {
            name: format!("xsd:{}", b.name()),
            builtin: b,
            layers: Vec::new(),
        }
    }

    /// Checks a raw text value; on failure says what is wrong in plain words.
    pub(crate) fn check(&self, raw: &str) -> Result<(), String> {
        if self.builtin == Builtin::Base64Binary {
            // Binary content can be megabytes: check it in one pass, without copying.
            // (The compiler admits no facets on base64Binary, so there is nothing else.)
            return if is_base64(raw) {
                Ok(())
            } else {
                Err(format!(
                    "the content is not valid {}{}",
                    self.builtin.name(),
                    hint(self.builtin)
                ))
            };
        }
        let value = normalize(raw, self.builtin.white_space());
        let value = value.as_ref();
        check_lexical(self.builtin, value)?;
        for f in &self.layers {
            let has_length = f.length.is_some() || f.min_length.is_some() || f.max_length.is_some();
            let len = if has_length { value.chars().count() } else { 0 };
            if let Some(n) = f.length
                && len != n
            {
                return Err(format!(
                    "'{}' has {len} characters; type {} requires exactly {n}",
                    shorten(value),
                    self.name
                ));
            }
            if let Some(n) = f.min_length
                && len < n
            {
                return Err(format!(
                    "'{}' has {len} characters; type {} requires at least {n}",
                    shorten(value),
                    self.name
                ));
            }
            if let Some(n) = f.max_length
                && len > n
            {
                return Err(format!(
                    "'{}' has {len} characters; type {} allows at most {n}",
                    shorten(value),
                    self.name
                ));
            }
            if let Some(list) = &f.enumeration
                && !list.iter().any(|v| v == value)
            {
                return Err(format!(
                    "'{}' is not one of the values type {} allows ({})",
                    shorten(value),
                    self.name,
                    shorten(&list.join(", "))
                ));
            }
        }
        Ok(())
    }

    /// Whether `a` and `b` are the same value of this type (used for `fixed`).
    pub(crate) fn same_value(&self, a: &str, b: &str) -> bool {
        let ws = self.builtin.white_space();
        normalize(a, ws) == normalize(b, ws)
    }
}

/// Cuts long values in messages so that a finding stays readable.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}…")
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Applies the whiteSpace facet; borrows when the value is already normal.
fn normalize(raw: &str, ws: WhiteSpace) -> Cow<'_, str> {
    match ws {
        WhiteSpace::Preserve => Cow::Borrowed(raw),
        WhiteSpace::Replace => {
            if raw.contains(['\t', '\n', '\r']) {
                Cow::Owned(raw.replace(['\t', '\n', '\r'], " "))
            } else {
                Cow::Borrowed(raw)
            }
        }
        WhiteSpace::Collapse => {
            let already = !raw.starts_with(is_xml_space)
                && !raw.ends_with(is_xml_space)
                && !raw.contains(['\t', '\n', '\r'])
                && !raw.contains("  ");
            if already {
                return Cow::Borrowed(raw);
            }
            let mut out = String::with_capacity(raw.len());
            for part in raw.split(is_xml_space).filter(|p| !p.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(part);
            }
            Cow::Owned(out)
        }
    }
}

fn check_lexical(b: Builtin, v: &str) -> Result<(), String> {
    let ok = match b {
        Builtin::AnySimpleType | Builtin::String | Builtin::NormalizedString | Builtin::Token => {
            true
        }
        Builtin::AnyUri => is_uri_reference(v),
        Builtin::Language => is_language(v),
        Builtin::Id => is_ncname(v),
        Builtin::Decimal => is_decimal(v),
        Builtin::Integer => is_integer(v),
        Builtin::Boolean => matches!(v, "true" | "false" | "1" | "0"),
        Builtin::Date => parse_date(v).is_some_and(parse_tz),
        Builtin::DateTime => parse_date(v)
            .and_then(|rest| rest.strip_prefix('T'))
            .and_then(parse_time)
            .is_some_and(parse_tz),
        Builtin::Time => parse_time(v).is_some_and(parse_tz),
        Builtin::Base64Binary => is_base64(v),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{}' is not a valid {}{}",
            shorten(v),
            b.name(),
            hint(b)
        ))
    }
}

fn hint(b: Builtin) -> &'static str {
    match b {
        Builtin::Decimal => " (write digits with an optional sign and a dot, e.g. 1234.50)",
        Builtin::Integer => " (write digits with an optional sign)",
        Builtin::Boolean => " (write true or false)",
        Builtin::Date => " (write YYYY-MM-DD, e.g. 2024-03-31)",
        Builtin::DateTime => " (write YYYY-MM-DDThh:mm:ss, e.g. 2024-03-31T12:00:00)",
        Builtin::Time => " (write hh:mm:ss)",
        Builtin::Base64Binary => " (the content must be Base64 encoded)",
        Builtin::Language => " (write a language tag such as de or en-GB)",
        Builtin::Id => {
            " (an identifier must start with a letter or _ and contain no spaces or colons)"
        }
        _ => "",
    }
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

fn is_decimal(v: &str) -> bool {
    let s = v.strip_prefix(['+', '-']).unwrap_or(v);
    match s.split_once('.') {
        None => all_digits(s),
        Some((i, f)) => {
            (i.is_empty() || all_digits(i))
                && (f.is_empty() || all_digits(f))
                && !(i.is_empty() && f.is_empty())
        }
    }
}

fn is_integer(v: &str) -> bool {
    all_digits(v.strip_prefix(['+', '-']).unwrap_or(v))
}

fn is_language(v: &str) -> bool {
    let mut parts = v.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

fn is_ncname(v: &str) -> bool {
    let mut chars = v.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}'))
}

/// Parses `-?YYYY-MM-DD` and returns the rest of the string.
fn parse_date(v: &str) -> Option<&str> {
    let s = v.strip_prefix('-').unwrap_or(v);
    let year_len = s.bytes().take_while(u8::is_ascii_digit).count();
    if year_len < 4 || (year_len > 4 && s.starts_with('0')) {
        return None;
    }
    let (year_s, rest) = s.split_at_checked(year_len)?;
    let rest = rest.strip_prefix('-')?;
    let month = two_digits(rest)?;
    let rest = rest.get(2..)?.strip_prefix('-')?;
    let day = two_digits(rest)?;
    let rest = rest.get(2..)?;
    // Year 0000 does not exist in XSD 1.0.
    if year_s.bytes().all(|c| c == b'0') {
        return None;
    }
    let year_mod_400 = year_s
        .bytes()
        .fold(0u32, |acc, c| (acc * 10 + u32::from(c - b'0')) % 400);
    let leap = year_mod_400 % 4 == 0 && (year_mod_400 % 100 != 0 || year_mod_400 == 0);
    let max_day = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=max_day).contains(&day).then_some(rest)
}

/// Parses `hh:mm:ss(.s+)?` and returns the rest of the string.
fn parse_time(v: &str) -> Option<&str> {
    let hour = two_digits(v)?;
    let rest = v.get(2..)?.strip_prefix(':')?;
    let minute = two_digits(rest)?;
    let rest = rest.get(2..)?.strip_prefix(':')?;
    let second = two_digits(rest)?;
    let mut rest = rest.get(2..)?;
    let mut fraction_nonzero = false;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction_nonzero = frac.bytes().take(n).any(|c| c != b'0');
        rest = frac.get(n..)?;
    }
    let valid = if hour == 24 {
        minute == 0 && second == 0 && !fraction_nonzero
    } else {
        hour < 24 && minute < 60 && second < 60
    };
    valid.then_some(rest)
}

/// Whether `v` is empty or a valid time zone (`Z`, `+hh:mm`, `-hh:mm`).
fn parse_tz(v: &str) -> bool {
    if v.is_empty() || v == "Z" {
        return true;
    }
    let Some(rest) = v.strip_prefix(['+', '-']) else {
        return false;
    };
    if rest.len() != 5 {
        return false;
    }
    let (Some(h), Some(m)) = (two_digits(rest), rest.get(3..).and_then(two_digits)) else {
        return false;
    };
    rest.get(2..3) == Some(":") && (h < 14 && m < 60 || h == 14 && m == 0)
}

fn two_digits(s: &str) -> Option<u32> {
    let d = s.get(..2)?;
    if !all_digits(d) {
        return None;
    }
    d.parse().ok()
}

/// Byte classes for the base64 check: 0 ignored, 1 Base64 character, 3 `=`.
#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation: the loop keeps i < 256, and an out-of-range index would fail the build"
)]
static B64_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = if c.is_ascii_alphanumeric() || c == b'+' || c == b'/' {
            1
        } else if c == b'=' {
            3
        } else {
            0
        };
        i += 1;
    }
    t
};

/// base64Binary as libxml2 checks it (RFC 2045 decoding): characters outside the Base64
/// alphabet are ignored; the data characters must make whole groups of four with canonical
/// `=` padding, and nothing but ignored characters may follow the padding.
fn is_base64(v: &str) -> bool {
    let (mut n, mut pad, mut last) = (0usize, 0usize, None);
    for chunk in v.as_bytes().chunks(64) {
        // Fast path: a chunk of pure Base64 characters (no line break, no padding). The
        // branch-free fold lets the compiler vectorise it; attachments can be megabytes.
        let clean = chunk.iter().fold(true, |acc, &c| {
            acc & (c.is_ascii_alphanumeric() | (c == b'+') | (c == b'/'))
        });
        if clean && pad == 0 {
            n += chunk.len();
            last = chunk.last().copied().or(last);
            continue;
        }
        for &c in chunk {
            match B64_CLASS.get(usize::from(c)).copied().unwrap_or(0) {
                1 if pad == 0 => {
                    last = Some(c);
                    n += 1;
                }
                1 => return false,
                3 => pad += 1,
                _ => {}
            }
        }
    }
    match (pad, last) {
        (0, _) => n % 4 == 0,
        (1, Some(c)) => n % 4 == 3 && b"AEIMQUYcgkosw048".contains(&c),
        (2, Some(c)) => n % 4 == 2 && b"AQgw".contains(&c),
        _ => false,
    }
}

/// anyURI as libxml2 checks it: characters that may not appear in a URI (controls, space,
/// non-ASCII, `<>"{}|\^`'`) are accepted as if escaped, and the rest must form an RFC 3986
/// URI reference (percent escapes, one `#`, a scheme or a colon-free first segment,
/// bracketed hosts, digits after a port colon).
fn is_uri_reference(v: &str) -> bool {
    let b: Vec<u8> = v
        .bytes()
        .map(|c| {
            if !(32..127).contains(&c) || b" <>\"{}|\\^`'".contains(&c) {
                b'_'
            } else {
                c
            }
        })
        .collect();
    uri_absolute(&b) || uri_relative(&b)
}

fn is_unreserved(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~".contains(&c)
}

fn is_sub_delim(c: u8) -> bool {
    b"!$&'()*+,;=".contains(&c)
}

/// Checks that `s` consists of characters allowed by `ok`, or valid percent escapes.
fn all_uri_chars(s: &[u8], ok: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'%' {
            let hex = |k: usize| s.get(k).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
        } else if ok(c) {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn is_pchar(c: u8) -> bool {
    is_unreserved(c) || is_sub_delim(c) || c == b':' || c == b'@'
}

/// Splits off `?query` and `#fragment` and checks them; returns the part before.
fn uri_tail(s: &[u8]) -> Option<&[u8]> {
    let (before_frag, frag) = match s.iter().position(|&c| c == b'#') {
        Some(i) => (s.get(..i)?, s.get(i + 1..)),
        None => (s, None),
    };
    if let Some(f) = frag
        && !all_uri_chars(f, |c| is_pchar(c) || c == b'/' || c == b'?')
    {
        return None;
    }
    let (hier, query) = match before_frag.iter().position(|&c| c == b'?') {
        Some(i) => (before_frag.get(..i)?, before_frag.get(i + 1..)),
        None => (before_frag, None),
    };
    if let Some(q) = query
        && !all_uri_chars(q, |c| is_pchar(c) || c == b'/' || c == b'?')
    {
        return None;
    }
    Some(hier)
}

fn uri_authority(a: &[u8]) -> bool {
    let (userinfo, hostport) = match a.iter().position(|&c| c == b'@') {
        Some(i) => (a.get(..i), a.get(i + 1..).unwrap_or_default()),
        None => (None, a),
    };
    if let Some(u) = userinfo
        && !all_uri_chars(u, |c| is_unreserved(c) || is_sub_delim(c) || c == b':')
    {
        return false;
    }
    let port_from = if hostport.first() == Some(&b'[') {
        match hostport.iter().position(|&c| c == b']') {
            Some(i) => i + 1,
            None => return false,
        }
    } else {
        let end = hostport
            .iter()
            .position(|&c| c == b':')
            .unwrap_or(hostport.len());
        if !all_uri_chars(hostport.get(..end).unwrap_or_default(), |c| {
            is_unreserved(c) || is_sub_delim(c)
        }) {
            return false;
        }
        end
    };
    match hostport.get(port_from..) {
        None | Some([]) => true,
        Some([b':', digits @ ..]) => !digits.is_empty() && digits.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// `//authority path-abempty` or a path; `first_colon_ok` is false for relative references.
fn uri_hier(h: &[u8], first_colon_ok: bool) -> bool {
    if let Some(rest) = h.strip_prefix(b"//") {
        let end = rest.iter().position(|&c| c == b'/').unwrap_or(rest.len());
        return uri_authority(rest.get(..end).unwrap_or_default())
            && all_uri_chars(rest.get(end..).unwrap_or_default(), |c| {
                is_pchar(c) || c == b'/'
            });
    }
    if !first_colon_ok {
        let first_end = h.iter().position(|&c| c == b'/').unwrap_or(h.len());
        if h.get(..first_end).is_some_and(|seg| seg.contains(&b':')) {
            return false;
        }
    }
    all_uri_chars(h, |c| is_pchar(c) || c == b'/')
}

fn uri_absolute(s: &[u8]) -> bool {
    let Some(colon) = s.iter().position(|&c| c == b':') else {
        return false;
    };
    let Some(scheme) = s.get(..colon) else {
        return false;
    };
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || b"+-.".contains(&c));
    scheme_ok && uri_tail(s.get(colon + 1..).unwrap_or_default()).is_some_and(|h| uri_hier(h, true))
}

fn uri_relative(s: &[u8]) -> bool {
    uri_tail(s).is_some_and(|h| uri_hier(h, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        for ok in ["1", "-1.5", "+.5", "1.", "0001.000"] {
            assert!(is_decimal(ok), "{ok}");
        }
        for bad in ["", ".", "1,5", "1e3", "--1", "1.2.3", " 1"] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn dates() {
        let d = SimpleType::builtin(Builtin::Date);
        for ok in ["2024-02-29", "2023-12-31Z", "2023-01-01+01:00"] {
            assert!(d.check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "20230101",
            "2023-1-01",
            "0000-01-01",
            "2023-01-01+15:00",
        ] {
            assert!(d.check(bad).is_err(), "{bad}");
        }
        let dt = SimpleType::builtin(Builtin::DateTime);
        assert!(dt.check("2024-01-01T24:00:00").is_ok());
        assert!(dt.check("2024-01-01T24:00:01").is_err());
        assert!(dt.check("2024-01-01T10:00:00.5Z").is_ok());
        assert!(dt.check("2024-01-01").is_err());
    }

    #[test]
    fn base64() {
        assert!(is_base64("QUJD"));
        assert!(is_base64("QUI="));
        assert!(is_base64("QQ=="));
        assert!(is_base64(""));
        assert!(!is_base64("QUJ"));
        assert!(!is_base64("Q==="));
        assert!(!is_base64("QR=="));
        // libxml2 ignores characters outside the alphabet.
        assert!(is_base64("QU@JD"));
        assert!(!is_base64("QQ==QQ=="));
    }

    #[test]
    fn uris() {
        for ok in [
            "a b",
            "http://[::1]/",
            "a:b:c",
            "#",
            "//",
            "http://a:b@c:99999/",
            "mailto:a@b",
            "\u{e9}",
        ] {
            assert!(is_uri_reference(ok), "{ok}");
        }
        for bad in [
            "%",
            "a%2",
            "[",
            "a#b#c",
            ":",
            "1a:b",
            "//h:",
            "//a@b@c",
            "http://a:xx/",
            "-a:b",
        ] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }

    #[test]
    fn facets_and_whitespace() {
        let t = SimpleType {
            name: "Code".to_owned(),
            builtin: Builtin::Token,
            layers: vec![Facets {
                enumeration: Some(vec!["A B".to_owned()]),
                ..Facets::default()
            }],
        };
        assert!(t.check("  A \n B ").is_ok());
        assert!(t.check("AB").is_err());
    }
}
