//! Credentials added to a tenant's app after it is created: certificates for signed client
//! assertions and client secrets with an expiry. Both the public `Simulator` methods and the
//! admin API add them, so the rules live here rather than in either caller.

use chrono::{DateTime, Utc};

use super::Tenant;
use crate::error::SimError;
use crate::ids;
use crate::jwt;
use crate::spec::{CertificateInfo, SecretInfo, SecretValue};

pub(crate) fn register_certificate(t: &mut Tenant, pem: &str) -> Result<CertificateInfo, SimError> {
    let (der, key) = jwt::certificate_from_pem(pem).map_err(SimError::Invalid)?;
    let (x5t, thumbprint_hex) = jwt::x5t(&der);
    let info = CertificateInfo { x5t, thumbprint_hex };
    if !t.certificates.iter().any(|(c, _)| c.x5t == info.x5t) {
        t.certificates.push((info.clone(), key));
    }
    Ok(info)
}

pub(crate) fn check_secret_days(days: i64) -> Result<(), SimError> {
    if (-3650..=36500).contains(&days) {
        Ok(())
    } else {
        Err(SimError::Invalid(format!(
            "expires_in_days must be between -3650 and 36500, got {days}"
        )))
    }
}

pub(crate) fn add_secret(t: &mut Tenant, expires_in_days: i64, now: DateTime<Utc>) -> SecretInfo {
    let ordinal = t.secrets.len() as u64;
    let secret = SecretInfo {
        secret_id: ids::object_id(t.seed, "secret", ordinal as u32),
        value: SecretValue::new(ids::secret_value(t.seed, ordinal)),
        expires_at: now + chrono::Duration::days(expires_in_days),
    };
    t.secrets.push(secret.clone());
    secret
}
