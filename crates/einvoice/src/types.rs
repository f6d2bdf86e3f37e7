//! Value types of the model: exact decimal newtypes, dates and identifiers.
//!
//! Amounts, quantities, prices and percentages are distinct types so that a
//! price cannot be passed where an amount is expected; all of them keep the
//! exact decimal (scale included) that was read or built.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, ValueError};

/// Parses an `xs:decimal` lexical value (optional sign, digits, optional fraction).
///
/// Exponents, spaces inside the number, `NaN` and grouping are refused, as the
/// XML Schema type refuses them.
pub(crate) fn parse_xs_decimal(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    let valid = !digits.is_empty()
        && digits != "."
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.chars().filter(|&c| c == '.').count() <= 1;
    if !valid {
        return None;
    }
    let normal = match t.strip_prefix('+') {
        Some(rest) => rest,
        None => t,
    };
    let normal = if normal.ends_with('.') {
        normal.trim_end_matches('.')
    } else {
        normal
    };
    let normal = if let Some(rest) = normal.strip_prefix("-.") {
        format!("-0.{rest}")
    } else if let Some(rest) = normal.strip_prefix('.') {
        format!("0.{rest}")
    } else {
        normal.to_owned()
    };
    Decimal::from_str(&normal).ok()
}

macro_rules! decimal_newtype {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Decimal);

        impl $name {
            /// Zero.
            pub const ZERO: Self = Self(Decimal::ZERO);

            /// Wraps a decimal.
            pub const fn new(value: Decimal) -> Self {
                Self(value)
            }

            /// The decimal value.
            pub const fn value(self) -> Decimal {
                self.0
            }

            /// Parses an `xs:decimal` lexical value.
            ///
            /// # Errors
            /// [`Error::Value`] when the text is not a decimal number.
            pub fn parse(text: &str) -> Result<Self, Error> {
                parse_xs_decimal(text).map(Self).ok_or_else(|| {
                    Error::Value(ValueError::new($what, text, "a decimal number such as 12.50"))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<Decimal> for $name {
            fn from(value: Decimal) -> Self {
                Self(value)
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                Self::parse(text)
            }
        }
    };
}

decimal_newtype!(
    /// A monetary amount (EN 16931 semantic data type "Amount"), in the currency given by context.
    Amount,
    "amount"
);
decimal_newtype!(
    /// A quantity (EN 16931 "Quantity"), measured in a [`UnitCode`].
    Quantity,
    "quantity"
);
decimal_newtype!(
    /// A unit price (EN 16931 "Unit price amount"); unlike [`Amount`] it may carry more than two decimals.
    UnitPrice,
    "unit price"
);
decimal_newtype!(
    /// A percentage such as a VAT rate (EN 16931 "Percentage"), `19` meaning 19 %.
    Percentage,
    "percentage"
);

impl Amount {
    /// Rounds to two decimals, half away from zero, as the official rules' `round()` does on `xs:decimal`.
    #[must_use]
    pub fn round2(self) -> Self {
        Self(round2(self.0))
    }
}

/// Rounds a decimal to two places, half away from zero.
pub(crate) fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A calendar date (EN 16931 "Date"), serialised as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub time::Date);

impl Date {
    /// Builds a date from year, month (1-12) and day.
    ///
    /// # Errors
    /// [`Error::Value`] when the date does not exist.
    pub fn from_ymd(year: i32, month: u8, day: u8) -> Result<Self, Error> {
        let text = format!("{year:04}-{month:02}-{day:02}");
        let month = time::Month::try_from(month)
            .map_err(|_| Error::Value(ValueError::new("date", &text, "a month from 1 to 12")))?;
        time::Date::from_calendar_date(year, month, day)
            .map(Self)
            .map_err(|_| Error::Value(ValueError::new("date", &text, "an existing calendar date")))
    }

    /// Parses `YYYY-MM-DD` (UBL `xs:date`, optionally followed by a time zone) or `YYYYMMDD` (CII format 102).
    ///
    /// # Errors
    /// [`Error::Value`] when the text is not such a date.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let t = text.trim();
        let bad = || {
            Error::Value(ValueError::new(
                "date",
                text,
                "a date written YYYY-MM-DD or YYYYMMDD",
            ))
        };
        let (y, m, d) = if t.len() >= 10 && t.as_bytes().get(4) == Some(&b'-') {
            let date_part = t.get(..10).ok_or_else(bad)?;
            let rest = t.get(10..).ok_or_else(bad)?;
            if !(rest.is_empty()
                || rest == "Z"
                || ((rest.starts_with('+') || rest.starts_with('-')) && rest.len() == 6))
            {
                return Err(bad());
            }
            (
                date_part.get(0..4),
                date_part.get(5..7),
                date_part.get(8..10),
            )
        } else if t.len() == 8 {
            (t.get(0..4), t.get(4..6), t.get(6..8))
        } else {
            return Err(bad());
        };
        let num = |s: Option<&str>| -> Result<u32, Error> {
            let s = s.ok_or_else(bad)?;
            if s.chars().all(|c| c.is_ascii_digit()) {
                s.parse::<u32>().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        let (y, m, d) = (num(y)?, num(m)?, num(d)?);
        let y = i32::try_from(y).map_err(|_| bad())?;
        let m = u8::try_from(m).map_err(|_| bad())?;
        let d = u8::try_from(d).map_err(|_| bad())?;
        Self::from_ymd(y, m, d)
    }

    /// `YYYY-MM-DD`, as UBL writes dates.
    pub fn to_iso(self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }

    /// `YYYYMMDD`, as CII writes dates (format 102).
    pub fn to_102(self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_iso())
    }
}

impl FromStr for Date {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_iso())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An identifier with an optional identification scheme (EN 16931 "Identifier" with its scheme, e.g. BT-29 and BT-29-1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Identifier {
    /// The identifier itself.
    pub value: String,
    /// The scheme (usually an ISO 6523 ICD code, or `SEPA`, or a scheme from UNTDID 1153 / 7143).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

impl Identifier {
    /// An identifier without scheme.
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            scheme: None,
        }
    }

    /// An identifier with a scheme.
    pub fn with_scheme(value: impl Into<String>, scheme: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            scheme: Some(scheme.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_xs_decimal() {
        assert_eq!(
            parse_xs_decimal("12.50").map(|d| d.to_string()),
            Some("12.50".to_owned())
        );
        assert_eq!(
            parse_xs_decimal("+.5").map(|d| d.to_string()),
            Some("0.5".to_owned())
        );
        assert_eq!(
            parse_xs_decimal("-.5").map(|d| d.to_string()),
            Some("-0.5".to_owned())
        );
        assert_eq!(
            parse_xs_decimal("7.").map(|d| d.to_string()),
            Some("7".to_owned())
        );
        assert!(parse_xs_decimal("1e3").is_none());
        assert!(parse_xs_decimal("1,5").is_none());
        assert!(parse_xs_decimal(".").is_none());
        assert!(parse_xs_decimal("").is_none());
        assert!(parse_xs_decimal("1.2.3").is_none());
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round2(Decimal::new(1005, 3)).to_string(), "1.01");
        assert_eq!(round2(Decimal::new(-1005, 3)).to_string(), "-1.01");
        assert_eq!(round2(Decimal::new(1004, 3)).to_string(), "1.00");
    }

    #[test]
    fn dates_parse_both_syntaxes() {
        let a = Date::parse("2024-02-29").unwrap();
        let b = Date::parse("20240229").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_102(), "20240229");
        assert!(Date::parse("2023-02-29").is_err());
        assert!(Date::parse("2023-13-01").is_err());
        assert!(Date::parse("24-01-01").is_err());
        assert!(Date::parse("2024-01-01Z").is_ok());
        assert_eq!(serde_json_like(&a), "2024-02-29");
    }

    fn serde_json_like(date: &Date) -> String {
        date.to_iso()
    }
}
