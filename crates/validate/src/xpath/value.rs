//! XPath 2.0 values: nodes (with attributes as nodes), typed atomic values and sequences.
//!
//! Strings borrow from the document or the compiled rules where they can, so that
//! evaluating a rule allocates little.

use std::cmp::Ordering;
use std::fmt;
use std::rc::Rc;

use roxmltree::{Node, NodeType};
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;

use super::XpError;

/// A string that borrows from the document or the rules, or is shared when computed.
#[derive(Clone)]
pub(crate) enum Str<'a> {
    /// Borrowed from the input document or the compiled rules.
    B(&'a str),
    /// Computed at run time.
    R(Rc<str>),
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Str::B(s) => s,
            Str::R(s) => s,
        }
    }
}

impl fmt::Debug for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<'a> Str<'a> {
    /// A computed string.
    pub(crate) fn owned(s: String) -> Self {
        Str::R(Rc::from(s))
    }
}

/// An `xs:date` value: year, month, day and the timezone offset in minutes if present.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Date {
    pub(crate) year: i32,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) tz_minutes: Option<i16>,
}

impl Date {
    /// Parses the `xs:date` lexical form `-?YYYY-MM-DD(Z|(+|-)hh:mm)?`.
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let s = s.trim_matches(is_xml_space);
        let (neg, rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s),
        };
        let dash = rest.find('-')?;
        let (y, rest) = rest.split_at(dash);
        if y.len() < 4
            || !y.bytes().all(|b| b.is_ascii_digit())
            || (y.len() > 4 && y.starts_with('0'))
        {
            return None;
        }
        let rest = rest.get(1..)?;
        let m = rest.get(0..2)?;
        let sep = rest.get(2..3)?;
        let d = rest.get(3..5)?;
        let tz = rest.get(5..)?;
        if sep != "-"
            || !m.bytes().all(|b| b.is_ascii_digit())
            || !d.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let year = if neg { -year } else { year };
        let month: u8 = m.parse().ok()?;
        let day: u8 = d.parse().ok()?;
        if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
            return None;
        }
        let tz_minutes = parse_tz(tz)?;
        Some(Self {
            year,
            month,
            day,
            tz_minutes,
        })
    }

    /// Days since 0000-03-01 style epoch, adjusted by the timezone, for ordering.
    fn ordinal_minutes(&self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe;
        days * 1440 - i64::from(self.tz_minutes.unwrap_or(0))
    }

    fn lexical(&self) -> String {
        let mut s = if self.year < 0 {
            format!("-{:04}-{:02}-{:02}", -self.year, self.month, self.day)
        } else {
            format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
        };
        match self.tz_minutes {
            None => {}
            Some(0) => s.push('Z'),
            Some(m) => {
                let sign = if m < 0 { '-' } else { '+' };
                let a = m.unsigned_abs();
                s.push_str(&format!("{sign}{:02}:{:02}", a / 60, a % 60));
            }
        }
        s
    }
}

