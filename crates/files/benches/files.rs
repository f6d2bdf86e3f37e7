//! Throughput of sealed puts and gets: the local backend in a temporary
//! folder, and the S3 peer when `FAKTURA_TEST_S3_ENDPOINT` is set (see
//! `.ci/start-s3.sh`). Prints figures; asserts nothing about time.
//!
//! Run: `cargo bench -p faktura-files --bench files`

#![expect(clippy::unwrap_used, reason = "a benchmark binary may fail loudly")]

use std::time::Instant;

use faktura_crypto::{CompanyId, Keyring, OsRng, Purpose, RecordKeys, RootKey, SecretString};
use faktura_files::{FileId, FileStore, S3Config};

fn keys(company: &CompanyId) -> RecordKeys {
    let (ring, _) = Keyring::create(RootKey::generate(&OsRng).unwrap(), &OsRng).unwrap();
    let wrapped = ring
        .create_data_key(company, Purpose::Files, &OsRng)
        .unwrap();
    RecordKeys::new(vec![ring.open_data_key(&wrapped).unwrap()]).unwrap()
}

async fn measure(name: &str, store: &FileStore) {
    let company = CompanyId::new(format!("bench{}", std::process::id())).unwrap();
    let keys = keys(&company);
    for (size, count) in [(16 * 1024, 200), (1024 * 1024, 32), (64 * 1024 * 1024, 2)] {
        let content: Vec<u8> = (0..size).map(|i: usize| (i % 251) as u8).collect();
        let ids: Vec<FileId> = (0..count)
            .map(|_| FileId::generate(&OsRng).unwrap())
            .collect();
        let start = Instant::now();
        for id in &ids {
            store.put(&keys, id, &content, &OsRng).await.unwrap();
        }
        let put = start.elapsed().as_secs_f64();
        let start = Instant::now();
        for id in &ids {
            let back = store.get(&keys, id).await.unwrap();
            assert_eq!(back.len(), size);
        }
        let get = start.elapsed().as_secs_f64();
        for id in &ids {
            store.delete(&company, id).await.unwrap();
        }
        let mib = (size * count) as f64 / (1024.0 * 1024.0);
        println!(
            "{name:5} {:>8} KiB x {count:3}: put {:7.1} MiB/s ({:6.2} ms each), get {:7.1} MiB/s ({:6.2} ms each)",
            size / 1024,
            mib / put,
            put * 1000.0 / count as f64,
            mib / get,
            get * 1000.0 / count as f64,
        );
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let tmp = tempfile::tempdir().unwrap();
        let local = FileStore::local(tmp.path().join("files")).unwrap();
        measure("local", &local).await;
        match std::env::var("FAKTURA_TEST_S3_ENDPOINT") {
            Ok(endpoint) => {
                let var = |n: &str| std::env::var(n).unwrap();
                let secret = std::fs::read_to_string(var("FAKTURA_TEST_S3_SECRET_FILE")).unwrap();
                let s3 = FileStore::s3(S3Config {
                    endpoint,
                    bucket: var("FAKTURA_TEST_S3_BUCKET"),
                    region: "us-east-1".into(),
                    access_key_id: var("FAKTURA_TEST_S3_ACCESS_KEY"),
                    secret_access_key: SecretString::from(secret.trim()),
                    allow_http_loopback: true,
                })
                .unwrap();
                measure("s3", &s3).await;
            }
            Err(_) => println!("s3: skipped (FAKTURA_TEST_S3_ENDPOINT unset)"),
        }
    });
}
