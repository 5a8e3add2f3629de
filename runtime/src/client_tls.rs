//! TLS for the server's own outbound HTTPS (the authorization server's metadata,
//! keys and introspection; the OTLP collector): rustls on ring, as the server's
//! own TLS (see transport/tls.rs for ring's deprecation), with the platform's
//! certificate verifier, so the system's roots decide. No OpenSSL, no aws-lc.

use std::sync::Arc;

/// A client configuration for reqwest's `tls_backend_preconfigured`.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, rustls::Error> {
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| {
            use rustls_platform_verifier::BuilderVerifierExt as _;
            builder.with_platform_verifier()
        })?
        .with_no_client_auth();
    Ok(config)
}
