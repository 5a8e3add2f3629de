//! TLS for the standalone server: the certificate chain and private key (PEM files)
//! loaded once at start-up into a rustls configuration offering `h2` and
//! `http/1.1` by ALPN. Every problem with the files is an error naming the file.

use std::io::{self, Read as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject as _};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// How long a client gets to finish the TLS handshake after connecting.
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest certificate or key file read: PEM files are a few kilobytes; this
/// keeps a wrong path (a device, a log) from being read whole.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The certificate chain and private key of the standalone server, as PEM files
/// (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain, leaf first (PEM `CERTIFICATE` blocks).
    pub cert: PathBuf,
    /// The private key (PEM `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    pub key: PathBuf,
}

/// Reads the files and builds the acceptor, with ALPN `h2` then `http/1.1`.
pub(crate) fn acceptor(files: &TlsFiles) -> io::Result<TlsAcceptor> {
    let certs = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    // The provider is named rather than taken from the process default, which
    // would panic were a second provider ever compiled in. rustls 0.23.48
    // deprecates ring's provider for lacking post-quantum key exchange; ring
    // builds with a C compiler alone, where aws-lc-rs is a far larger C build
    // for every server, TLS or not. Moving is this line and the features.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| {
            invalid(format!(
                "TLS key file `{}` holds no usable private key: {e}",
                files.key.display()
            ))
        })?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| invalid(format!("cannot set up TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            invalid(format!(
                "TLS certificate file `{}` does not go with key file `{}`: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(path: &Path) -> io::Result<Vec<CertificateDer<'static>>> {
    let what = "TLS certificate file";
    let bytes = read(what, path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(what, path, e, "CERTIFICATE"))?;
    if certs.is_empty() {
        return Err(pem_error(
            what,
            path,
            pem::Error::NoItemsFound,
            "CERTIFICATE",
        ));
    }
    Ok(certs)
}

fn private_key(path: &Path) -> io::Result<PrivateKeyDer<'static>> {
    let what = "TLS key file";
    let bytes = read(what, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| {
        pem_error(
            what,
            path,
            e,
            "PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY",
        )
    })
}

fn read(what: &str, path: &Path) -> io::Result<Vec<u8>> {
    let cannot = |e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("cannot read {what} `{}`: {e}", path.display()),
        )
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(invalid(format!(
            "{what} `{}` is larger than {MAX_FILE_BYTES} bytes; is it a PEM file?",
            path.display()
        )));
    }
    Ok(bytes)
}

fn pem_error(what: &str, path: &Path, e: pem::Error, expected: &str) -> io::Error {
    let why = match e {
        pem::Error::NoItemsFound => format!("holds no PEM {expected} block"),
        pem::Error::MissingSectionEnd { .. } => "is not valid PEM: a block has no END line".into(),
        pem::Error::IllegalSectionStart { .. } => {
            "is not valid PEM: a BEGIN line is malformed".into()
        }
        pem::Error::Base64Decode(e) => format!("is not valid PEM: bad base64 ({e})"),
        e => format!("is not valid PEM: {e}"),
    };
    invalid(format!("{what} `{}` {why}", path.display()))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, cert: &str, key: &str) -> TlsFiles {
        let (c, k) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&c, cert).unwrap();
        std::fs::write(&k, key).unwrap();
        TlsFiles { cert: c, key: k }
    }

    fn error(files: &TlsFiles) -> String {
        acceptor(files).err().expect("an error").to_string()
    }

    #[test]
    fn bad_files_are_named_with_their_problem() {
        let dir = std::env::temp_dir().join(format!("mcpgen-tls-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();

        let missing = TlsFiles {
            cert: dir.join("nope.pem"),
            key: dir.join("nope-key.pem"),
        };
        let e = error(&missing);
        assert!(e.starts_with("cannot read TLS certificate file `"), "{e}");
        assert!(e.contains("nope.pem"), "{e}");

        let e = error(&files(&dir, "not pem at all", ""));
        assert!(
            e.contains("cert.pem` holds no PEM CERTIFICATE block"),
            "{e}"
        );

        let e = error(&files(&dir, "-----BEGIN CERTIFICATE-----\nAAAA\n", ""));
        assert!(e.contains("cert.pem` is not valid PEM"), "{e}");

        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let e = error(&files(&dir, cert, "garbage"));
        assert!(e.starts_with("TLS key file `"), "{e}");
        assert!(e.contains("key.pem` holds no PEM PRIVATE KEY"), "{e}");

        // Well-formed PEM around bytes that are no key.
        let key = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n";
        let e = error(&files(&dir, cert, key));
        assert!(e.contains("key.pem` holds no usable private key"), "{e}");

        let _ = std::fs::remove_dir_all(&dir);
    }
}
