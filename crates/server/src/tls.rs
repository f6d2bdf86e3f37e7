//! The server's TLS policy: rustls with TLS 1.2 and 1.3 only and
//! forward-secret AEAD suites only, from PEM files or, in development
//! mode, a generated self-signed certificate.

use std::path::Path;
use std::sync::Arc;

use rustls::crypto::ring as provider;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;
use crate::error::{Error, Result};

/// The certificate chain and key the listener presents.
#[derive(Debug)]
pub struct ServerIdentity {
    /// Chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// A certificate chain and its private key in PEM.
    ///
    /// # Errors
    /// [`Error::Tls`] if either does not parse.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Tls(format!("the certificate PEM does not parse: {e}")))?;
        if chain.is_empty() {
            return Err(Error::Tls(
                "the certificate PEM holds no CERTIFICATE block".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| Error::Tls(format!("the private key PEM does not parse: {e}")))?;
        Ok(Self { chain, key })
    }

    /// Reads the configured certificate and key files.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Tls`], naming the file.
    pub fn from_files(files: &TlsFiles) -> Result<Self> {
        let cert = read_small(&files.cert_file)?;
        let key = read_small(&files.key_file)?;
        Self::from_pem(&cert, &key).map_err(|e| {
            Error::Tls(format!(
                "{e} (tls.cert_file = {}, tls.key_file = {})",
                files.cert_file.display(),
                files.key_file.display()
            ))
        })
    }

    /// DEVELOPMENT ONLY: a fresh self-signed certificate for localhost,
    /// 127.0.0.1 and ::1; returns it with its PEM so clients can trust it.
    ///
    /// # Errors
    /// [`Error::Tls`] if generation fails.
    pub fn danger_self_signed() -> Result<(Self, String)> {
        let names = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ];
        let certified = rcgen::generate_simple_self_signed(names)
            .map_err(|e| Error::Tls(format!("cannot generate a self-signed certificate: {e}")))?;
        let pem = certified.cert.pem();
        let chain = vec![certified.cert.der().clone()];
        let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())
            .map_err(|e| Error::Tls(format!("generated key unusable: {e}")))?;
        Ok((Self { chain, key }, pem))
    }
}

pub(crate) fn read_small(path: &Path) -> Result<Vec<u8>> {
    const MAX_PEM: u64 = 1024 * 1024;
    let io = |source| Error::Io {
        what: format!("cannot read {}", path.display()),
        source,
    };
    if std::fs::metadata(path).map_err(io)?.len() > MAX_PEM {
        return Err(Error::Tls(format!(
            "{} is larger than {MAX_PEM} bytes; is it the right file?",
            path.display()
        )));
    }
    std::fs::read(path).map_err(io)
}

/// The crypto provider with only forward-secret AEAD suites and modern groups.
#[must_use]
pub fn provider() -> rustls::crypto::CryptoProvider {
    use provider::cipher_suite as cs;
    rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            cs::TLS13_AES_256_GCM_SHA384,
            cs::TLS13_AES_128_GCM_SHA256,
            cs::TLS13_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![
            provider::kx_group::X25519,
            provider::kx_group::SECP256R1,
            provider::kx_group::SECP384R1,
        ],
        ..provider::default_provider()
    }
}

/// The listener's rustls configuration: TLS 1.2 and 1.3, h2 and http/1.1.
///
/// # Errors
/// [`Error::Tls`] if the key does not match the certificate or is unsupported.
pub fn server_config(identity: ServerIdentity) -> Result<Arc<rustls::ServerConfig>> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| Error::Tls(format!("the certificate and key do not fit together: {e}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client configuration with the same policy, trusting only `roots`:
/// certificates they issued (checked by webpki, name included), or a
/// server presenting exactly one of them (a pinned self-signed certificate).
///
/// # Errors
/// [`Error::Tls`] if a root does not parse.
pub fn client_config(roots: &[CertificateDer<'static>]) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(provider());
    let mut store = rustls::RootCertStore::empty();
    // Self-signed leaf certificates may not parse as trust anchors; they are pinned instead.
    let _ = store.add_parsable_certificates(roots.iter().cloned());
    let webpki = if store.is_empty() {
        None
    } else {
        Some(
            rustls::client::WebPkiServerVerifier::builder_with_provider(
                Arc::new(store),
                Arc::clone(&provider),
            )
            .build()
            .map_err(|e| Error::Tls(format!("the trusted roots are unusable: {e}")))?,
        )
    };
    let verifier = Arc::new(PinnedCerts::new(
        roots.to_vec(),
        webpki,
        Arc::clone(&provider),
    ));
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Error::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

/// Server certificate check: a server presenting exactly a pinned
/// certificate is accepted; anything else must chain to a trusted root
/// (webpki). Handshake signatures are always verified.
#[derive(Debug)]
pub(crate) struct PinnedCerts {
    pinned: Vec<CertificateDer<'static>>,
    webpki: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl PinnedCerts {
    pub(crate) fn new(
        pinned: Vec<CertificateDer<'static>>,
        webpki: Option<Arc<rustls::client::WebPkiServerVerifier>>,
        provider: Arc<rustls::crypto::CryptoProvider>,
    ) -> Self {
        Self {
            pinned,
            webpki,
            provider,
        }
    }
}

impl rustls::client::danger::ServerCertVerifier for PinnedCerts {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls_pki_types::ServerName<'_>,
        ocsp: &[u8],
        now: rustls_pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|p| p.as_ref() == end_entity.as_ref())
        {
            return Ok(rustls::client::danger::ServerCertVerified::assertion());
        }
        match &self.webpki {
            Some(v) => v.verify_server_cert(end_entity, intermediates, server_name, ocsp, now),
            None => Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Parses PEM certificates (e.g. a CA file given to a client).
///
/// # Errors
/// [`Error::Tls`] if nothing parses.
pub fn parse_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::Tls(format!("the CA PEM does not parse: {e}")))?;
    if certs.is_empty() {
        return Err(Error::Tls("the CA file holds no CERTIFICATE block".into()));
    }
    Ok(certs)
}
