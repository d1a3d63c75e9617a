//! Validation of request fields at the edge: ids are Entra GUIDs, names have bounds, a credential
//! is complete and sane. Errors are INVALID_ARGUMENT naming the field and what to fix; none quotes
//! secret material.

use std::fmt;

use chrono::{DateTime, Utc};
use posture_kit::ids::TenantId;
use posture_proto::v1::Credential;
use posture_proto::v1::credential::Kind;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::certificate;
use crate::domain::AuthMethod;
use crate::envelope::SecretKind;
use crate::error::CredentialsError;
use posture_kit::time::from_timestamp;

/// Upper bound of a client secret value (Azure's are 40 characters).
pub const MAX_SECRET_BYTES: usize = 1024;
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;
const MAX_REASON_CHARS: usize = 1000;

/// Secret bytes on their way into the vault; wiped on drop, never printed.
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBytes([redacted])")
    }
}

/// A validated credential: what gets sealed and what is shown instead.
#[derive(Debug)]
pub struct ValidCredential {
    pub kind: SecretKind,
    pub auth_method: AuthMethod,
    pub secret: SecretBytes,
    pub expires_at: DateTime<Utc>,
    pub certificate_thumbprint: Option<String>,
    pub certificate_subject: Option<String>,
    pub certificate_pem: Option<String>,
}

fn guid(field: &str, value: &str, what: &str) -> Result<Uuid, CredentialsError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(CredentialsError::invalid(
            field,
            format!("must be set to the {what} (a GUID)"),
        ));
    }
    match Uuid::try_parse(trimmed) {
        Ok(uuid) if !uuid.is_nil() => Ok(uuid),
        Ok(_) => Err(CredentialsError::invalid(field, "must not be the nil GUID")),
        Err(_) => Err(CredentialsError::invalid(
            field,
            format!(
                "must be the {what} as a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47{}",
                if trimmed.contains('.') {
                    " (domain names are not accepted: they can change)"
                } else {
                    ""
                }
            ),
        )),
    }
}

/// An Entra tenant id (the messages say what to fix, beyond what [`TenantId`]'s parser says).
pub fn tenant_id(field: &str, value: &str) -> Result<TenantId, CredentialsError> {
    let uuid = guid(field, value, "Entra tenant id")?;
    TenantId::from_uuid(uuid).map_err(|_| CredentialsError::invalid(field, "must not be the nil GUID"))
}

/// An application (client) id, returned lower-case hyphenated.
pub fn client_id(field: &str, value: &str) -> Result<String, CredentialsError> {
    guid(field, value, "application (client) id").map(|uuid| uuid.hyphenated().to_string())
}

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// Most tags on one connection.
pub const MAX_TAGS: usize = 20;

