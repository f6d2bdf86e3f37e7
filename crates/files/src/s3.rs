//! The S3-compatible backend (AWS S3, MinIO, Ceph RGW, Garage, s3s-fs, …)
//! through `object_store`, with path-style requests to a configured endpoint.
//!
//! Transport: rustls (TLS 1.2 and 1.3 only) with the ring provider and the
//! platform's certificate verifier. `http://` is refused unless the endpoint
//! is a loopback address *and* the configuration allows it explicitly.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use faktura_crypto::SecretString;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload};

use crate::error::{Error, Result};

/// Where and how to reach S3-compatible storage.
///
/// The secret key is held in a [`SecretString`] (wiped on drop, `Debug`
/// prints `[redacted]`); read it from a credential file, never from the
/// configuration text.
#[derive(Debug, Clone)]
pub struct S3Config {
    /// The service's base URL, e.g. `https://s3.eu-central-1.amazonaws.com`
    /// or `https://minio.example.net:9000`. Path-style requests go to
    /// `<endpoint>/<bucket>/<company id>/<file id>`.
    pub endpoint: String,
    /// The bucket; it must exist already.
    pub bucket: String,
    /// The region the signature names (`us-east-1` for most non-AWS services).
    pub region: String,
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: SecretString,
    /// Allow `http://` for a loopback endpoint (tests and a local sidecar only).
    /// Any other `http://` endpoint is refused whatever this says.
    pub allow_http_loopback: bool,
}

/// A connected S3 backend.
pub(crate) struct S3Backend {
    store: Arc<AmazonS3>,
    /// Endpoint without credentials, for `Debug`.
    endpoint: String,
    bucket: String,
}

