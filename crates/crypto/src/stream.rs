//! Streaming encryption of large files: the STREAM construction
//! (Hoang, Reyhanitabar, Rogaway, Vizár 2015) over XChaCha20-Poly1305.
//!
//! The file is cut into 64 KiB chunks; chunk `i` is sealed with the nonce
//! `prefix ‖ i (u32 BE) ‖ last-flag`, where the 19-byte prefix is random per
//! file. Reordered chunks fail (wrong counter), truncation fails (no chunk
//! carries the last flag), appended data fails (bytes after the last chunk).
//! The header (format, algorithm, key version, chunk size, prefix) and the
//! file's [`RecordAad`] are authenticated with every chunk.
//!
//! Decryption writes each chunk only after it authenticates, but a failure
//! part-way leaves a prefix of the plaintext written: callers must discard
//! the output when an error is returned.

use std::io::{Read, Write};

use crate::envelope::{ALG_XCHACHA20_POLY1305, RecordAad};
use crate::error::{Error, Result};
use crate::keys::{DataKey, KeyVersion, RecordKeys};
use crate::primitive::{NONCE_LEN, TAG_LEN, aead_open, aead_seal};
use crate::rng::{SecureRng, random_array};

/// Plaintext bytes per chunk.
pub const CHUNK_SIZE: usize = 64 * 1024;
const MAGIC: &[u8; 4] = b"FKST";
const FORMAT: u8 = 1;
const PREFIX_LEN: usize = NONCE_LEN - 5;
const HEADER_LEN: usize = 4 + 1 + 1 + 4 + 4 + PREFIX_LEN;
const MAX_CHUNK: usize = 1024 * 1024;

fn nonce(prefix: &[u8; PREFIX_LEN], counter: u32, last: bool) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    let (p, rest) = n.split_at_mut(PREFIX_LEN);
    p.copy_from_slice(prefix);
    let (c, flag) = rest.split_at_mut(4);
    c.copy_from_slice(&counter.to_be_bytes());
    flag.fill(u8::from(last));
    n
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut dyn Read, buf: &mut [u8]) -> Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..) {
        if rest.is_empty() {
            break;
        }
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(filled)
}

/// Encrypts everything `reader` yields into `writer` under `key`; returns the plaintext length.
pub fn encrypt_stream(
    key: &DataKey,
    aad: &RecordAad<'_>,
    rng: &dyn SecureRng,
    reader: &mut dyn Read,
    writer: &mut dyn Write,
) -> Result<u64> {
    encrypt_with_chunk(key, aad, rng, reader, writer, CHUNK_SIZE)
}

fn encrypt_with_chunk(
    key: &DataKey,
    aad: &RecordAad<'_>,
    rng: &dyn SecureRng,
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    chunk_size: usize,
) -> Result<u64> {
    if aad.company_id != key.company().as_str() {
        return Err(Error::InvalidParameters(
            "the file belongs to another company than this data key",
        ));
    }
    let prefix: [u8; PREFIX_LEN] = random_array(rng)?;
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&[FORMAT, ALG_XCHACHA20_POLY1305]);
    header.extend_from_slice(&key.version().get().to_be_bytes());
    header.extend_from_slice(
        &u32::try_from(chunk_size)
            .map_err(|_| Error::InvalidParameters("chunk size"))?
            .to_be_bytes(),
    );
    header.extend_from_slice(&prefix);
    writer.write_all(&header)?;
    let mut full_aad = header;
    full_aad.extend(aad.encode(key.purpose().label().as_bytes()));

    let mut buf = zeroize::Zeroizing::new(vec![0u8; chunk_size]);
    let mut counter = 0u32;
    let mut total = 0u64;
    loop {
        let n = read_full(reader, &mut buf)?;
        let last = n < chunk_size;
        let chunk = buf.get(..n).unwrap_or_default();
        writer.write_all(&aead_seal(
            key.key(),
            &nonce(&prefix, counter, last),
            &full_aad,
            chunk,
        )?)?;
        total += n as u64;
        if last {
            break;
        }
        counter = counter.checked_add(1).ok_or(Error::TooLarge {
            what: "file",
            limit: usize::MAX,
        })?;
    }
    writer.flush()?;
    Ok(total)
}

