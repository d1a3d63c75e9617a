//! Fault injection per tenant and path pattern: 5xx errors, latency, dropped connections,
//! malformed or truncated JSON and forced 410 on delta. Deterministic for a given fault seed
//! and request order.

use std::time::Duration;

use crate::error::SimError;
use crate::ids;
use crate::spec::{FaultSpec, Latency};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultAction {
    Error(u16),
    Drop,
    Malformed,
    Truncate,
}

#[derive(Clone, Debug, Default)]
pub struct FaultDecision {
    pub latency: Option<Duration>,
    pub action: Option<FaultAction>,
    pub delta_gone: bool,
}

#[derive(Clone, Debug)]
pub struct FaultState {
    pub spec: FaultSpec,
    counter: u64,
}

/// `*` matches any run of characters; matching ignores the query string and case.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let t = text.to_ascii_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(at) = rest.find(part) {
            rest = &rest[at + part.len()..];
        } else {
            return false;
        }
    }
    true
}

impl FaultState {
    pub fn new(spec: FaultSpec) -> Self {
        FaultState { spec, counter: 0 }
    }

    pub fn set(&mut self, spec: FaultSpec) {
        self.spec = spec;
        self.counter = 0;
    }

    /// Decides the faults for one request to `path` (without query).
    pub fn decide(&mut self, method: &str, path: &str) -> FaultDecision {
        let mut d = FaultDecision::default();
        if self.spec.rules.is_empty() {
            return d;
        }
        self.counter += 1;
        let n = self.counter;
        let seed = self.spec.seed;
        for (r, rule) in self.spec.rules.iter().enumerate() {
            if !glob_match(&rule.path, path) {
                continue;
            }
            if rule
                .method
                .as_deref()
                .is_some_and(|m| !m.eq_ignore_ascii_case(method))
            {
                continue;
            }
            let roll = |what: &str| ids::unit(seed, &format!("{what}-{r}"), n);
            if let Some(lat) = &rule.latency {
                d.latency = Some(match lat {
                    Latency::Fixed { ms } => Duration::from_millis(*ms),
                    Latency::Uniform { min_ms, max_ms } => {
                        let span = max_ms.saturating_sub(*min_ms);
                        Duration::from_millis(min_ms + (roll("latency") * (span as f64 + 1.0)) as u64)
                    }
                });
            }
            if rule.delta_gone {
                d.delta_gone = true;
            }
            if d.action.is_none() {
                if roll("drop") < rule.drop_rate {
                    d.action = Some(FaultAction::Drop);
                } else if roll("error") < rule.error_rate && !rule.error_statuses.is_empty() {
                    let k = ids::pick(seed, &format!("status-{r}"), n, rule.error_statuses.len() as u64);
                    d.action = Some(FaultAction::Error(rule.error_statuses[k as usize]));
                } else if roll("malformed") < rule.malformed_rate {
                    d.action = Some(FaultAction::Malformed);
                } else if roll("truncate") < rule.truncate_rate {
                    d.action = Some(FaultAction::Truncate);
                }
            }
        }
        d
    }
}

/// Rejects rates outside 0..=1, non-error statuses and inverted latency ranges before a spec
/// reaches a tenant, so that `decide` never has to.
pub(crate) fn validate_faults(spec: &FaultSpec) -> Result<(), SimError> {
    for (i, r) in spec.rules.iter().enumerate() {
        for (name, rate) in [
            ("error_rate", r.error_rate),
            ("drop_rate", r.drop_rate),
            ("malformed_rate", r.malformed_rate),
            ("truncate_rate", r.truncate_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(SimError::Invalid(format!(
                    "rules[{i}].{name} must be between 0 and 1, got {rate}"
                )));
            }
        }
        if let Some(s) = r.error_statuses.iter().find(|s| !(400..=599).contains(*s)) {
            return Err(SimError::Invalid(format!(
                "rules[{i}].error_statuses holds {s}, which is not an HTTP error status"
            )));
        }
        if let Some(Latency::Uniform { min_ms, max_ms }) = &r.latency
            && min_ms > max_ms
        {
            return Err(SimError::Invalid(format!(
                "rules[{i}].latency: min_ms {min_ms} exceeds max_ms {max_ms}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_prefixes_and_infixes() {
        assert!(glob_match("*", "/v1.0/users"));
        assert!(glob_match("/v1.0/users*", "/v1.0/users/delta"));
        assert!(glob_match("*/members", "/v1.0/groups/abc/members"));
        assert!(!glob_match("/v1.0/groups*", "/v1.0/users"));
        assert!(glob_match("/api/machines", "/API/Machines"));
    }
}
