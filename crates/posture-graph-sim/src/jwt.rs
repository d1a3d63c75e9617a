//! RS256 JSON Web Tokens: the simulator's signing key, access tokens it issues, and the
//! client assertions it verifies against registered certificates.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde_json::Value;
use sha1::Digest;
use sha2::Sha256;

/// The key every simulator in the process signs tokens with (generated once: RSA keygen is slow).
pub struct TokenKey {
    signing: SigningKey<Sha256>,
    pub public: RsaPublicKey,
    pub kid: String,
}

static KEY: OnceLock<Result<TokenKey, String>> = OnceLock::new();

pub fn token_key() -> Result<&'static TokenKey, String> {
    KEY.get_or_init(|| {
        let mut rng = rand::thread_rng();
        let private = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| e.to_string())?;
        let public = private.to_public_key();
        let digest = sha1::Sha1::digest(public.n().to_bytes_be());
        let kid = URL_SAFE_NO_PAD.encode(digest);
        Ok(TokenKey {
            signing: SigningKey::<Sha256>::new(private),
            public,
            kid,
        })
    })
    .as_ref()
    .map_err(|e| e.clone())
}

impl TokenKey {
    pub fn sign(&self, claims: &Value) -> String {
        let header = serde_json::json!({ "typ": "JWT", "alg": "RS256", "x5t": self.kid, "kid": self.kid });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig: Signature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
    }

    /// The JWK of the public key, as served from jwks_uri.
    pub fn jwk(&self) -> Value {
        serde_json::json!({
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": URL_SAFE_NO_PAD.encode(self.public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(self.public.e().to_bytes_be()),
        })
    }
}

/// A compact JWT split into its parts.
pub struct Compact {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

pub fn parse(token: &str) -> Option<Compact> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?;
    let claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(c).ok()?).ok()?;
    let signature = URL_SAFE_NO_PAD.decode(s).ok()?;
    Some(Compact {
        header,
        claims,
        signing_input: format!("{h}.{c}"),
        signature,
    })
}

pub fn verify_rs256(key: &RsaPublicKey, jwt: &Compact) -> bool {
    let Ok(sig) = Signature::try_from(jwt.signature.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(jwt.signing_input.as_bytes(), &sig)
        .is_ok()
}

/// x5t of a DER certificate: base64url of its SHA-1.
pub fn x5t(der: &[u8]) -> (String, String) {
    let d = sha1::Sha1::digest(der);
    (URL_SAFE_NO_PAD.encode(d), hex::encode_upper(d))
}

/// Reads a PEM certificate and extracts its DER bytes and RSA public key.
pub fn certificate_from_pem(pem: &str) -> Result<(Vec<u8>, RsaPublicKey), String> {
    let der = CertificateDer::pem_slice_iter(pem.as_bytes())
        .next()
        .ok_or("no CERTIFICATE block in the PEM text")?
        .map_err(|e| format!("unreadable PEM: {e}"))?;
    let spki = der::spki_of_certificate(der.as_ref()).ok_or("certificate DER is malformed")?;
    use rsa::pkcs8::DecodePublicKey;
    let key = RsaPublicKey::from_public_key_der(spki)
        .map_err(|_| "the certificate key is not an RSA key".to_string())?;
    Ok((der.as_ref().to_vec(), key))
}

/// Just enough DER to find the SubjectPublicKeyInfo inside an X.509 certificate.
mod der {
    fn read_tlv(buf: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let tag = *buf.first()?;
        let first = *buf.get(1)?;
        let (len, hdr) = if first < 0x80 {
            (usize::from(first), 2)
        } else {
            let n = usize::from(first & 0x7F);
            if n == 0 || n > 4 {
                return None;
            }
            let mut len = 0usize;
            for i in 0..n {
                len = (len << 8) | usize::from(*buf.get(2 + i)?);
            }
            (len, 2 + n)
        };
        let end = hdr.checked_add(len)?;
        Some((tag, buf.get(hdr..end)?, buf.get(end..)?))
    }

    pub fn spki_of_certificate(cert: &[u8]) -> Option<&[u8]> {
        let (_, cert_body, _) = read_tlv(cert)?;
        let (_, tbs, _) = read_tlv(cert_body)?;
        let mut rest = tbs;
        // Optional [0] version, then serial, signature, issuer, validity, subject, spki.
        if rest.first() == Some(&0xA0) {
            rest = read_tlv(rest)?.2;
        }
        for _ in 0..5 {
            rest = read_tlv(rest)?.2;
        }
        let before = rest;
        let (_, _, after) = read_tlv(rest)?;
        Some(&before[..before.len() - after.len()])
    }
}
