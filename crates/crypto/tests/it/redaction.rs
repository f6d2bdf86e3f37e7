//! No secret type, and no error, ever shows the secret it holds or was given.
//!
//! Each check takes the secret's bytes (known through a marker, or recovered
//! through a 1-of-1 share, whose data is the root key itself) and searches
//! the `Debug` output, and `Display` where there is one, for the bytes in
//! hex, in base64, as Rust's decimal array notation, and as text.

#![expect(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "helpers of tests may fail loudly"
)]

use faktura_crypto::{
    ApiKey, CompanyId, Error, Keyring, OsRng, PasswordHash, PasswordHasher, PasswordParams,
    Purpose, RecordAad, RecordKeys, RootKey, SecretBytes, SecretString, SeededRng, Share,
    ShareParams, Unsealer, split_root_key,
};

const MARKER: &str = "MARKER-7f3a9c-SECRET";

fn forms(bytes: &[u8]) -> Vec<String> {
    use std::fmt::Write;
    let hex = bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    });
    let decimal = format!("{:?}", &bytes[..8]);
    let decimal = decimal.trim_end_matches(']').to_owned();
    let mut out = vec![hex[..16].to_owned(), decimal];
    if let Ok(text) = std::str::from_utf8(bytes) {
        out.push(text.to_owned());
    }
    out
}

fn assert_hidden(shown: &str, secret_forms: &[String]) {
    for form in secret_forms {
        assert!(
            !shown.contains(form.as_str()),
            "{shown:?} shows the secret form {form:?}"
        );
    }
}

fn base64_data(share_text: &str) -> String {
    share_text
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap()
        .to_owned()
}

#[test]
fn root_key_shares_and_keyring_are_redacted() {
    let rng = SeededRng::new(1);
    let root = RootKey::generate(&rng).unwrap();
    // A 1-of-1 share carries the root key itself in its data line.
    let (single, record) = split_root_key(&root, ShareParams::danger_single_share(), &rng).unwrap();
    let text = single[0].to_text();
    let data = base64_data(text.expose_secret());
    let (mut forms_of_root, b64) = (Vec::new(), data.clone());
    {
        // Decode the base64 by round-tripping through a second share file parse is not
        // possible without exposing; compare the textual base64 plus the raw-byte forms.
        let raw = decode_b64(&data);
        forms_of_root.extend(forms(&raw));
        forms_of_root.push(b64);
    }
    let mut unsealer = Unsealer::new(record.clone());
    unsealer
        .add(Share::from_text(text.expose_secret(), None).unwrap())
        .unwrap();
    let unsealed = unsealer.finish().unwrap();
    assert_hidden(
        &format!(
            "{unsealed:?} {root:?} {:?} {record:?} {single:?}",
            single[0]
        ),
        &forms_of_root,
    );
    let (ring, wrapped) = Keyring::create(unsealed, &rng).unwrap();
    assert_hidden(&format!("{ring:?} {wrapped:?}"), &forms_of_root);
    let dk = ring
        .open_data_key(
            &ring
                .create_data_key(&CompanyId::new("c").unwrap(), Purpose::Records, &rng)
                .unwrap(),
        )
        .unwrap();
    let shown = format!("{dk:?}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert_hidden(
        &format!("{:?}", RecordKeys::new(vec![dk]).unwrap()),
        &forms_of_root,
    );
}

fn decode_b64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        bits = (bits << 6) | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}

#[test]
fn secret_containers_are_redacted() {
    let bytes = SecretBytes::new(MARKER.as_bytes().to_vec());
    let string = SecretString::from(MARKER);
    assert_hidden(&format!("{bytes:?} {string:?}"), &forms(MARKER.as_bytes()));
    assert_eq!(format!("{bytes:?}"), "[redacted]");
}

#[test]
fn api_keys_are_redacted() {
    let key = ApiKey::generate(&OsRng).unwrap();
    let secret_part = key.expose_secret()["fk_live_".len()..].to_owned();
    let shown = format!("{key:?} {:?}", key.hash());
    assert!(!shown.contains(&secret_part[..12]), "{shown}");
    assert!(shown.contains("fk_live_"));
}

#[test]
fn share_debug_and_encrypted_files_are_redacted() {
    let rng = SeededRng::new(2);
    let root = RootKey::generate(&rng).unwrap();
    let (shares, _) = split_root_key(&root, ShareParams::default(), &rng).unwrap();
    let data = base64_data(shares[0].to_text().expose_secret());
    let raw = decode_b64(&data);
    let mut secret_forms = forms(&raw);
    secret_forms.push(data);
    assert_hidden(&format!("{:?}", shares[0]), &secret_forms);
    let encrypted = shares[0]
        .to_encrypted_text(&SecretString::from(MARKER), &rng)
        .unwrap();
    secret_forms.push(MARKER.to_owned());
    assert_hidden(&encrypted, &secret_forms);
}

#[test]
fn errors_never_echo_their_secret_input() {
    let marker_forms = forms(MARKER.as_bytes());
    let mut errors: Vec<Error> = Vec::new();
    errors.push(ApiKey::parse(&format!("fk_live_{MARKER}")).unwrap_err());
    errors.push(ApiKey::parse(MARKER).unwrap_err());
    errors.push(Share::from_text(&format!("faktura-share v1\n{MARKER}\n"), None).unwrap_err());
    let hasher = PasswordHasher::new(PasswordParams::OWASP).unwrap();
    errors.push(
        hasher
            .verify(
                &SecretString::from(MARKER),
                &PasswordHash::from_phc(format!("argon2id {MARKER}")),
            )
            .unwrap_err(),
    );
    errors.push(
        hasher
            .hash(&SecretString::new(MARKER.repeat(100)), &OsRng)
            .unwrap_err(),
    );
    let rng = SeededRng::new(3);
    let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
    let keys = RecordKeys::new(vec![
        ring.open_data_key(
            &ring
                .create_data_key(&CompanyId::new("c").unwrap(), Purpose::Records, &rng)
                .unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let aad = RecordAad {
        table: "t",
        row_id: "1",
        company_id: "c",
    };
    let mut sealed = keys.seal(&aad, MARKER.as_bytes(), &rng).unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 1;
    errors.push(keys.open(&aad, &sealed).unwrap_err());
    for error in &errors {
        assert_hidden(&format!("{error} {error:?}"), &marker_forms);
    }
    // The generic decryption error names no cause.
    assert!(matches!(errors.last(), Some(Error::Decrypt)));
}
