//! Entry points for the fuzz targets (`fuzz/`): each takes arbitrary bytes,
//! must never panic, and must reject anything that was not produced honestly.
//! Not part of the supported API.

use crate::envelope::{self, RecordAad};
use crate::secret::Key256;
use crate::shamir::{self, RawShare};
use crate::share::{Share, ShareSetRecord};

/// Splits `data` into up to 255 shares of `data[0] % 33` bytes each and
/// combines them; also parses `data` as a share file and a share-set record.
pub fn shamir_combine(data: &[u8]) {
    if let Some((&len, rest)) = data.split_first() {
        let len = usize::from(len % 33) + 1;
        let shares: Vec<RawShare> = rest
            .chunks_exact(len + 1)
            .take(255)
            .filter_map(|c| {
                c.split_first().map(|(&x, y)| RawShare {
                    x,
                    y: zeroize::Zeroizing::new(y.to_vec()),
                })
            })
            .collect();
        let _ = shamir::combine(&shares);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Share::from_text(text, None);
    }
    let _ = ShareSetRecord::from_bytes(data);
}

/// Recombines the 32-byte secret from `shares` (x-coordinate, y-values)
/// exactly as unsealing does; for the constant-time measurement
/// (`benches/constant_time.rs`). `None` for invalid input.
pub fn shamir_combine_32(shares: &[(u8, [u8; 32])]) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    let raw: Vec<RawShare> = shares
        .iter()
        .map(|(x, y)| RawShare {
            x: *x,
            y: zeroize::Zeroizing::new(y.to_vec()),
        })
        .collect();
    shamir::combine(&raw).ok()
}

/// Opens `data` as an envelope under a fixed key; returns whether it opened
/// (which, for fuzzed input, would be a forgery).
pub fn envelope_open(data: &[u8]) -> bool {
    let key = Key256::from_array([7; 32]);
    let aad = RecordAad {
        table: "t",
        row_id: "1",
        company_id: "c",
    };
    envelope::open(&key, b"records", &aad, data).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
            shamir_combine(&data);
            prop_assert!(!envelope_open(&data));
        }
    }
}
