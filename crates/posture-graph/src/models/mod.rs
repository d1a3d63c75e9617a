//! Typed views of the objects Posture reads. They ignore unknown fields and keep unknown enum
//! members (`Other(String)`), because Microsoft adds both without notice; the raw JSON travels
//! alongside in `paging::Record` for storage.

mod admin;
mod devices;
mod directory;
mod policy;
mod roles;
mod security;

pub use admin::*;
pub use devices::*;
pub use directory::*;
pub use policy::*;
pub use roles::*;
pub use security::*;

/// An enum that accepts members it does not know (kept in `Other`), matching case-insensitively
/// because some services send PascalCase where the docs show camelCase.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($text) { return $name::$variant; })*
                $name::Other(s.to_owned())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}
pub(crate) use open_enum;

/// Graph sometimes sends `null` for an empty collection; read it as empty.
pub(crate) fn nullable_vec<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(<Option<Vec<T>> as serde::Deserialize>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_members_and_fields_are_kept_or_ignored() -> Result<(), serde_json::Error> {
        let p: ConditionalAccessPolicy = serde_json::from_str(
            r#"{"id":"p","displayName":"x","state":"somethingNew","brandNewField":[1,2],
                "grantControls":{"operator":"OR","builtInControls":["mfa","riskRemediation"]}}"#,
        )?;
        assert_eq!(p.state, Some(PolicyState::Other("somethingNew".into())));
        let grant = p.grant_controls.unwrap_or_default();
        assert_eq!(
            grant.built_in_controls,
            vec![
                BuiltInControl::Mfa,
                BuiltInControl::Other("riskRemediation".into())
            ]
        );
        Ok(())
    }

    #[test]
    fn enum_members_match_regardless_of_case() -> Result<(), serde_json::Error> {
        let a: SecurityAlert = serde_json::from_str(r#"{"id":"a","severity":"High","status":"inProgress"}"#)?;
        assert_eq!(a.severity, Some(AlertSeverity::High));
        assert_eq!(serde_json::to_string(&AlertStatus::InProgress)?, "\"inProgress\"");
        Ok(())
    }

    #[test]
    fn users_read_sign_in_activity_and_nulls() -> Result<(), serde_json::Error> {
        let u: User = serde_json::from_str(
            r#"{"id":"u","userType":"Guest","accountEnabled":true,"signInActivity":{"lastSignInDateTime":"2026-01-01T00:00:00Z","lastNonInteractiveSignInDateTime":null}}"#,
        )?;
        assert_eq!(u.user_type, Some(UserType::Guest));
        let s = u.sign_in_activity.unwrap_or_default();
        assert!(s.last_sign_in_date_time.is_some() && s.last_non_interactive_sign_in_date_time.is_none());
        Ok(())
    }
}
