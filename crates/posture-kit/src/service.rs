//! The roles one `posture` process can play. A process runs any subset of them; standalone runs all.
//! Names are kebab-case so they read the same in flags, env vars, config files and Kubernetes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One service role of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceRole {
    Credentials,
    Tokens,
    Sync,
    Scheduler,
    Assessment,
    Gateway,
}

impl ServiceRole {
    /// Every role, in start-up order: dependencies (credentials, tokens) before their users.
    pub const ALL: [ServiceRole; 6] = [
        ServiceRole::Credentials,
        ServiceRole::Tokens,
        ServiceRole::Sync,
        ServiceRole::Scheduler,
        ServiceRole::Assessment,
        ServiceRole::Gateway,
    ];

    pub fn all() -> Vec<ServiceRole> {
        Self::ALL.to_vec()
    }

    /// Role names joined with `, ` for messages and docs, e.g. `ServiceRole::list(&ServiceRole::ALL)`,
    /// so a message naming the roles cannot fall behind the enum.
    pub fn list(roles: &[ServiceRole]) -> String {
        roles
            .iter()
            .map(|role| role.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceRole::Credentials => "credentials",
            ServiceRole::Tokens => "tokens",
            ServiceRole::Sync => "sync",
            ServiceRole::Scheduler => "scheduler",
            ServiceRole::Assessment => "assessment",
            ServiceRole::Gateway => "gateway",
        }
    }

    /// Parses a comma-separated list such as `credentials, tokens`. Duplicates are removed, order
    /// is kept; an empty list is an error because a process with no role does nothing.
    pub fn parse_list(list: &str) -> Result<Vec<ServiceRole>, UnknownServiceRole> {
        let mut roles = Vec::new();
        for name in list.split(',').map(str::trim).filter(|name| !name.is_empty()) {
            let role: ServiceRole = name.parse()?;
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            return Err(UnknownServiceRole {
                name: list.trim().to_owned(),
            });
        }
        Ok(roles)
    }
}

impl fmt::Display for ServiceRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`ServiceRole::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown service role `{name}` (expected one of: {})", ServiceRole::list(&ServiceRole::ALL))]
pub struct UnknownServiceRole {
    pub name: String,
}

impl FromStr for ServiceRole {
    type Err = UnknownServiceRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.trim();
        ServiceRole::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownServiceRole {
                name: truncate(name, 64),
            })
    }
}

fn truncate(value: &str, max: usize) -> String {
    value.chars().take(max).collect()
}

impl Serialize for ServiceRole {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ServiceRole {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Deserializes a role list given either as a sequence (`["sync", "tokens"]` in TOML) or as one
/// comma-separated string (`POSTURE__SERVICES=sync,tokens`, `--service sync,tokens`).
pub fn deserialize_role_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ServiceRole>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    let joined = match ListOrCsv::deserialize(deserializer)? {
        ListOrCsv::List(names) => names.join(","),
        ListOrCsv::Csv(csv) => csv,
    };
    ServiceRole::parse_list(&joined).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_through_display_and_from_str() {
        for role in ServiceRole::all() {
            assert_eq!(role.to_string().parse::<ServiceRole>(), Ok(role));
        }
        assert_eq!(ServiceRole::all().len(), 6);
    }

    #[test]
    fn comma_list_parses_trims_and_deduplicates() {
        let roles = ServiceRole::parse_list(" credentials,tokens , credentials,").expect("valid list");
        assert_eq!(roles, vec![ServiceRole::Credentials, ServiceRole::Tokens]);
    }

    #[test]
    fn unknown_role_is_named_in_the_error() {
        let err = ServiceRole::parse_list("sync,tokenz")
            .expect_err("typo must fail")
            .to_string();
        assert!(err.contains("`tokenz`"), "{err}");
        assert!(err.contains("credentials, tokens"), "{err}");
    }

    #[test]
    fn role_list_joins_names_in_the_given_order() {
        assert_eq!(
            ServiceRole::list(&[ServiceRole::Sync, ServiceRole::Tokens]),
            "sync, tokens"
        );
        assert_eq!(ServiceRole::list(&[]), "");
        let all = ServiceRole::list(&ServiceRole::ALL);
        assert!(
            all.starts_with("credentials, tokens, ") && all.ends_with(", gateway"),
            "{all}"
        );
    }

    #[test]
    fn empty_role_list_is_rejected() {
        assert!(ServiceRole::parse_list(" , ").is_err());
    }
}
