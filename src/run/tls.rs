//! TLS settings of an HTTP client: the system's trust store plus a suite's `tls.ca`, a client
//! certificate, or no verification at all (`tls.insecure`).
//!
//! Verification is what reqwest does by default (rustls-platform-verifier over the system's
//! store), with one difference: the store is read on the first TLS handshake, not when the
//! client is built. Reading it is most of the cost of a short run, and a run that only speaks
//! `http://` never needs it.

use crate::suite::Tls;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::SectionKind;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_platform_verifier::Verifier;
use std::sync::{Arc, OnceLock};

/// Gives the client builder the suite's TLS settings.
pub fn configure(b: reqwest::ClientBuilder, tls: &Tls) -> Result<reqwest::ClientBuilder, String> {
    if tls.insecure {
        // reqwest's own path: no verifier, so no trust store is read either.
        let b = b.tls_danger_accept_invalid_certs(true);
        return Ok(match identity(tls)? {
            Some((_, id)) => b.identity(id),
            None => b,
        });
    }
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let verifier = LazyVerifier { extra_roots: extra_roots(tls)?, provider: provider.clone(), inner: OnceLock::new() };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    let mut config = match identity(tls)? {
        Some(((certs, key), _)) => builder
            .with_client_auth_cert(certs, key)
            .map_err(|e| format!("the client certificate or key cannot be used: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    // As reqwest sets it for a client that speaks HTTP/2 and HTTP/1.1.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(b.tls_backend_preconfigured(config))
}

/// The certificates of the `tls.ca` bundle, checked now so that a bad bundle is reported
/// before any request.
fn extra_roots(tls: &Tls) -> Result<Vec<CertificateDer<'static>>, String> {
    let Some(ca) = &tls.ca else { return Ok(Vec::new()) };
    let pem = std::fs::read(ca).map_err(|e| format!("cannot read the CA bundle {}: {e}", ca.display()))?;
    let not_pem = |e: &dyn std::fmt::Display| format!("the CA bundle {} is not PEM certificates: {e}", ca.display());
    let certs = rustls::pki_types::pem::PemObject::pem_slice_iter(&pem)
        .collect::<Result<Vec<CertificateDer<'static>>, _>>()
        .map_err(|e| not_pem(&e))?;
    if certs.is_empty() {
        return Err(format!("the CA bundle {} holds no certificate", ca.display()));
    }
    let mut store = rustls::RootCertStore::empty();
    for c in &certs {
        store.add(c.clone()).map_err(|e| not_pem(&e))?;
    }
    Ok(certs)
}

/// A client certificate chain and its key (the last key in the files, as reqwest takes it),
/// for rustls and as reqwest's `Identity`.
type ClientAuth = ((Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), reqwest::Identity);

fn identity(tls: &Tls) -> Result<Option<ClientAuth>, String> {
    let (Some(cert), Some(key)) = (&tls.client_cert, &tls.client_key) else { return Ok(None) };
    let mut pem =
        std::fs::read(cert).map_err(|e| format!("cannot read the client certificate {}: {e}", cert.display()))?;
    pem.push(b'\n');
    pem.extend(std::fs::read(key).map_err(|e| format!("cannot read the client key {}: {e}", key.display()))?);
    let invalid = |e: &dyn std::fmt::Display| format!("the client certificate or key is not valid PEM: {e}");
    let id = reqwest::Identity::from_pem(&pem).map_err(|e| invalid(&e))?;
    let mut reader = std::io::Cursor::new(&pem);
    let (mut certs, mut keys) = (Vec::new(), Vec::new());
    while let Some((kind, der)) = rustls::pki_types::pem::from_buf(&mut reader).map_err(|e| invalid(&e))? {
        match kind {
            SectionKind::Certificate => certs.push(CertificateDer::from(der)),
            SectionKind::PrivateKey => keys.push(PrivateKeyDer::Pkcs8(der.into())),
            SectionKind::RsaPrivateKey => keys.push(PrivateKeyDer::Pkcs1(der.into())),
            SectionKind::EcPrivateKey => keys.push(PrivateKeyDer::Sec1(der.into())),
            _ => return Err(invalid(&"a section is neither a certificate nor a private key")),
        }
    }
    match (keys.pop(), certs.is_empty()) {
        (Some(key), false) => Ok(Some(((certs, key), id))),
        _ => Err(invalid(&"private key or certificate not found")),
    }
}

/// The platform verifier with the suite's extra roots, built on the first handshake.
#[derive(Debug)]
struct LazyVerifier {
    extra_roots: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    /// Only a verifier that was built is kept: a store that could not be read once (too many
    /// open files, say) is tried again at the next handshake, not failed for the whole run.
    inner: OnceLock<Verifier>,
}

impl LazyVerifier {
    fn get(&self) -> Result<&Verifier, rustls::Error> {
        if let Some(v) = self.inner.get() {
            return Ok(v);
        }
        let built = if self.extra_roots.is_empty() {
            Verifier::new(self.provider.clone())
        } else {
            Verifier::new_with_extra_roots(self.extra_roots.iter().cloned(), self.provider.clone())
        }?;
        Ok(self.inner.get_or_init(|| built))
    }
}

impl ServerCertVerifier for LazyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.get()?.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.get()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        match self.get() {
            Ok(v) => v.supported_verify_schemes(),
            // The handshake fails at verify_server_cert with the reason.
            Err(_) => self.provider.signature_verification_algorithms.supported_schemes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_pair() -> (String, String) {
        let key = rcgen::KeyPair::generate().expect("a key");
        let params = rcgen::CertificateParams::new(vec!["client.test".to_string()]).expect("params");
        let cert = params.self_signed(&key).expect("a certificate");
        (cert.pem(), key.serialize_pem())
    }

    fn client_tls(dir: &std::path::Path, cert: &str, key: &str) -> Tls {
        std::fs::write(dir.join("client.pem"), cert).expect("write");
        std::fs::write(dir.join("client.key"), key).expect("write");
        Tls { client_cert: Some(dir.join("client.pem")), client_key: Some(dir.join("client.key")), ..Tls::default() }
    }

    #[test]
    fn a_client_certificate_and_its_key_are_taken_with_or_without_verification() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (cert, key) = pem_pair();
        let mut tls = client_tls(dir.path(), &cert, &key);
        let ((certs, _), _) = identity(&tls).expect("valid").expect("an identity");
        assert_eq!(certs.len(), 1);
        assert!(configure(reqwest::Client::builder(), &tls).and_then(|b| b.build().map_err(|e| e.to_string())).is_ok());
        tls.insecure = true;
        assert!(configure(reqwest::Client::builder(), &tls).and_then(|b| b.build().map_err(|e| e.to_string())).is_ok());
    }

    #[test]
    fn a_key_without_a_certificate_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (_, key) = pem_pair();
        let e = identity(&client_tls(dir.path(), "", &key)).expect_err("no certificate");
        assert!(e.starts_with("the client certificate or key is not valid PEM"), "{e}");
    }

    #[test]
    fn the_trust_store_is_read_at_the_first_handshake_not_before() {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let v = LazyVerifier { extra_roots: Vec::new(), provider, inner: OnceLock::new() };
        assert!(v.inner.get().is_none());
        assert!(!v.supported_verify_schemes().is_empty());
        assert!(v.inner.get().is_some());
    }
}