fn parse_tz(tz: &str) -> Option<Option<i16>> {
    if tz.is_empty() {
        return Some(None);
    }
    if tz == "Z" {
        return Some(Some(0));
    }
    let sign = match tz.get(0..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    if tz.len() != 6 || tz.get(3..4)? != ":" {
        return None;
    }
    let h: i16 = tz.get(1..3)?.parse().ok()?;
    let m: i16 = tz.get(4..6)?.parse().ok()?;
    if h > 14 || m > 59 || (h == 14 && m != 0) {
        return None;
    }
    Some(Some(sign * (h * 60 + m)))
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// XML whitespace as XML Schema's `collapse` and `normalize-space` understand it.
pub(crate) fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// An atomic value with its XPath 2.0 type.
#[derive(Clone, Debug)]
pub(crate) enum Atomic<'a> {
    /// `xs:untypedAtomic`: the value of an element or attribute (no schema typing).
    Untyped(Str<'a>),
    /// `xs:string`.
    Str(Str<'a>),
    /// `xs:boolean`.
    Bool(bool),
    /// `xs:integer` (64-bit here; overflow is a dynamic error).
    Int(i128),
    /// `xs:decimal`.
    Dec(Decimal),
    /// `xs:double`.
    Dbl(f64),
    /// `xs:date`.
    Date(Date),
}

/// The type of an atomic value, for casts and error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AtomicType {
    Untyped,
    String,
    Boolean,
    Integer,
    Decimal,
    Double,
    Date,
    /// `xs:anyAtomicType`: any atomic value, no conversion.
    Any,
}

impl AtomicType {
    /// Parses `xs:name` (after prefix resolution to the local name).
    pub(crate) fn from_xs_local(local: &str) -> Option<Self> {
        Some(match local {
            "untypedAtomic" => Self::Untyped,
            "string" => Self::String,
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "decimal" => Self::Decimal,
            "double" => Self::Double,
            "date" => Self::Date,
            "anyAtomicType" => Self::Any,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Untyped => "xs:untypedAtomic",
            Self::String => "xs:string",
            Self::Boolean => "xs:boolean",
            Self::Integer => "xs:integer",
            Self::Decimal => "xs:decimal",
            Self::Double => "xs:double",
            Self::Date => "xs:date",
            Self::Any => "xs:anyAtomicType",
        }
    }
}

impl<'a> Atomic<'a> {
    pub(crate) fn ty(&self) -> AtomicType {
        match self {
            Self::Untyped(_) => AtomicType::Untyped,
            Self::Str(_) => AtomicType::String,
            Self::Bool(_) => AtomicType::Boolean,
            Self::Int(_) => AtomicType::Integer,
            Self::Dec(_) => AtomicType::Decimal,
            Self::Dbl(_) => AtomicType::Double,
            Self::Date(_) => AtomicType::Date,
        }
    }

    pub(crate) fn is_numeric(&self) -> bool {
        matches!(self, Self::Int(_) | Self::Dec(_) | Self::Dbl(_))
    }

    /// The string value (`xs:string` cast), as XPath 2.0 serialises it.
    pub(crate) fn to_str(&self) -> Str<'a> {
        match self {
            Self::Untyped(s) | Self::Str(s) => s.clone(),
            Self::Bool(b) => Str::B(if *b { "true" } else { "false" }),
            Self::Int(i) => Str::owned(i.to_string()),
            Self::Dec(d) => Str::owned(decimal_to_string(*d)),
            Self::Dbl(d) => Str::owned(double_to_string(*d)),
            Self::Date(d) => Str::owned(d.lexical()),
        }
    }

    /// Casts to `target` with the XPath 2.0 casting rules.
    pub(crate) fn cast(&self, target: AtomicType) -> Result<Self, XpError> {
        let fail = || XpError::cast(self, target);
        Ok(match (target, self) {
            (AtomicType::Any, v) => v.clone(),
            (AtomicType::String, v) => Self::Str(v.to_str()),
            (AtomicType::Untyped, v) => Self::Untyped(v.to_str()),
            (AtomicType::Boolean, Self::Untyped(s) | Self::Str(s)) => {
                match s.trim_matches(is_xml_space) {
                    "true" | "1" => Self::Bool(true),
                    "false" | "0" => Self::Bool(false),
                    _ => return Err(fail()),
                }
            }
            (AtomicType::Boolean, Self::Bool(b)) => Self::Bool(*b),
            (AtomicType::Boolean, Self::Int(i)) => Self::Bool(*i != 0),
            (AtomicType::Boolean, Self::Dec(d)) => Self::Bool(!d.is_zero()),
            (AtomicType::Boolean, Self::Dbl(d)) => Self::Bool(*d != 0.0 && !d.is_nan()),
            (AtomicType::Integer, Self::Untyped(s) | Self::Str(s)) => {
                Self::Int(parse_integer(s).ok_or_else(fail)?)
            }
            (AtomicType::Integer, Self::Bool(b)) => Self::Int(i128::from(*b)),
            (AtomicType::Integer, Self::Int(i)) => Self::Int(*i),
            (AtomicType::Integer, Self::Dec(d)) => {
                Self::Int(i128::try_from(d.trunc()).map_err(|_| fail())?)
            }
            (AtomicType::Integer, Self::Dbl(d)) => {
                if !d.is_finite() || d.abs() >= 9.2e18 {
                    return Err(fail());
                }
                #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
                Self::Int(d.trunc() as i128)
            }
            (AtomicType::Decimal, Self::Untyped(s) | Self::Str(s)) => {
                Self::Dec(parse_decimal(s).ok_or_else(fail)?)
            }
            (AtomicType::Decimal, Self::Bool(b)) => Self::Dec(Decimal::from(u8::from(*b))),
            (AtomicType::Decimal, Self::Int(i)) => {
                Self::Dec(Decimal::from_i128(*i).ok_or_else(fail)?)
            }
            (AtomicType::Decimal, Self::Dec(d)) => Self::Dec(*d),
            (AtomicType::Decimal, Self::Dbl(d)) => {
                Self::Dec(Decimal::try_from(*d).map_err(|_| fail())?)
            }
            (AtomicType::Double, Self::Untyped(s) | Self::Str(s)) => {
                Self::Dbl(parse_double(s).ok_or_else(fail)?)
            }
            (AtomicType::Double, Self::Bool(b)) => Self::Dbl(if *b { 1.0 } else { 0.0 }),
            (AtomicType::Double, v) if v.is_numeric() => Self::Dbl(v.as_f64()),
            (AtomicType::Date, Self::Untyped(s) | Self::Str(s)) => {
                Self::Date(Date::parse(s).ok_or_else(fail)?)
            }
            (AtomicType::Date, Self::Date(d)) => Self::Date(*d),
            _ => return Err(fail()),
        })
    }

    /// The numeric value as a double (callers check `is_numeric` first).
    pub(crate) fn as_f64(&self) -> f64 {
        match self {
            Self::Int(i) => *i as f64,
            Self::Dec(d) => decimal_to_f64(*d),
            Self::Dbl(d) => *d,
            _ => f64::NAN,
        }
    }
}

/// Converts a decimal to the nearest double.
pub(crate) fn decimal_to_f64(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// `xs:integer` lexical form: optional sign, digits, surrounding whitespace.
pub(crate) fn parse_integer(s: &str) -> Option<i128> {
    let t = s.trim_matches(is_xml_space);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// `xs:decimal` lexical form: optional sign, digits with an optional point, no exponent.
pub(crate) fn parse_decimal(s: &str) -> Option<Decimal> {
    let t = s.trim_matches(is_xml_space);
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let neg = t.starts_with('-');
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let text = format!(
        "{}{}.{}",
        if neg { "-" } else { "" },
        if int.is_empty() { "0" } else { int },
        if frac.is_empty() { "0" } else { frac }
    );
    Decimal::from_str_exact(&text).ok()
}

/// `xs:double` lexical form (`INF`, `-INF`, `NaN`, exponent allowed).
pub(crate) fn parse_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(is_xml_space);
    match t {
        "INF" | "+INF" => return Some(f64::INFINITY),
        "-INF" => return Some(f64::NEG_INFINITY),
        "NaN" => return Some(f64::NAN),
        _ => {}
    }
    let ok = !t.is_empty()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b'e' | b'E'))
        && t.bytes().any(|b| b.is_ascii_digit());
    if !ok {
        return None;
    }
    t.parse().ok()
}

/// Canonical `xs:decimal` string: no trailing zeros, no exponent.
pub(crate) fn decimal_to_string(d: Decimal) -> String {
    let n = d.normalize();
    let s = n.to_string();
    if s == "-0" { "0".to_owned() } else { s }
}

/// XPath 2.0 `xs:double` to string: integers without a point in the range 1e-6..1e6,
/// otherwise scientific notation as Saxon prints it.
pub(crate) fn double_to_string(d: f64) -> String {
    if d.is_nan() {
        return "NaN".to_owned();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "INF".to_owned()
        } else {
            "-INF".to_owned()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".to_owned()
        } else {
            "0".to_owned()
        };
    }
    let a = d.abs();
    if (1e-6..1e6).contains(&a) {
        let s = format!("{d}");
        return s;
    }
    // Scientific: mantissa with at least one fractional digit, as in 1.0E7.
    let s = format!("{d:E}");
    match s.split_once('E') {
        Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
        _ => s,
    }
}