impl fmt::Debug for S3Backend {
    // The client's own `Debug` would print the credentials: never use it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Backend")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

/// Checks the endpoint; returns whether plain HTTP is to be allowed.
fn check_endpoint(endpoint: &str, allow_http_loopback: bool) -> Result<bool> {
    let url = url::Url::parse(endpoint).map_err(|e| {
        Error::S3Config(format!(
            "the endpoint is not a URL ({e}); write it as https://host[:port]"
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        // Do not echo the endpoint: it carries a credential.
        return Err(Error::S3Config(
            "the endpoint URL carries a user name or password; put the keys in access_key_id and the secret key file instead"
                .into(),
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::S3Config(format!(
            "the endpoint {endpoint:?} has a query or fragment; give only https://host[:port][/path]"
        )));
    }
    let host = url
        .host()
        .ok_or_else(|| Error::S3Config(format!("the endpoint {endpoint:?} names no host")))?;
    match url.scheme() {
        "https" => Ok(false),
        "http" => {
            let loopback = match host {
                url::Host::Ipv4(ip) => IpAddr::V4(ip).is_loopback(),
                url::Host::Ipv6(ip) => IpAddr::V6(ip).is_loopback(),
                url::Host::Domain(_) => false,
            };
            if !loopback {
                Err(Error::S3Config(format!(
                    "the endpoint {endpoint:?} is plain http://, which would send files and signatures unencrypted; use https:// (plain http is possible only for a loopback address such as 127.0.0.1 with allow_http_loopback)"
                )))
            } else if !allow_http_loopback {
                Err(Error::S3Config(format!(
                    "the endpoint {endpoint:?} is plain http:// on loopback; set allow_http_loopback to allow it, or use https://"
                )))
            } else {
                Ok(true)
            }
        }
        other => Err(Error::S3Config(format!(
            "the endpoint scheme {other:?} is not supported; use https://"
        ))),
    }
}

fn check_bucket(bucket: &str) -> Result<()> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !bucket.starts_with(['-', '.'])
        && !bucket.ends_with(['-', '.'])
        && !bucket.contains("..");
    if ok {
        Ok(())
    } else {
        Err(Error::S3Config(format!(
            "bucket name {bucket:?} is not a valid S3 bucket name (3 to 63 of a-z, 0-9, '-', '.')"
        )))
    }
}

impl S3Backend {
    /// Checks `config` and builds the client (no request is sent yet).
    pub(crate) fn connect(config: S3Config) -> Result<Self> {
        let allow_http = check_endpoint(&config.endpoint, config.allow_http_loopback)?;
        check_bucket(&config.bucket)?;
        if config.region.trim().is_empty() {
            return Err(Error::S3Config(
                "region is empty; use the service's region (us-east-1 for most non-AWS services)"
                    .into(),
            ));
        }
        if config.access_key_id.trim().is_empty() {
            return Err(Error::S3Config("access_key_id is empty".into()));
        }
        if config.secret_access_key.expose_secret().is_empty() {
            return Err(Error::S3Config(
                "the secret access key is empty; check the secret key file".into(),
            ));
        }
        // reqwest (object_store's client) is built without a compiled-in TLS
        // provider; use ring, as the rest of Faktura does. If the process
        // already installed a default provider, that one stays.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        let options = ClientOptions::new()
            .with_allow_http(allow_http)
            .with_connect_timeout(Duration::from_secs(10))
            .with_timeout(Duration::from_secs(300));
        let store = AmazonS3Builder::new()
            .with_endpoint(config.endpoint.trim_end_matches('/'))
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            // object_store keeps its own (non-zeroizing) copy for signing.
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            .with_client_options(options)
            .build()
            .map_err(|e| Error::S3Config(format!("the client cannot be built: {e}")))?;
        Ok(Self {
            store: Arc::new(store),
            endpoint: config.endpoint,
            bucket: config.bucket,
        })
    }

    fn storage(op: &'static str, path: &ObjectPath) -> impl FnOnce(object_store::Error) -> Error {
        let path = path.to_string();
        move |source| Error::Storage {
            op,
            path,
            source: Box::new(source),
        }
    }

    fn path(company: &str, id: &str) -> ObjectPath {
        ObjectPath::from_iter([company, id])
    }

    /// Stores `sealed` at `company/id` if absent (S3 conditional create).
    pub(crate) async fn put(&self, company: &str, id: &str, sealed: Vec<u8>) -> Result<()> {
        let path = Self::path(company, id);
        let opts = PutOptions::from(PutMode::Create);
        match self
            .store
            .put_opts(&path, PutPayload::from(sealed), opts)
            .await
        {
            Ok(_) => Ok(()),
            Err(object_store::Error::AlreadyExists { .. }) => Err(Error::AlreadyExists {
                company: company.to_owned(),
                id: id.to_owned(),
            }),
            Err(e) => Err(Self::storage("storing", &path)(e)),
        }
    }

    /// Reads `company/id`, refusing objects larger than `max` before reading them.
    pub(crate) async fn get(&self, company: &str, id: &str, max: u64) -> Result<Vec<u8>> {
        let path = Self::path(company, id);
        let result = match self.store.get(&path).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => {
                return Err(Error::NotFound {
                    company: company.to_owned(),
                    id: id.to_owned(),
                });
            }
            Err(e) => return Err(Self::storage("reading", &path)(e)),
        };
        let unreadable = || Error::Unreadable {
            company: company.to_owned(),
            id: id.to_owned(),
        };
        if result.meta.size > max {
            return Err(unreadable());
        }
        let bytes = result
            .bytes()
            .await
            .map_err(Self::storage("reading", &path))?;
        if bytes.len() as u64 > max {
            return Err(unreadable());
        }
        Ok(bytes.to_vec())
    }

    /// Whether `company/id` exists.
    pub(crate) async fn exists(&self, company: &str, id: &str) -> Result<bool> {
        let path = Self::path(company, id);
        match self.store.head(&path).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(Self::storage("checking", &path)(e)),
        }
    }

    /// Removes `company/id`; absent is fine.
    pub(crate) async fn delete(&self, company: &str, id: &str) -> Result<()> {
        let path = Self::path(company, id);
        match self.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(Self::storage("removing", &path)(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str, allow: bool) -> S3Config {
        S3Config {
            endpoint: endpoint.into(),
            bucket: "faktura-files".into(),
            region: "us-east-1".into(),
            access_key_id: "AKIDTEST".into(),
            secret_access_key: SecretString::from("test-secret-value"),
            allow_http_loopback: allow,
        }
    }

    fn refused(endpoint: &str, allow: bool) -> String {
        match S3Backend::connect(config(endpoint, allow)) {
            Err(Error::S3Config(msg)) => msg,
            other => panic!("{endpoint} with allow={allow}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn plain_http_only_on_loopback_and_only_when_allowed() {
        for endpoint in [
            "http://s3.example.net",
            "http://10.0.0.5:9000",
            "http://192.168.1.2",
            "http://localhost:9000",
            "http://127.0.0.1.nip.io:9000",
            "http://[2001:db8::1]:9000",
        ] {
            assert!(
                refused(endpoint, true).contains("use https://"),
                "{endpoint}"
            );
        }
        assert!(refused("http://127.0.0.1:8014", false).contains("allow_http_loopback"));
        assert!(refused("http://[::1]:8014", false).contains("allow_http_loopback"));
        assert!(S3Backend::connect(config("http://127.0.0.1:8014", true)).is_ok());
        assert!(S3Backend::connect(config("http://127.9.9.9:8014", true)).is_ok());
        assert!(S3Backend::connect(config("http://[::1]:8014", true)).is_ok());
        assert!(S3Backend::connect(config("https://s3.example.net", false)).is_ok());
    }

    #[test]
    fn odd_endpoints_and_settings_are_refused_with_reasons() {
        assert!(refused("ftp://s3.example.net", true).contains("scheme"));
        assert!(refused("s3.example.net", true).contains("not a URL"));
        let msg = refused("https://user:hunter2@s3.example.net", false);
        assert!(msg.contains("user name or password") && !msg.contains("hunter2"));
        assert!(refused("https://s3.example.net/?x=1", false).contains("query"));
        let mut c = config("https://s3.example.net", false);
        c.bucket = "Bad_Bucket".into();
        assert!(matches!(S3Backend::connect(c), Err(Error::S3Config(m)) if m.contains("bucket")));
        let mut c = config("https://s3.example.net", false);
        c.secret_access_key = SecretString::from("");
        assert!(matches!(S3Backend::connect(c), Err(Error::S3Config(m)) if m.contains("secret")));
        let mut c = config("https://s3.example.net", false);
        c.region = " ".into();
        assert!(matches!(S3Backend::connect(c), Err(Error::S3Config(m)) if m.contains("region")));
    }

    #[test]
    fn debug_never_prints_the_secret() {
        let c = config("https://s3.example.net", false);
        assert!(!format!("{c:?}").contains("test-secret-value"));
        let b = S3Backend::connect(c).unwrap();
        let shown = format!("{b:?}");
        assert!(shown.contains("s3.example.net") && !shown.contains("test-secret-value"));
    }
}