/// One tag: lowercase letters, digits and `-`, starting with a letter or digit (upper case is
/// lowered). The charset keeps tags safe as stored (`,a,b,`) and in a `LIKE` filter.
pub fn tag(field: &'static str, value: &str) -> Result<String, CredentialsError> {
    let tag = value.trim().to_ascii_lowercase();
    let chars = tag.chars().count();
    if chars == 0 || chars > MAX_TAG_CHARS {
        return Err(CredentialsError::invalid(
            field,
            format!("a tag has 1 to {MAX_TAG_CHARS} characters (got {chars})"),
        ));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if !tag.chars().all(allowed) || tag.starts_with('-') {
        return Err(CredentialsError::invalid(
            field,
            "a tag is lowercase letters, digits and `-`, starting with a letter or digit, e.g. `gold` or `eu-west`",
        ));
    }
    Ok(tag)
}

/// A connection's tags: each valid, duplicates dropped, sorted, at most [`MAX_TAGS`].
pub fn tags(field: &'static str, values: &[String]) -> Result<Vec<String>, CredentialsError> {
    let mut tags = values
        .iter()
        .map(|value| tag(field, value))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS {
        return Err(CredentialsError::invalid(
            field,
            format!("at most {MAX_TAGS} tags per connection (got {})", tags.len()),
        ));
    }
    Ok(tags)
}

pub fn display_name(value: &str) -> Result<String, CredentialsError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(CredentialsError::invalid("display_name", "must not be empty"));
    }
    if chars > MAX_DISPLAY_NAME_CHARS {
        return Err(CredentialsError::invalid(
            "display_name",
            format!("must be at most {MAX_DISPLAY_NAME_CHARS} characters (got {chars})"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(CredentialsError::invalid(
            "display_name",
            "must not contain control characters",
        ));
    }
    Ok(trimmed.to_owned())
}

/// The deletion reason kept in the audit record (optional, bounded).
pub fn reason(value: &str) -> Result<String, CredentialsError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars > MAX_REASON_CHARS {
        return Err(CredentialsError::invalid(
            "reason",
            format!("must be at most {MAX_REASON_CHARS} characters (got {chars})"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Checks a write-only credential; `now` rejects secrets that have already expired.
pub fn credential(
    value: Option<&Credential>,
    now: DateTime<Utc>,
) -> Result<ValidCredential, CredentialsError> {
    let kind = value.and_then(|c| c.kind.as_ref()).ok_or_else(|| {
        CredentialsError::invalid("credential", "must hold a client_secret or a certificate")
    })?;
    match kind {
        Kind::ClientSecret(secret) => {
            const FIELD: &str = "credential.client_secret.secret_value";
            if secret.secret_value.trim().is_empty() {
                return Err(CredentialsError::invalid(FIELD, "must not be empty"));
            }
            if secret.secret_value.len() > MAX_SECRET_BYTES {
                return Err(CredentialsError::invalid(
                    FIELD,
                    format!(
                        "must be at most {MAX_SECRET_BYTES} bytes (got {}); paste the secret's value, not a file",
                        secret.secret_value.len()
                    ),
                ));
            }
            const EXPIRY: &str = "credential.client_secret.expires_at";
            let expires_at = secret.expires_at.as_ref().ok_or_else(|| {
                CredentialsError::invalid(
                    EXPIRY,
                    "must be set to the expiry the Azure portal shows for the secret",
                )
            })?;
            let expires_at = from_timestamp(EXPIRY, expires_at)?;
            if expires_at <= now {
                return Err(CredentialsError::invalid(
                    EXPIRY,
                    "is in the past; create a new secret in Azure",
                ));
            }
            Ok(ValidCredential {
                kind: SecretKind::ClientSecret,
                auth_method: AuthMethod::ClientSecret,
                secret: SecretBytes(Zeroizing::new(secret.secret_value.as_bytes().to_vec())),
                expires_at,
                certificate_thumbprint: None,
                certificate_subject: None,
                certificate_pem: None,
            })
        }
        Kind::Certificate(cert) => {
            let info = certificate::inspect(&cert.certificate_pem, &cert.private_key_pem)?;
            if info.not_after <= now {
                return Err(CredentialsError::invalid(
                    "credential.certificate.certificate_pem",
                    "has expired; register a new certificate on the app",
                ));
            }
            Ok(ValidCredential {
                kind: SecretKind::CertificateKey,
                auth_method: AuthMethod::Certificate,
                secret: SecretBytes(Zeroizing::new(cert.private_key_pem.trim().as_bytes().to_vec())),
                expires_at: info.not_after,
                certificate_thumbprint: Some(info.thumbprint),
                certificate_subject: Some(info.subject),
                certificate_pem: Some(cert.certificate_pem.trim().to_owned()),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::ClientSecretCredential;

    fn secret(value: &str, expires_at: Option<DateTime<Utc>>) -> Credential {
        Credential {
            kind: Some(Kind::ClientSecret(ClientSecretCredential {
                secret_value: value.to_owned(),
                expires_at: expires_at.map(posture_kit::time::timestamp),
            })),
        }
    }

    #[test]
    fn guids_are_normalised_and_domains_are_refused_with_a_hint() {
        assert_eq!(
            tenant_id("tenant_id", " 72F988BF-86F1-41AF-91AB-2D7CD011DB47 ")
                .ok()
                .map(|tenant| tenant.to_string())
                .as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        let err = tenant_id("tenant_id", "contoso.onmicrosoft.com").expect_err("domain");
        assert!(err.to_string().contains("domain names are not accepted"), "{err}");
        assert!(tenant_id("tenant_id", "00000000-0000-0000-0000-000000000000").is_err());
        assert!(client_id("client_id", "").is_err());
    }

    #[test]
    fn display_names_are_bounded() {
        assert_eq!(display_name("  Contoso ").ok().as_deref(), Some("Contoso"));
        assert!(display_name(" ").is_err());
        assert!(display_name(&"x".repeat(201)).is_err());
        assert!(display_name(&"é".repeat(200)).is_ok());
        assert!(display_name("a\nb").is_err());
    }

    #[test]
    fn client_secrets_need_a_value_within_bounds_and_a_future_expiry() {
        let now = Utc::now();
        let later = Some(now + chrono::Duration::days(90));
        let ok = credential(Some(&secret("s3cr3t~value", later)), now).expect("valid");
        assert_eq!(ok.secret.expose(), b"s3cr3t~value");
        assert!(!format!("{ok:?}").contains("s3cr3t"));
        assert!(credential(Some(&secret("", later)), now).is_err());
        assert!(credential(Some(&secret(&"a".repeat(1025), later)), now).is_err());
        assert!(credential(Some(&secret(&"a".repeat(1024), later)), now).is_ok());
        assert!(credential(Some(&secret("v", None)), now).is_err());
        assert!(credential(Some(&secret("v", Some(now - chrono::Duration::days(1)))), now).is_err());
        assert!(credential(None, now).is_err());
        assert!(credential(Some(&Credential { kind: None }), now).is_err());
    }

    #[test]
    fn an_expiry_outside_the_timestamp_range_names_its_field() {
        let now = Utc::now();
        for expires_at in [
            prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            },
            prost_types::Timestamp {
                seconds: i64::MAX,
                nanos: 0,
            },
        ] {
            let value = Credential {
                kind: Some(Kind::ClientSecret(ClientSecretCredential {
                    secret_value: "value".to_owned(),
                    expires_at: Some(expires_at),
                })),
            };
            let err = credential(Some(&value), now).expect_err("invalid expiry");
            assert!(
                err.to_string().contains("credential.client_secret.expires_at"),
                "{err}"
            );
        }
    }
}