/// A node: an element, text, document (via roxmltree) or an attribute of an element.
#[derive(Clone, Copy)]
pub(crate) struct XNode<'a> {
    pub(crate) node: Node<'a, 'a>,
    /// 0 for the node itself, otherwise 1 + the attribute's index.
    pub(crate) attr: u32,
}

impl fmt::Debug for XNode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "XNode({:?}, {})", self.node.id(), self.attr)
    }
}

impl PartialEq for XNode<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.node.id() == o.node.id() && self.attr == o.attr
    }
}
impl Eq for XNode<'_> {}
impl PartialOrd for XNode<'_> {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for XNode<'_> {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.node.id().get_usize(), self.attr).cmp(&(o.node.id().get_usize(), o.attr))
    }
}

impl<'a> XNode<'a> {
    pub(crate) fn of(node: Node<'a, 'a>) -> Self {
        Self { node, attr: 0 }
    }

    pub(crate) fn attribute(&self) -> Option<roxmltree::Attribute<'a, 'a>> {
        if self.attr == 0 {
            return None;
        }
        self.node.attributes().nth((self.attr - 1) as usize)
    }

    pub(crate) fn is_attribute(&self) -> bool {
        self.attr != 0
    }

    pub(crate) fn is_element(&self) -> bool {
        self.attr == 0 && self.node.is_element()
    }

