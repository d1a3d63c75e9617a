//! The words of a connection that the role keeps: its cloud and endpoints, its health state, how it
//! authenticates, why a secret was read. Store records and the core use these; the API's enums
//! appear only at the edge, through the conversions here. Each value has a stable stored name,
//! independent of the proto enum numbers.

use posture_proto::v1 as pb;

/// Names one value per variant both ways: `name()` for storage, `from_name()` to read it back.
macro_rules! stored_names {
    ($type:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $type {
            pub const ALL: &'static [$type] = &[$($type::$variant),*];

            /// The stored name.
            pub fn name(self) -> &'static str {
                match self {
                    $($type::$variant => $name),*
                }
            }

            /// The value of a stored name; `None` for a name this version does not know.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some($type::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

/// The Microsoft cloud a tenant lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloud {
    Global,
    UsGovGcc,
    UsGovGccHigh,
    UsGovDod,
    China,
    /// Explicit endpoints (a simulator, a proxy).
    Custom,
}

stored_names!(Cloud {
    Global => "global",
    UsGovGcc => "us_gov_gcc",
    UsGovGccHigh => "us_gov_gcc_high",
    UsGovDod => "us_gov_dod",
    China => "china",
    Custom => "custom",
});

impl Cloud {
    /// The cloud of an API value; `None` for unspecified or unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::Cloud::try_from(value).ok()? {
            pb::Cloud::Unspecified => None,
            pb::Cloud::Global => Some(Cloud::Global),
            pb::Cloud::UsGovGcc => Some(Cloud::UsGovGcc),
            pb::Cloud::UsGovGccHigh => Some(Cloud::UsGovGccHigh),
            pb::Cloud::UsGovDod => Some(Cloud::UsGovDod),
            pb::Cloud::China => Some(Cloud::China),
            pb::Cloud::Custom => Some(Cloud::Custom),
        }
    }

    pub fn proto(self) -> pb::Cloud {
        match self {
            Cloud::Global => pb::Cloud::Global,
            Cloud::UsGovGcc => pb::Cloud::UsGovGcc,
            Cloud::UsGovGccHigh => pb::Cloud::UsGovGccHigh,
            Cloud::UsGovDod => pb::Cloud::UsGovDod,
            Cloud::China => pb::Cloud::China,
            Cloud::Custom => pb::Cloud::Custom,
        }
    }
}

/// The base URLs a connection talks to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub authority_url: String,
    pub graph_url: String,
    pub defender_url: String,
    pub management_activity_url: String,
    /// Exchange Online's admin API host; empty when the connection predates it.
    pub exchange_url: String,
}

impl From<&pb::CloudEndpoints> for Endpoints {
    fn from(endpoints: &pb::CloudEndpoints) -> Self {
        Self {
            authority_url: endpoints.authority_url.clone(),
            graph_url: endpoints.graph_url.clone(),
            defender_url: endpoints.defender_url.clone(),
            management_activity_url: endpoints.management_activity_url.clone(),
            exchange_url: endpoints.exchange_url.clone(),
        }
    }
}

impl From<Endpoints> for pb::CloudEndpoints {
    fn from(endpoints: Endpoints) -> Self {
        Self {
            authority_url: endpoints.authority_url,
            graph_url: endpoints.graph_url,
            defender_url: endpoints.defender_url,
            management_activity_url: endpoints.management_activity_url,
            exchange_url: endpoints.exchange_url,
        }
    }
}

/// The recorded health of a connection, the states operators know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    /// Saved but not tested yet (and after every change that needs a new test).
    Pending,
    Connected,
    AuthenticationError,
    PermissionError,
    ServiceError,
}

stored_names!(ConnectionState {
    Pending => "pending",
    Connected => "connected",
    AuthenticationError => "authentication_error",
    PermissionError => "permission_error",
    ServiceError => "service_error",
});

