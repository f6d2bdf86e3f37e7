//! A tiny length-prefixed binary codec for the wrapped (persisted) key forms.
//!
//! Bounded: every length is checked against what remains and against a
//! caller-given maximum, and nothing indexes a slice directly.

use crate::error::{Error, Result};

/// Appends big-endian integers and length-prefixed byte strings.
#[derive(Debug, Default)]
pub(crate) struct Writer(Vec<u8>);

impl Writer {
    pub(crate) fn new(magic: &[u8]) -> Self {
        Self(magic.to_vec())
    }

    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.extend_from_slice(bytes);
        self
    }

    /// A byte string with a u32 length prefix. Lengths are bounded by the
    /// caller's types (all far below 4 GiB); longer input is cut to keep
    /// encoding total, and the reader's bound then rejects it.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
        self.u32(len);
        self.0
            .extend_from_slice(bytes.get(..len as usize).unwrap_or(bytes));
        self
    }

    pub(crate) fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

/// Reads what [`Writer`] wrote, failing cleanly on any inconsistency.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(input: &'a [u8], magic: &[u8], what: &'static str) -> Result<Self> {
        let rest = input.strip_prefix(magic).ok_or(Error::Malformed {
            what,
            reason: "unknown format or version marker",
        })?;
        Ok(Self { rest, what })
    }

    fn truncated(&self) -> Error {
        Error::Malformed {
            what: self.what,
            reason: "truncated",
        }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let (head, tail) = self
            .rest
            .split_at_checked(n)
            .ok_or_else(|| self.truncated())?;
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.array::<4>()?))
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        bytes.try_into().map_err(|_| self.truncated())
    }

    pub(crate) fn bytes(&mut self, max: usize) -> Result<&'a [u8]> {
        let len = self.u32()? as usize;
        if len > max {
            return Err(Error::Malformed {
                what: self.what,
                reason: "a field is longer than allowed",
            });
        }
        self.take(len)
    }

    pub(crate) fn finish(self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Malformed {
                what: self.what,
                reason: "trailing bytes after the end",
            })
        }
    }
}

/// Lower-case hex of public (non-secret) bytes such as ids.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            out.push(char::from(
                *DIGITS.get(usize::from(nibble)).unwrap_or(&b'0'),
            ));
        }
    }
    out
}

/// Parses lower- or upper-case hex of public bytes.
pub(crate) fn unhex<const N: usize>(text: &str, what: &'static str) -> Result<[u8; N]> {
    let bad = Error::Malformed {
        what,
        reason: "expected hexadecimal digits of the right length",
    };
    let raw = text.as_bytes();
    if raw.len() != N * 2 {
        return Err(bad);
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(raw.chunks_exact(2)) {
        let digit = |c: u8| char::from(c).to_digit(16);
        match pair {
            [hi, lo] => match (digit(*hi), digit(*lo)) {
                (Some(h), Some(l)) => {
                    *slot = u8::try_from(h * 16 + l).map_err(|_| Error::Malformed {
                        what,
                        reason: "bad hex",
                    })?
                }
                _ => return Err(bad),
            },
            _ => return Err(bad),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let bytes = Writer::new(b"T1").u8(7).u32(9).bytes(b"abc").finish();
        let mut r = Reader::new(&bytes, b"T1", "test").unwrap();
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32().unwrap(), 9);
        assert_eq!(r.bytes(3).unwrap(), b"abc");
        r.finish().unwrap();
        let mut r = Reader::new(&bytes, b"T1", "test").unwrap();
        r.u8().unwrap();
        r.u32().unwrap();
        assert!(r.bytes(2).is_err(), "the bound is enforced");
        assert!(Reader::new(&bytes, b"T2", "test").is_err());
        let mut r = Reader::new(bytes.get(..8).unwrap(), b"T1", "test").unwrap();
        r.u8().unwrap();
        r.u32().unwrap();
        assert!(r.bytes(10).is_err(), "truncation is detected");
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(hex(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(unhex::<3>("00AB10", "x").unwrap(), [0, 0xab, 0x10]);
        assert!(unhex::<3>("00ab1", "x").is_err());
        assert!(unhex::<2>("zz00", "x").is_err());
    }
}