    /// The string value of the node.
    pub(crate) fn string_value(&self) -> Str<'a> {
        if let Some(a) = self.attribute() {
            return Str::B(a.value());
        }
        match self.node.node_type() {
            NodeType::Text | NodeType::Comment => Str::B(self.node.text().unwrap_or("")),
            NodeType::PI => Str::B(self.node.pi().and_then(|p| p.value).unwrap_or("")),
            NodeType::Element | NodeType::Root => {
                let mut texts = self.node.descendants().filter(|n| n.is_text());
                let Some(first) = texts.next() else {
                    return Str::B("");
                };
                let Some(second) = texts.next() else {
                    return Str::B(first.text().unwrap_or(""));
                };
                let mut s = String::new();
                s.push_str(first.text().unwrap_or(""));
                s.push_str(second.text().unwrap_or(""));
                for t in texts {
                    s.push_str(t.text().unwrap_or(""));
                }
                Str::owned(s)
            }
        }
    }

    /// Namespace URI and local name (elements and attributes); `None` for other kinds.
    pub(crate) fn expanded_name(&self) -> Option<(&'a str, &'a str)> {
        if let Some(a) = self.attribute() {
            return Some((a.namespace().unwrap_or(""), a.name()));
        }
        if self.node.is_element() {
            let t = self.node.tag_name();
            return Some((t.namespace().unwrap_or(""), t.name()));
        }
        if let Some(pi) = self.node.pi() {
            return Some(("", pi.target));
        }
        None
    }

    /// Whether [`Self::qname`] equals `s`, without building the QName.
    pub(crate) fn qname_is(&self, s: &str) -> bool {
        let Some((ns, local)) = self.expanded_name() else {
            return s.is_empty();
        };
        if ns.is_empty() {
            return s == local;
        }
        match self.node.lookup_prefix(ns) {
            Some(p) if !p.is_empty() => s
                .strip_prefix(p)
                .and_then(|r| r.strip_prefix(':'))
                .is_some_and(|r| r == local),
            _ => s == local,
        }
    }

    /// The lexical QName, with the prefix in scope for the namespace (as `name()` gives).
    pub(crate) fn qname(&self) -> String {
        let Some((ns, local)) = self.expanded_name() else {
            return String::new();
        };
        if ns.is_empty() {
            return local.to_owned();
        }
        match self.node.lookup_prefix(ns) {
            Some(p) if !p.is_empty() => format!("{p}:{local}"),
            _ => local.to_owned(),
        }
    }
}

/// One item of a sequence.
#[derive(Clone, Debug)]
pub(crate) enum Item<'a> {
    Node(XNode<'a>),
    Atom(Atomic<'a>),
}

/// A sequence of items.
pub(crate) type Seq<'a> = Vec<Item<'a>>;

impl<'a> Item<'a> {
    /// Atomizes the item (typed value of a node is its untyped string value).
    pub(crate) fn atomize(&self) -> Atomic<'a> {
        match self {
            Item::Node(n) => Atomic::Untyped(n.string_value()),
            Item::Atom(a) => a.clone(),
        }
    }

    /// The string value of the item.
    pub(crate) fn string_value(&self) -> Str<'a> {
        match self {
            Item::Node(n) => n.string_value(),
            Item::Atom(a) => a.to_str(),
        }
    }
}

/// Compares two dates (same type) in time order.
pub(crate) fn compare_dates(a: &Date, b: &Date) -> Ordering {
    a.ordinal_minutes().cmp(&b.ordinal_minutes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_lexical_rules() {
        assert_eq!(parse_decimal(" 12.50 "), Some(Decimal::new(125, 1)));
        assert_eq!(parse_decimal("-.5"), Some(Decimal::new(-5, 1)));
        assert_eq!(parse_decimal("1e3"), None);
        assert_eq!(parse_decimal("."), None);
        assert_eq!(parse_decimal("1,5"), None);
    }

    #[test]
    fn double_lexical_and_output() {
        assert_eq!(parse_double("1e3"), Some(1000.0));
        assert_eq!(parse_double("abc"), None);
        assert_eq!(double_to_string(100.0), "100");
        assert_eq!(double_to_string(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(double_to_string(1e7), "1.0E7");
    }

    #[test]
    fn dates_parse_and_order() {
        let a = Date::parse("2024-02-29").unwrap();
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2024-13-01").is_none());
        assert!(Date::parse("20240101").is_none());
        let b = Date::parse("2024-03-01Z").unwrap();
        assert!(a.ordinal_minutes() < b.ordinal_minutes());
    }

    #[test]
    fn boolean_cast_rejects_other_words() {
        let v = Atomic::Untyped(Str::B("value"));
        assert!(v.cast(AtomicType::Boolean).is_err());
        let t = Atomic::Untyped(Str::B(" true "));
        assert!(matches!(
            t.cast(AtomicType::Boolean),
            Ok(Atomic::Bool(true))
        ));
    }
}