impl ConnectionState {
    /// The state of an API value; `None` for unspecified or unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::ConnectionState::try_from(value).ok()? {
            pb::ConnectionState::Unspecified => None,
            pb::ConnectionState::Pending => Some(ConnectionState::Pending),
            pb::ConnectionState::Connected => Some(ConnectionState::Connected),
            pb::ConnectionState::AuthenticationError => Some(ConnectionState::AuthenticationError),
            pb::ConnectionState::PermissionError => Some(ConnectionState::PermissionError),
            pb::ConnectionState::ServiceError => Some(ConnectionState::ServiceError),
        }
    }

    pub fn proto(self) -> pb::ConnectionState {
        match self {
            ConnectionState::Pending => pb::ConnectionState::Pending,
            ConnectionState::Connected => pb::ConnectionState::Connected,
            ConnectionState::AuthenticationError => pb::ConnectionState::AuthenticationError,
            ConnectionState::PermissionError => pb::ConnectionState::PermissionError,
            ConnectionState::ServiceError => pb::ConnectionState::ServiceError,
        }
    }
}

/// How a connection authenticates to Entra ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecret,
    Certificate,
}

stored_names!(AuthMethod {
    ClientSecret => "client_secret",
    Certificate => "certificate",
});

impl AuthMethod {
    pub fn proto(self) -> pb::AuthMethod {
        match self {
            AuthMethod::ClientSecret => pb::AuthMethod::ClientSecret,
            AuthMethod::Certificate => pb::AuthMethod::Certificate,
        }
    }
}

/// Why a secret was read from the vault, as the access log records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessPurpose {
    TokenRequest,
    ConnectionTest,
}

stored_names!(AccessPurpose {
    TokenRequest => "token_request",
    ConnectionTest => "connection_test",
});

impl AccessPurpose {
    /// The purpose of an API value; `None` for unspecified or unknown values.
    pub fn from_proto(value: i32) -> Option<Self> {
        match pb::CredentialAccessPurpose::try_from(value).ok()? {
            pb::CredentialAccessPurpose::Unspecified => None,
            pb::CredentialAccessPurpose::TokenRequest => Some(AccessPurpose::TokenRequest),
            pb::CredentialAccessPurpose::ConnectionTest => Some(AccessPurpose::ConnectionTest),
        }
    }

    pub fn proto(self) -> pb::CredentialAccessPurpose {
        match self {
            AccessPurpose::TokenRequest => pb::CredentialAccessPurpose::TokenRequest,
            AccessPurpose::ConnectionTest => pb::CredentialAccessPurpose::ConnectionTest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_round_trip_and_unknown_names_are_refused() {
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::from_name(cloud.name()), Some(*cloud));
            assert_eq!(Cloud::from_proto(cloud.proto() as i32), Some(*cloud));
        }
        for state in ConnectionState::ALL {
            assert_eq!(ConnectionState::from_name(state.name()), Some(*state));
            assert_eq!(ConnectionState::from_proto(state.proto() as i32), Some(*state));
        }
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::from_name(method.name()), Some(*method));
        }
        for purpose in AccessPurpose::ALL {
            assert_eq!(AccessPurpose::from_name(purpose.name()), Some(*purpose));
            assert_eq!(AccessPurpose::from_proto(purpose.proto() as i32), Some(*purpose));
        }
        assert_eq!(Cloud::from_name("mars"), None);
        assert_eq!(ConnectionState::from_name("unspecified"), None);
        assert_eq!(AuthMethod::from_name("unspecified"), None);
        assert_eq!(AccessPurpose::from_name("unspecified"), None);
    }

    #[test]
    fn unspecified_and_unknown_api_values_have_no_domain_value() {
        assert_eq!(Cloud::from_proto(0), None);
        assert_eq!(Cloud::from_proto(42), None);
        assert_eq!(ConnectionState::from_proto(0), None);
        assert_eq!(AccessPurpose::from_proto(0), None);
    }
}
