//! The backends under test, each with raw access that goes around the file
//! store: the local root folder, or the S3 bucket through a separate client
//! (and the S3 peer's own data folder, read from disk).

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test set-up: a failure here must stop the test loudly"
)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use faktura_crypto::{CompanyId, Keyring, OsRng, Purpose, RecordKeys, RootKey, SecretString};
use faktura_files::{FileId, FileStore, S3Config};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore as _, ObjectStoreExt as _, PutPayload};

/// One backend under test.
pub(crate) struct Fixture {
    pub(crate) store: FileStore,
    pub(crate) raw: Raw,
    pub(crate) name: &'static str,
    /// Keeps the local folder alive for the test.
    _tmp: Option<tempfile::TempDir>,
}

/// Access to the stored bytes that bypasses the file store.
pub(crate) enum Raw {
    Local(PathBuf),
    S3 {
        client: AmazonS3,
        data_dir: Option<PathBuf>,
    },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A company id no other test (or earlier run against the same bucket) uses.
pub(crate) fn unique_company() -> CompanyId {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    CompanyId::new(format!(
        "c{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ))
    .unwrap()
}

/// Fresh keys of `purpose` for `company` (each call: a new hierarchy).
pub(crate) fn keys_for(company: &CompanyId, purpose: Purpose) -> RecordKeys {
    let (ring, _) = Keyring::create(RootKey::generate(&OsRng).unwrap(), &OsRng).unwrap();
    let wrapped = ring.create_data_key(company, purpose, &OsRng).unwrap();
    RecordKeys::new(vec![ring.open_data_key(&wrapped).unwrap()]).unwrap()
}

pub(crate) fn new_id() -> FileId {
    FileId::generate(&OsRng).unwrap()
}

pub(crate) fn local() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("files");
    let store = FileStore::local(&root).unwrap();
    Fixture {
        store,
        raw: Raw::Local(std::fs::canonicalize(&root).unwrap()),
        name: "local",
        _tmp: Some(tmp),
    }
}

/// The S3 peer's settings from the environment (`.ci/start-s3.sh` prints them).
pub(crate) struct S3Env {
    pub(crate) endpoint: String,
    pub(crate) bucket: String,
    pub(crate) access_key: String,
    pub(crate) secret: String,
    pub(crate) data_dir: Option<PathBuf>,
}

/// `None` (after a loud SKIPPED line) when no S3 peer is configured and none is required.
pub(crate) fn s3_env(test: &str) -> Option<S3Env> {
    let Ok(endpoint) = std::env::var("FAKTURA_TEST_S3_ENDPOINT") else {
        if std::env::var("FAKTURA_REQUIRE_S3").as_deref() == Ok("1") {
            panic!(
                "FAKTURA_REQUIRE_S3=1 but FAKTURA_TEST_S3_ENDPOINT is unset: run `eval \"$(bash .ci/start-s3.sh)\"`"
            );
        }
        eprintln!(
            "SKIPPED: {test} on S3 (FAKTURA_TEST_S3_ENDPOINT unset; `eval \"$(bash .ci/start-s3.sh)\"` to run it)"
        );
        return None;
    };
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} must be set with FAKTURA_TEST_S3_ENDPOINT"))
    };
    let secret_file = var("FAKTURA_TEST_S3_SECRET_FILE");
    let secret = std::fs::read_to_string(&secret_file)
        .unwrap_or_else(|e| panic!("reading FAKTURA_TEST_S3_SECRET_FILE {secret_file}: {e}"))
        .trim()
        .to_owned();
    Some(S3Env {
        endpoint,
        bucket: var("FAKTURA_TEST_S3_BUCKET"),
        access_key: var("FAKTURA_TEST_S3_ACCESS_KEY"),
        secret,
        data_dir: std::env::var_os("FAKTURA_TEST_S3_DATA_DIR").map(PathBuf::from),
    })
}

