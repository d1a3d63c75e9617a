//! Certificate credentials: the X.509 certificate is parsed for what operators see (thumbprint,
//! subject, expiry) and its public key must match the private key, so a mismatched pair is refused
//! when it is saved instead of failing later at the token endpoint. The private key is loaded with
//! `ring`, the same way the token service loads it to sign, so a key it cannot sign with (not RSA,
//! under 2048 bits, inconsistent) is refused here too.

use chrono::{DateTime, Utc};
use ring::rsa::PublicKeyComponents;
use ring::signature::RsaKeyPair;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha1::{Digest, Sha1};
use x509_parser::public_key::PublicKey;

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

    let der = CertificateDer::from_pem_slice(certificate_pem.trim().as_bytes())
        .map_err(|_| invalid(CERT, "is not PEM; expected a -----BEGIN CERTIFICATE----- block"))?;
    let (_, certificate) = x509_parser::parse_x509_certificate(&der)
        .map_err(|_| invalid(CERT, "is not a valid X.509 certificate"))?;
    let not_after = DateTime::<Utc>::from_timestamp(certificate.validity().not_after.timestamp(), 0)
        .ok_or_else(|| invalid(CERT, "has a notAfter date out of range"))?;
    let Ok(PublicKey::RSA(certificate_key)) = certificate.public_key().parsed() else {
        return Err(invalid(
            CERT,
            "must hold an RSA public key (Entra signs assertions with RS256)",
        ));
    };

    // The PEM parser keeps the decoded key in a buffer that is zeroed when dropped.
    let private_key = match PrivateKeyDer::from_pem_slice(private_key_pem.trim().as_bytes()) {
        Ok(PrivateKeyDer::Pkcs8(der)) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()).ok(),
        Ok(PrivateKeyDer::Pkcs1(der)) => RsaKeyPair::from_der(der.secret_pkcs1_der()).ok(),
        _ => None,
    }
    .ok_or_else(|| {
        invalid(
            KEY,
            "is not an unencrypted RSA private key of at least 2048 bits in PEM (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)",
        )
    })?;
    let private_public = PublicKeyComponents::<Vec<u8>>::from(private_key.public());
    // ring gives the components without leading zeros; DER integers carry one when the top bit is set.
    if private_public.n != without_leading_zeros(certificate_key.modulus)
        || private_public.e != without_leading_zeros(certificate_key.exponent)
    {
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

fn without_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    // Tests only: `rsa` generates throwaway keys (ring cannot generate RSA keys).
    use rsa::RsaPrivateKey;
    use rsa::pkcs1::EncodeRsaPrivateKey;
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

    #[test]
    fn pkcs1_key_is_accepted_and_keys_the_token_service_cannot_sign_with_are_refused() {
        let (cert, pkcs8) = self_signed("pkcs1");
        let key = <RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_pem(&pkcs8).expect("key");
        let pkcs1 = key.to_pkcs1_pem(LineEnding::LF).expect("pkcs1 pem");
        assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert_eq!(
            inspect(&cert, &pkcs1).expect("pkcs1 pair"),
            inspect(&cert, &pkcs8).expect("pkcs8 pair")
        );

        // ring signs only with keys of at least 2048 bits, so a shorter one is refused on save
        // (before the pair is compared: rcgen cannot even certify such a key).
        let short_key = RsaPrivateKey::new(&mut rand::thread_rng(), 1024)
            .expect("rsa key")
            .to_pkcs8_pem(LineEnding::LF)
            .expect("pkcs8 pem")
            .to_string();
        let text = inspect(&cert, &short_key).expect_err("1024-bit key").to_string();
        assert!(text.contains("at least 2048 bits"), "{text}");
        assert!(!text.contains(short_key.lines().nth(1).unwrap_or("-")), "{text}");
    }
}
