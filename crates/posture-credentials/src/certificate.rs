//! Certificate credentials: the X.509 certificate is parsed for what operators see (thumbprint,
//! subject, expiry) and its public key must match the private key, so a mismatched pair is refused
//! when it is saved instead of failing later at the token endpoint.

use chrono::{DateTime, Utc};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::error::CredentialsError;

/// Upper bound of a certificate or private key PEM; a 4096-bit RSA key is about 3.3 KiB.
pub const MAX_PEM_LEN: usize = 16 * 1024;

/// What is shown about a certificate credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// Upper-case hex SHA-1 of the DER certificate, as the Azure portal shows it.
    pub thumbprint: String,
    pub subject: String,
    pub not_after: DateTime<Utc>,
}

fn invalid(field: &str, reason: impl Into<String>) -> CredentialsError {
    CredentialsError::invalid(field, reason)
}

/// Parses the certificate PEM and checks that `private_key_pem` is its RSA private key. Error
/// messages never quote the key.
pub fn inspect(certificate_pem: &str, private_key_pem: &str) -> Result<CertificateInfo, CredentialsError> {
    const CERT: &str = "credential.certificate.certificate_pem";
    const KEY: &str = "credential.certificate.private_key_pem";
    if certificate_pem.trim().is_empty() {
        return Err(invalid(CERT, "must not be empty"));
    }
    if certificate_pem.len() > MAX_PEM_LEN {
        return Err(invalid(CERT, format!("must be at most {MAX_PEM_LEN} bytes")));
    }
    if private_key_pem.trim().is_empty() {
        return Err(invalid(KEY, "must not be empty"));
    }
    if private_key_pem.len() > MAX_PEM_LEN {
        return Err(invalid(KEY, format!("must be at most {MAX_PEM_LEN} bytes")));
    }

    let (label, der) = rsa::pkcs8::der::pem::decode_vec(certificate_pem.trim().as_bytes())
        .map_err(|_| invalid(CERT, "is not PEM; expected a -----BEGIN CERTIFICATE----- block"))?;
    if label != "CERTIFICATE" {
        return Err(invalid(
            CERT,
            format!("holds a {label} block; expected CERTIFICATE"),
        ));
    }
    let (_, certificate) = x509_parser::parse_x509_certificate(&der)
        .map_err(|_| invalid(CERT, "is not a valid X.509 certificate"))?;
    let not_after = DateTime::<Utc>::from_timestamp(certificate.validity().not_after.timestamp(), 0)
        .ok_or_else(|| invalid(CERT, "has a notAfter date out of range"))?;
    let certificate_key = RsaPublicKey::from_public_key_der(certificate.public_key().raw).map_err(|_| {
        invalid(
            CERT,
            "must hold an RSA public key (Entra signs assertions with RS256)",
        )
    })?;

    let key_text = Zeroizing::new(private_key_pem.trim().to_owned());
    let private_key = RsaPrivateKey::from_pkcs8_pem(&key_text)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(&key_text))
        .map_err(|_| {
            invalid(
                KEY,
                "is not an unencrypted RSA private key in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)",
            )
        })?;
    if RsaPublicKey::from(&private_key) != certificate_key {
        return Err(invalid(
            KEY,
            "does not belong to the certificate (the public keys differ)",
        ));
    }

    Ok(CertificateInfo {
        thumbprint: hex::encode_upper(Sha1::digest(&der)),
        subject: certificate.subject().to_string(),
        not_after,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};

    /// A self-signed certificate and its PKCS#8 private key, both PEM.
    pub(crate) fn self_signed(common_name: &str) -> (String, String) {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
        let key_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8 pem").to_string();
        let key_pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256)
            .expect("rcgen accepts the key");
        let mut params = rcgen::CertificateParams::new(vec![common_name.to_owned()]).expect("params");
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, common_name);
        let cert = params.self_signed(&key_pair).expect("certificate");
        (cert.pem(), key_pem)
    }

    #[test]
    fn matching_pair_yields_thumbprint_subject_and_expiry() {
        let (cert, key) = self_signed("posture-test");
        let info = inspect(&cert, &key).expect("valid pair");
        assert_eq!(info.thumbprint.len(), 40);
        assert!(
            info.thumbprint
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        );
        assert_eq!(info.subject, "CN=posture-test");
        assert!(info.not_after > Utc::now());
    }

    #[test]
    fn mismatched_or_malformed_input_is_refused_without_quoting_the_key() {
        let (cert, _) = self_signed("a");
        let (_, other_key) = self_signed("b");
        let err = inspect(&cert, &other_key).expect_err("key of another certificate");
        let text = err.to_string();
        assert!(text.contains("does not belong"), "{text}");
        assert!(!text.contains("PRIVATE KEY-----\n"), "{text}");

        assert!(inspect("not pem", &other_key).is_err());
        assert!(
            inspect(
                &cert,
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
        assert!(inspect(&other_key, &other_key).is_err());
        assert!(inspect(&cert, "").is_err());
    }
}