impl S3Env {
    pub(crate) fn config(&self, secret: &str) -> S3Config {
        S3Config {
            endpoint: self.endpoint.clone(),
            bucket: self.bucket.clone(),
            region: "us-east-1".into(),
            access_key_id: self.access_key.clone(),
            secret_access_key: SecretString::from(secret),
            allow_http_loopback: true,
        }
    }

    fn raw_client(&self) -> AmazonS3 {
        AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_bucket_name(&self.bucket)
            .with_region("us-east-1")
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret)
            .build()
            .unwrap()
    }
}

pub(crate) fn s3(test: &str) -> Option<Fixture> {
    let env = s3_env(test)?;
    let store = FileStore::s3(env.config(&env.secret)).unwrap();
    Some(Fixture {
        store,
        raw: Raw::S3 {
            client: env.raw_client(),
            data_dir: env.data_dir,
        },
        name: "s3",
        _tmp: None,
    })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            walk(&entry.path(), out);
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
}

pub(crate) fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

impl Raw {
    fn object(company: &CompanyId, id: &str) -> ObjectPath {
        ObjectPath::from_iter([company.as_str(), id])
    }

    /// The stored bytes of `company/id`, read around the store.
    pub(crate) async fn read(&self, company: &CompanyId, id: &FileId) -> Vec<u8> {
        match self {
            Self::Local(root) => {
                std::fs::read(root.join(company.as_str()).join(id.as_str())).unwrap()
            }
            Self::S3 { client, .. } => client
                .get(&Self::object(company, id.as_str()))
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap()
                .to_vec(),
        }
    }

    /// Writes (or overwrites) `company/name` around the store.
    pub(crate) async fn write(&self, company: &CompanyId, name: &str, bytes: &[u8]) {
        match self {
            Self::Local(root) => {
                let dir = root.join(company.as_str());
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(name), bytes).unwrap();
            }
            Self::S3 { client, .. } => {
                client
                    .put(
                        &Self::object(company, name),
                        PutPayload::from(bytes.to_vec()),
                    )
                    .await
                    .unwrap();
            }
        }
    }

    /// Removes `company/name` around the store.
    pub(crate) async fn remove(&self, company: &CompanyId, name: &str) {
        match self {
            Self::Local(root) => {
                std::fs::remove_file(root.join(company.as_str()).join(name)).unwrap()
            }
            Self::S3 { client, .. } => client.delete(&Self::object(company, name)).await.unwrap(),
        }
    }

    /// How many copies of each object the scan sees: one on local disk; for
    /// S3 one through the API plus one in the peer's data folder, if given.
    pub(crate) fn views(&self) -> usize {
        match self {
            Self::Local(_) => 1,
            Self::S3 { data_dir, .. } => 1 + usize::from(data_dir.is_some()),
        }
    }

    /// Occurrences of `needle` in every stored byte: every file under the
    /// local root; for S3 every object the API lists and every file in the
    /// peer's data folder on disk. Also returns how many objects were searched.
    pub(crate) async fn scan(&self, needle: &[u8]) -> (usize, usize) {
        let mut hits = 0;
        let mut searched = 0;
        let mut files = Vec::new();
        match self {
            Self::Local(root) => walk(root, &mut files),
            Self::S3 { client, data_dir } => {
                // Every company prefix, then every object under it.
                let top = client.list_with_delimiter(None).await.unwrap();
                for prefix in top.common_prefixes {
                    let objects = client.list_with_delimiter(Some(&prefix)).await.unwrap();
                    for meta in objects.objects {
                        let bytes = client
                            .get(&meta.location)
                            .await
                            .unwrap()
                            .bytes()
                            .await
                            .unwrap();
                        hits += count(&bytes, needle);
                        searched += 1;
                    }
                }
                match data_dir {
                    Some(dir) => walk(dir, &mut files),
                    None => eprintln!(
                        "NOTE: FAKTURA_TEST_S3_DATA_DIR unset; the S3 peer's folder was not searched on disk"
                    ),
                }
            }
        }
        for file in files {
            hits += count(&std::fs::read(&file).unwrap(), needle);
            searched += 1;
        }
        (hits, searched)
    }
}
