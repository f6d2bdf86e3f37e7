//! Prints throughput figures for the crypto core (no assertions, no timing
//! thresholds): envelope seal/open, streaming file encryption, Shamir split
//! and combine, Argon2id at the OWASP parameters, API-key checks.
//!
//! Run: `cargo bench -p faktura-crypto`.

#![expect(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a benchmark binary reports and may fail loudly"
)]

use std::hint::black_box;
use std::time::Instant;

use faktura_crypto::{
    ApiKey, CompanyId, Keyring, OsRng, PasswordHasher, PasswordParams, Purpose, RecordAad,
    RecordKeys, RootKey, SecretString, ShareParams, Unsealer, split_root_key, stream,
};

fn per_second(n: f64, start: Instant) -> f64 {
    n / start.elapsed().as_secs_f64()
}

fn main() {
    let rng = OsRng;
    let (ring, _) = Keyring::create(RootKey::generate(&rng).unwrap(), &rng).unwrap();
    let company = CompanyId::new("bench").unwrap();
    let records = RecordKeys::new(vec![
        ring.open_data_key(
            &ring
                .create_data_key(&company, Purpose::Records, &rng)
                .unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let files = RecordKeys::new(vec![
        ring.open_data_key(
            &ring
                .create_data_key(&company, Purpose::Files, &rng)
                .unwrap(),
        )
        .unwrap(),
    ])
    .unwrap();
    let aad = RecordAad {
        table: "invoice",
        row_id: "1",
        company_id: "bench",
    };

    for size in [256usize, 4096, 65_536] {
        let plain = vec![0x42u8; size];
        let n = (64 * 1024 * 1024 / size).min(100_000);
        let start = Instant::now();
        let mut sealed = Vec::new();
        for _ in 0..n {
            sealed = records.seal(&aad, black_box(&plain), &rng).unwrap();
        }
        let seal_rate = per_second(n as f64, start);
        let start = Instant::now();
        for _ in 0..n {
            black_box(records.open(&aad, black_box(&sealed)).unwrap());
        }
        let open_rate = per_second(n as f64, start);
        println!(
            "envelope {size:>6} B: seal {seal_rate:>10.0}/s ({:.0} MiB/s), open {open_rate:>10.0}/s ({:.0} MiB/s)",
            seal_rate * size as f64 / 1048576.0,
            open_rate * size as f64 / 1048576.0
        );
    }

    let file = vec![7u8; 64 * 1024 * 1024];
    let mut out = Vec::with_capacity(file.len() + 65_536);
    let start = Instant::now();
    stream::encrypt_stream(
        files.current().unwrap(),
        &aad,
        &rng,
        &mut &file[..],
        &mut out,
    )
    .unwrap();
    let enc = per_second(64.0, start);
    let mut back = Vec::with_capacity(file.len());
    let start = Instant::now();
    stream::decrypt_stream(&files, &aad, &mut &out[..], &mut back).unwrap();
    println!(
        "stream 64 MiB file: encrypt {enc:.0} MiB/s, decrypt {:.0} MiB/s",
        per_second(64.0, start)
    );

    let root = RootKey::generate(&rng).unwrap();
    let n = 2000;
    let start = Instant::now();
    let mut last = None;
    for _ in 0..n {
        last = Some(split_root_key(&root, ShareParams::default(), &rng).unwrap());
    }
    let split_rate = per_second(f64::from(n), start);
    let (shares, record) = last.unwrap();
    let start = Instant::now();
    for _ in 0..n {
        let mut u = Unsealer::new(record.clone());
        for s in shares.iter().take(3) {
            u.add(s.clone()).unwrap();
        }
        black_box(u.finish().unwrap());
    }
    println!(
        "shamir 3-of-5 of a 256-bit key: split {split_rate:.0}/s, unseal (3 shares, verified) {:.0}/s",
        per_second(f64::from(n), start)
    );

    let hasher = PasswordHasher::new(PasswordParams::OWASP).unwrap();
    let pw = SecretString::from("correct horse battery staple");
    let start = Instant::now();
    let stored = hasher.hash(&pw, &rng).unwrap();
    let hash_ms = start.elapsed().as_secs_f64() * 1000.0;
    let start = Instant::now();
    assert!(hasher.verify(&pw, &stored).unwrap());
    println!(
        "argon2id m=19456,t=2,p=1: hash {hash_ms:.0} ms, verify {:.0} ms",
        start.elapsed().as_secs_f64() * 1000.0
    );

    let key = ApiKey::generate(&rng).unwrap();
    let hash = key.hash();
    let presented = key.expose_secret().to_owned();
    let n = 200_000;
    let start = Instant::now();
    for _ in 0..n {
        black_box(ApiKey::parse(black_box(&presented)).unwrap().verify(&hash));
    }
    println!(
        "api key parse + constant-time verify: {:.0}/s",
        per_second(f64::from(n), start)
    );
}
