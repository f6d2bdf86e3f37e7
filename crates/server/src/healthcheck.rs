//! The container and operator health check: one TLS request to the
//! server's own `/healthz`, trusting exactly the certificate it is
//! configured to present (so no CA and no host name are needed).

use crate::config::Config;
use crate::error::{Error, Result};
use crate::notify::SelfProbe;
use crate::serve::DEV_CERT_FILE;

/// Checks that the server configured by `config` answers `/healthz` with 200.
///
/// The certificate to trust is `tls.cert_file` or, for a `--dev` instance,
/// the generated certificate in the data directory.
///
/// # Errors
/// [`Error::Tls`] when no certificate is configured or it does not parse;
/// [`Error::Io`] or [`Error::Internal`] when the server does not answer 200.
pub async fn check(config: &Config) -> Result<()> {
    let cert_file = match (&config.tls, config.dev) {
        (Some(files), _) => files.cert_file.clone(),
        (None, true) => config.data_dir.join(DEV_CERT_FILE),
        (None, false) => {
            return Err(Error::Tls(
                "no [tls] cert_file in the configuration, so there is no certificate to trust; pass --config".into(),
            ));
        }
    };
    let pem = crate::tls::read_small(&cert_file)?;
    let leaf = crate::tls::parse_certificates(&pem)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Tls(format!("{} holds no certificate", cert_file.display())))?;
    SelfProbe::new(config.listen, leaf)?.check().await
}
