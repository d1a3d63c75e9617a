//! Validation of DriftService requests: ids, states, configuration kinds and per-tenant
//! overrides. Each problem names the field to fix.

use std::collections::BTreeSet;

use posture_kit::ServiceError;
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;

use super::validate;
use crate::drift::Override;
use crate::service::store::DriftState;

/// Most tenants one ApplyBaseline names, and most overrides it carries.
pub const MAX_TARGETS: usize = 1000;
/// Most JSON pointers one override ignores.
const MAX_IGNORED_PATHS: usize = 100;

pub fn baseline_id(value: &str) -> Result<String, ServiceError> {
    validate::id("baseline_id", value)
}

pub fn state(value: i32, field: &str) -> Result<DriftState, ServiceError> {
    DriftState::from_code(value)
        .ok_or_else(|| ServiceError::invalid(field, format!("{value} is not NEW, ACCEPTED or DENIED")))
}

/// Entity kinds of a request: each a configuration kind, deduplicated; empty means all.
pub fn kinds(requested: &[String], configuration: &[String]) -> Result<Vec<String>, ServiceError> {
    if requested.is_empty() {
        return Ok(configuration.to_vec());
    }
    let mut out = BTreeSet::new();
    for kind in requested {
        if !configuration.contains(kind) {
            let shown: String = kind.chars().take(64).collect();
            return Err(ServiceError::invalid(
                "entity_kinds",
                format!(
                    "`{shown}` is not a configuration kind; configuration kinds: {}",
                    configuration.join(", ")
                ),
            ));
        }
        out.insert(kind.clone());
    }
    Ok(out.into_iter().collect())
}

/// A JSON pointer (RFC 6901): empty or starting with `/`, printable, at most 512 characters.
fn pointer(value: &str) -> Result<String, ServiceError> {
    let field = "overrides.ignored_paths";
    posture_kit::error::require_max_len(field, value, 512)?;
    if !value.starts_with('/') || value.chars().any(char::is_control) {
        return Err(ServiceError::invalid(
            field,
            "each must be a JSON pointer such as `/state` or `/conditions/users`",
        ));
    }
    Ok(value.to_owned())
}

pub fn overrides(
    given: &[pb::BaselineOverride],
    targets: &[TenantId],
    kinds: &[String],
) -> Result<Vec<(TenantId, Override)>, ServiceError> {
    if given.len() > MAX_TARGETS {
        return Err(ServiceError::invalid(
            "overrides",
            format!("must be at most {MAX_TARGETS}"),
        ));
    }
    given
        .iter()
        .map(|o| {
            let tenant = validate::tenant(&o.tenant_id)
                .map_err(|_| ServiceError::invalid("overrides.tenant_id", "must be a tenant id (GUID)"))?;
            if !targets.contains(&tenant) {
                return Err(ServiceError::invalid(
                    "overrides.tenant_id",
                    format!("{tenant} is not one of tenant_ids"),
                ));
            }
            if !kinds.contains(&o.entity_kind) {
                let shown: String = o.entity_kind.chars().take(64).collect();
                return Err(ServiceError::invalid(
                    "overrides.entity_kind",
                    format!("`{shown}` is not a kind of the baseline ({})", kinds.join(", ")),
                ));
            }
            posture_kit::error::require_max_len("overrides.display_name", &o.display_name, 256)?;
            if o.ignored_paths.len() > MAX_IGNORED_PATHS {
                return Err(ServiceError::invalid(
                    "overrides.ignored_paths",
                    format!("must be at most {MAX_IGNORED_PATHS} per override"),
                ));
            }
            let ignored_paths = o
                .ignored_paths
                .iter()
                .map(|p| pointer(p))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((
                tenant,
                Override {
                    entity_kind: o.entity_kind.clone(),
                    display_name: o.display_name.trim().to_owned(),
                    ignored_paths,
                },
            ))
        })
        .collect()
}