/// Decrypts a stream made by [`encrypt_stream`] with the key version its
/// header names; returns the plaintext length. Any tampering is [`Error::Decrypt`].
pub fn decrypt_stream(
    keys: &RecordKeys,
    aad: &RecordAad<'_>,
    reader: &mut dyn Read,
    writer: &mut dyn Write,
) -> Result<u64> {
    let mut header = [0u8; HEADER_LEN];
    if read_full(reader, &mut header)? != HEADER_LEN {
        return Err(Error::Decrypt);
    }
    let (magic, rest) = header.split_at(4);
    let [format, alg, v0, v1, v2, v3, c0, c1, c2, c3, prefix @ ..] = rest else {
        return Err(Error::Decrypt);
    };
    if magic != MAGIC || *format != FORMAT || *alg != ALG_XCHACHA20_POLY1305 {
        return Err(Error::Decrypt);
    }
    let version = KeyVersion::new(u32::from_be_bytes([*v0, *v1, *v2, *v3]));
    let chunk_size = u32::from_be_bytes([*c0, *c1, *c2, *c3]) as usize;
    if chunk_size == 0 || chunk_size > MAX_CHUNK {
        return Err(Error::Decrypt);
    }
    let prefix: [u8; PREFIX_LEN] = prefix.try_into().map_err(|_| Error::Decrypt)?;
    let key = keys.get(version)?;
    if aad.company_id != key.company().as_str() {
        return Err(Error::InvalidParameters(
            "the file belongs to another company than these data keys",
        ));
    }
    let mut full_aad = header.to_vec();
    full_aad.extend(aad.encode(key.purpose().label().as_bytes()));

    let mut buf = vec![0u8; chunk_size + TAG_LEN];
    let mut counter = 0u32;
    let mut total = 0u64;
    loop {
        let n = read_full(reader, &mut buf)?;
        let last = n < buf.len();
        let sealed = buf.get(..n).ok_or(Error::Decrypt)?;
        let plain = aead_open(key.key(), &nonce(&prefix, counter, last), &full_aad, sealed)?;
        writer.write_all(&plain)?;
        total += plain.len() as u64;
        if last {
            let mut extra = [0u8; 1];
            if read_full(reader, &mut extra)? != 0 {
                return Err(Error::Decrypt);
            }
            break;
        }
        counter = counter.checked_add(1).ok_or(Error::Decrypt)?;
    }
    writer.flush()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{CompanyId, Keyring, Purpose, RootKey};
    use crate::rng::SeededRng;
    use proptest::prelude::*;

    const AAD: RecordAad<'static> = RecordAad {
        table: "file",
        row_id: "f1",
        company_id: "c",
    };

    fn keys(seed: u64) -> RecordKeys {
        let rng = SeededRng::new(seed);
        let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
        let w = ring
            .create_data_key(&CompanyId::new("c").unwrap(), Purpose::Files, &rng)
            .unwrap();
        RecordKeys::new(vec![ring.open_data_key(&w).unwrap()]).unwrap()
    }

    fn enc(keys: &RecordKeys, data: &[u8], chunk: usize) -> Vec<u8> {
        let mut out = Vec::new();
        encrypt_with_chunk(
            keys.current().unwrap(),
            &AAD,
            &SeededRng::new(1),
            &mut &data[..],
            &mut out,
            chunk,
        )
        .unwrap();
        out
    }

    fn dec(keys: &RecordKeys, aad: &RecordAad<'_>, data: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        decrypt_stream(keys, aad, &mut &data[..], &mut out)?;
        Ok(out)
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        let k = keys(1);
        for len in [0, 1, 15, 16, 17, 32, 33, 100] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(
                dec(&k, &AAD, &enc(&k, &data, 16)).unwrap(),
                data,
                "len {len}"
            );
        }
        let big = vec![7u8; CHUNK_SIZE * 2 + 5];
        let mut out = Vec::new();
        encrypt_stream(
            k.current().unwrap(),
            &AAD,
            &SeededRng::new(2),
            &mut &big[..],
            &mut out,
        )
        .unwrap();
        assert_eq!(dec(&k, &AAD, &out).unwrap(), big);
    }

    #[test]
    fn truncation_reordering_appending_and_moving_fail() {
        let k = keys(2);
        let data = vec![1u8; 16 * 4 + 3];
        let ct = enc(&k, &data, 16);
        let chunk = 16 + TAG_LEN;
        // Drop the last chunk: the stream now ends on a full non-last chunk.
        assert!(matches!(
            dec(&k, &AAD, &ct[..ct.len() - (3 + TAG_LEN)]),
            Err(Error::Decrypt)
        ));
        // Drop a middle chunk.
        let mut cut = ct[..HEADER_LEN + chunk].to_vec();
        cut.extend_from_slice(&ct[HEADER_LEN + 2 * chunk..]);
        assert!(matches!(dec(&k, &AAD, &cut), Err(Error::Decrypt)));
        // Swap chunks 0 and 1.
        let mut swapped = ct[..HEADER_LEN].to_vec();
        swapped.extend_from_slice(&ct[HEADER_LEN + chunk..HEADER_LEN + 2 * chunk]);
        swapped.extend_from_slice(&ct[HEADER_LEN..HEADER_LEN + chunk]);
        swapped.extend_from_slice(&ct[HEADER_LEN + 2 * chunk..]);
        assert!(matches!(dec(&k, &AAD, &swapped), Err(Error::Decrypt)));
        // Append garbage.
        let mut appended = ct.clone();
        appended.push(0);
        assert!(matches!(dec(&k, &AAD, &appended), Err(Error::Decrypt)));
        // Header only, empty.
        assert!(dec(&k, &AAD, &ct[..HEADER_LEN]).is_err());
        assert!(dec(&k, &AAD, &[]).is_err());
        // Another file's identity.
        assert!(
            dec(
                &k,
                &RecordAad {
                    row_id: "f2",
                    ..AAD
                },
                &ct
            )
            .is_err()
        );
        // Another key.
        assert!(dec(&keys(3), &AAD, &ct).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_flipped_bit_fails(len in 0usize..80, pos in any::<usize>(), bit in 0u8..8) {
            let k = keys(4);
            let data = vec![0x5Au8; len];
            let mut ct = enc(&k, &data, 16);
            let i = pos % ct.len();
            ct[i] ^= 1 << bit;
            prop_assert!(dec(&k, &AAD, &ct).is_err());
        }
    }
}
