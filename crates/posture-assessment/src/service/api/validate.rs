//! Request validation: ids, offset page tokens, exceptions and settings. Everything in a request
//! is untrusted; each problem names the field to fix. The principal, timestamps and keyset page
//! tokens are read through `posture_kit` (`grpc::principal`, `time`, `paging`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use posture_kit::ServiceError;
use posture_kit::error::{require_max_len, require_uuid};
use posture_kit::ids::{AssessmentId, PageToken, TenantId};
use posture_kit::time::from_optional_timestamp;
use posture_proto::v1 as pb;

use crate::document::DEFAULT_PARAMETERS;

/// Most emergency-access accounts a tenant may declare.
pub const MAX_EMERGENCY_ACCOUNTS: usize = 50;
/// Most object ids one exception may name.
pub const MAX_EXCEPTION_OBJECTS: usize = 1000;
/// The furthest an exception may reach into the future.
pub const MAX_EXCEPTION_DAYS: i64 = 3 * 365 + 1;

pub fn tenant(value: &str) -> Result<TenantId, ServiceError> {
    Ok(value.parse::<TenantId>()?)
}

pub fn assessment_id(value: &str) -> Result<AssessmentId, ServiceError> {
    Ok(value.parse::<AssessmentId>()?)
}

/// A GUID id without a type of its own (an exception's), as the store keeps it (lower case).
pub fn id(field: &str, value: &str) -> Result<String, ServiceError> {
    Ok(require_uuid(field, value)?.to_string())
}

/// Control ids and framework ids: printable, no spaces, at most 128 characters.
pub fn identifier(field: &str, value: &str) -> Result<String, ServiceError> {
    require_max_len(field, value, 128)?;
    if value.is_empty() || !value.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ServiceError::invalid(
            field,
            "must be a non-empty id of printable characters without spaces",
        ));
    }
    Ok(value.to_owned())
}

pub fn optional_identifier(field: &str, value: &str) -> Result<Option<String>, ServiceError> {
    if value.is_empty() {
        Ok(None)
    } else {
        identifier(field, value).map(Some)
    }
}

/// The results a findings listing is filtered to: each a ControlResult other than unspecified.
pub fn results(values: &[i32]) -> Result<Vec<pb::ControlResult>, ServiceError> {
    values
        .iter()
        .map(|r| match pb::ControlResult::try_from(*r) {
            Ok(pb::ControlResult::Unspecified) | Err(_) => Err(ServiceError::invalid(
                "results",
                format!("{r} is not a ControlResult"),
            )),
            Ok(valid) => Ok(valid),
        })
        .collect()
}

fn bad_token() -> ServiceError {
    ServiceError::invalid("page_token", "is not a page token returned by this API")
}

pub fn offset_token(value: &str) -> Result<usize, ServiceError> {
    match PageToken::decode(value)? {
        None => Ok(0),
        Some(PageToken::Offset(o)) => usize::try_from(o).map_err(|_| bad_token()),
        Some(PageToken::Cursor(_)) => Err(bad_token()),
    }
}

pub fn next_offset(offset: Option<usize>) -> String {
    offset
        .map(|o| PageToken::Offset(o as u64).encode())
        .unwrap_or_default()
}

/// Free text: trimmed, between 1 and `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ServiceError::invalid(field, "is required"));
    }
    require_max_len(field, value, max)?;
    Ok(value.to_owned())
}

/// Object ids of an exception: non-empty, at most 256 characters each, deduplicated.
pub fn object_ids(values: &[String]) -> Result<Vec<String>, ServiceError> {
    if values.len() > MAX_EXCEPTION_OBJECTS {
        return Err(ServiceError::invalid(
            "object_ids",
            format!("must name at most {MAX_EXCEPTION_OBJECTS} objects"),
        ));
    }
    let mut ids = Vec::with_capacity(values.len());
    for value in values {
        let value = value.trim();
        if value.is_empty() {
            return Err(ServiceError::invalid("object_ids", "must not contain empty ids"));
        }
        require_max_len("object_ids", value, 256)?;
        ids.push(value.to_owned());
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// `expires_at`: required, in the future and at most three years ahead.
pub fn expiry(
    ts: Option<&prost_types::Timestamp>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ServiceError> {
    let at = from_optional_timestamp("expires_at", ts)?
        .ok_or_else(|| ServiceError::invalid("expires_at", "is required"))?;
    if at <= now {
        return Err(ServiceError::invalid("expires_at", "must be in the future"));
    }
    if at > now + chrono::Duration::days(MAX_EXCEPTION_DAYS) {
        return Err(ServiceError::invalid(
            "expires_at",
            "must be at most three years ahead",
        ));
    }
    Ok(at)
}

/// Emergency-access account ids: GUIDs (stored lower-case), at most 50, deduplicated.
pub fn emergency_accounts(values: &[String]) -> Result<Vec<String>, ServiceError> {
    if values.len() > MAX_EMERGENCY_ACCOUNTS {
        return Err(ServiceError::invalid(
            "emergency_access_accounts",
            format!("must name at most {MAX_EMERGENCY_ACCOUNTS} accounts"),
        ));
    }
    let mut ids = Vec::with_capacity(values.len());
    for value in values {
        let id = require_uuid("emergency_access_accounts", value).map_err(|_| {
            ServiceError::invalid(
                "emergency_access_accounts",
                format!(
                    "`{}` is not an object id (a GUID)",
                    value.chars().take(64).collect::<String>()
                ),
            )
        })?;
        ids.push(id.to_string());
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

/// The range a parameter accepts, and whether it is a whole number (days, a severity level, a
/// count of machines).
fn parameter_range(name: &str) -> Option<(f64, f64, bool)> {
    match name {
        "stale_days" | "guest_stale_days" | "guest_pending_days" => Some((1.0, 3650.0, true)),
        "mfa_coverage_threshold" => Some((0.0, 1.0, false)),
        "device_stale_days" | "alert_open_days" => Some((1.0, 3650.0, true)),
        "connection_secret_expiry_days" => Some((0.0, 365.0, true)),
        // The history Graph keeps is 90 days; a score is at most a few hundred points.
        "secure_score_drop_days" => Some((1.0, 89.0, true)),
        "secure_score_drop_points" => Some((0.0, 10_000.0, false)),
        "secure_score_min_percent" => Some((0.0, 100.0, false)),
        // Defender's severities: 1 Low, 2 Medium, 3 High, 4 Critical.
        "vuln_min_severity" => Some((1.0, 4.0, true)),
        "vuln_max_machines" => Some((0.0, 1_000_000.0, true)),
        _ => None,
    }
}

/// Parameter overrides: only names the pack knows, each within its range.
pub fn parameters(
    values: &std::collections::HashMap<String, f64>,
) -> Result<BTreeMap<String, f64>, ServiceError> {
    let mut out = BTreeMap::new();
    for (name, value) in values {
        let shown: String = name.chars().take(64).collect();
        let known = DEFAULT_PARAMETERS.iter().any(|(n, _)| n == name);
        let Some((min, max, whole)) = parameter_range(name).filter(|_| known) else {
            let names: Vec<&str> = DEFAULT_PARAMETERS.iter().map(|(n, _)| *n).collect();
            return Err(ServiceError::invalid(
                "parameters",
                format!("unknown parameter `{shown}`; known: {}", names.join(", ")),
            ));
        };
        if !value.is_finite() || *value < min || *value > max || (whole && value.fract() != 0.0) {
            let kind = if whole && name.ends_with("_days") {
                "a whole number of days"
            } else if whole {
                "a whole number"
            } else {
                "a number"
            };
            return Err(ServiceError::invalid(
                "parameters",
                format!("`{shown}` must be {kind} from {min} to {max} (got {value})"),
            ));
        }
        out.insert(name.clone(), *value);
    }
    Ok(out)
}

/// The defaults with `overrides` applied.
pub fn effective_parameters(overrides: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    DEFAULT_PARAMETERS
        .iter()
        .map(|(name, default)| {
            (
                (*name).to_owned(),
                overrides.get(*name).copied().unwrap_or(*default),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn every_default_parameter_has_a_range() {
        for (name, default) in DEFAULT_PARAMETERS {
            let (min, max, _) = parameter_range(name).unwrap_or_else(|| panic!("{name} has no range"));
            assert!((min..=max).contains(&default), "{name}");
        }
    }

    #[test]
    fn parameters_outside_their_range_or_fractional_days_are_refused() {
        for (name, value) in [
            ("stale_days", 0.0),
            ("stale_days", 30.5),
            ("mfa_coverage_threshold", 1.5),
            ("guest_stale_days", f64::NAN),
        ] {
            let err = parameters(&HashMap::from([(name.to_owned(), value)])).expect_err(name);
            assert!(err.to_string().contains(name), "{err}");
        }
        let ok = parameters(&HashMap::from([("stale_days".to_owned(), 30.0)])).expect("valid");
        assert_eq!(effective_parameters(&ok).get("stale_days"), Some(&30.0));
        assert_eq!(effective_parameters(&ok).get("guest_stale_days"), Some(&90.0));
    }

    #[test]
    fn offset_tokens_round_trip_and_reject_keyset_tokens() {
        assert_eq!(offset_token(&next_offset(Some(3))).expect("valid"), 3);
        assert_eq!(offset_token("").expect("first page"), 0);
        assert_eq!(next_offset(None), "");
        let keyset = posture_kit::paging::Keyset::new("findings", "").token_after(["4", "x"]);
        assert!(offset_token(&keyset).is_err());
        assert!(offset_token("garbage!").is_err());
    }
}
