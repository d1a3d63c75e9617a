//! Who may call what on a role's internal server, decided by the caller's verified certificate.
//!
//! Default deny: a call whose path no rule covers is refused, so a service added later is closed
//! until a rule names its callers. The public services are mounted on internal servers for the
//! gateway, which authenticates API keys and authorizes per tenant before it forwards; a role
//! that reads another's public service for its own work (sync reading a connection, assessment
//! reading the inventory, the connection's credential expiry and who changed a drifted object in
//! the audit log) is named for exactly the methods it uses.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{PeerIdentity, TlsConnectInfo};
use crate::ServiceRole;
use crate::grpc::PRINCIPAL_METADATA;

/// Callers allowed on the paths starting with `prefix` (`/package.Service/Method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub prefix: &'static str,
    pub callers: &'static [ServiceRole],
}

const ANY_ROLE: &[ServiceRole] = &ServiceRole::ALL;
use ServiceRole::{Assessment, Credentials, Gateway, Scheduler, Sync, Tokens};

/// The rules of Posture's internal servers; the most specific matching prefix decides.
const POSTURE_RULES: &[Rule] = &[
    // Decrypted secrets: only the token broker, which turns them into access tokens.
    Rule {
        prefix: "/posture.internal.v1.VaultService/",
        callers: &[Tokens],
    },
    // The evidence signing key: only the assessment role, which builds and signs evidence bundles
    // (the public keys reach everyone else through its EvidenceService).
    Rule {
        prefix: "/posture.internal.v1.SigningService/",
        callers: &[Assessment],
    },
    // Webhook signing secrets: only the scheduler, which sends the notifications.
    Rule {
        prefix: "/posture.internal.v1.WebhookSecretService/",
        callers: &[Scheduler],
    },
    // Access tokens: only the sync workers that call Microsoft with them.
    Rule {
        prefix: "/posture.internal.v1.TokenBrokerService/GetToken",
        callers: &[Sync],
    },
    // Connection tests and token invalidation: the credentials role, on behalf of the API.
    Rule {
        prefix: "/posture.internal.v1.TokenBrokerService/",
        callers: &[Credentials],
    },
    // Public services: the gateway, after it has authenticated and authorized the API key...
    Rule {
        prefix: "/posture.v1.",
        callers: &[Gateway],
    },
    // ...and the reads other roles' work needs.
    Rule {
        prefix: "/posture.v1.TenantConnectionService/GetConnection",
        callers: &[Gateway, Sync, Assessment],
    },
    // The scheduler's notifications watch credential expiry across the fleet.
    Rule {
        prefix: "/posture.v1.TenantConnectionService/ListConnections",
        callers: &[Gateway, Scheduler],
    },
    Rule {
        prefix: "/posture.v1.SyncService/ListSyncRuns",
        callers: &[Gateway, Assessment],
    },
    Rule {
        prefix: "/posture.v1.SyncService/GetSyncRun",
        callers: &[Gateway, Assessment],
    },
    Rule {
        prefix: "/posture.v1.InventoryService/",
        callers: &[Gateway, Assessment],
    },
    Rule {
        prefix: "/posture.v1.AuditService/",
        callers: &[Gateway, Assessment],
    },
    // Health and reflection: any role (operators' probes use the HTTP health port).
    Rule {
        prefix: "/grpc.health.v1.Health/",
        callers: ANY_ROLE,
    },
    Rule {
        prefix: "/grpc.reflection.",
        callers: ANY_ROLE,
    },
];

/// A set of [`Rule`]s.
#[derive(Debug, Clone)]
pub struct InternalPolicy {
    rules: Vec<Rule>,
}

impl InternalPolicy {
    /// Posture's rules (see the table in the README's security section).
    pub fn posture() -> Self {
        Self::new(POSTURE_RULES.to_vec())
    }

    pub fn new(rules: Vec<Rule>) -> Self {
        Self { rules }
    }

    /// The rule deciding `path`: the longest matching prefix.
    pub fn rule(&self, path: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .filter(|rule| path.starts_with(rule.prefix))
            .max_by_key(|rule| rule.prefix.len())
    }

    /// Whether `peer` may call `path`; the refusal says why without echoing more than the path.
    pub fn check(&self, path: &str, peer: Option<&PeerIdentity>) -> Result<(), tonic::Status> {
        let Some(peer) = peer else {
            return Err(tonic::Status::unauthenticated(
                "internal calls need a role certificate issued by Posture's internal CA",
            ));
        };
        let shown: String = path.chars().take(160).collect();
        let Some(rule) = self.rule(path) else {
            return Err(tonic::Status::permission_denied(format!(
                "no role may call {shown} on an internal server"
            )));
        };
        if rule.callers.iter().any(|role| peer.holds(*role)) {
            Ok(())
        } else {
            Err(tonic::Status::permission_denied(format!(
                "the {peer} role may not call {shown} (allowed: {})",
                ServiceRole::list(rule.callers)
            )))
        }
    }
}

/// Tower layer enforcing an [`InternalPolicy`]; a no-op without one (plaintext test servers).
/// For callers that are not the gateway it also replaces the forwarded-principal metadata with
/// the verified role, so no role can make its calls look like an API key's.
#[derive(Debug, Clone, Default)]
pub struct InternalAuthzLayer {
    policy: Option<Arc<InternalPolicy>>,
}

impl InternalAuthzLayer {
    pub fn new(policy: Option<InternalPolicy>) -> Self {
        Self {
            policy: policy.map(Arc::new),
        }
    }
}

impl<S> tower::Layer<S> for InternalAuthzLayer {
    type Service = InternalAuthz<S>;

    fn layer(&self, inner: S) -> Self::Service {
        InternalAuthz {
            inner,
            policy: self.policy.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InternalAuthz<S> {
    inner: S,
    policy: Option<Arc<InternalPolicy>>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for InternalAuthz<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let Some(policy) = self.policy.clone() else {
            return Box::pin(self.inner.call(request));
        };
        let info = request.extensions().get::<TlsConnectInfo>().cloned();
        let peer = info.as_ref().and_then(|info| info.peer.clone());
        if let Err(status) = policy.check(request.uri().path(), peer.as_deref()) {
            tracing::warn!(
                path = %request.uri().path().chars().take(160).collect::<String>(),
                caller = %peer.as_deref().map_or_else(|| "unidentified".to_owned(), PeerIdentity::name),
                remote = ?info.and_then(|info| info.remote_addr),
                code = ?status.code(),
                "internal call refused"
            );
            return Box::pin(std::future::ready(Ok(status.into_http())));
        }
        if let Some(peer) = peer.filter(|peer| !peer.holds(ServiceRole::Gateway)) {
            // Role names are plain ASCII, always a valid header value.
            if let Ok(value) = http::HeaderValue::from_str(&format!("role:{peer}")) {
                request.headers_mut().insert(PRINCIPAL_METADATA, value);
            }
        }
        Box::pin(self.inner.call(request))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(roles: &[ServiceRole]) -> PeerIdentity {
        PeerIdentity::new(roles.to_vec())
    }

    #[test]
    fn only_the_token_broker_reads_secrets() {
        let policy = InternalPolicy::posture();
        let path = "/posture.internal.v1.VaultService/GetConnectionSecret";
        assert!(policy.check(path, Some(&peer(&[Tokens]))).is_ok());
        for role in [Credentials, Sync, Scheduler, Assessment, Gateway] {
            let status = policy.check(path, Some(&peer(&[role]))).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role}");
        }
        let status = policy.check(path, None).expect_err("refused");
        assert_eq!(status.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn only_the_assessment_role_signs_evidence() {
        let policy = InternalPolicy::posture();
        for path in [
            "/posture.internal.v1.SigningService/Sign",
            "/posture.internal.v1.SigningService/GetActiveSigningKey",
            "/posture.internal.v1.SigningService/ListSigningKeys",
        ] {
            assert!(policy.check(path, Some(&peer(&[Assessment]))).is_ok(), "{path}");
            for role in [Credentials, Sync, ServiceRole::Scheduler, Tokens, Gateway] {
                let status = policy.check(path, Some(&peer(&[role]))).expect_err("refused");
                assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role} {path}");
            }
            let status = policy.check(path, None).expect_err("refused");
            assert_eq!(status.code(), tonic::Code::Unauthenticated);
        }
    }

    #[test]
    fn only_the_scheduler_uses_webhook_secrets() {
        let policy = InternalPolicy::posture();
        for method in ["PutWebhookSecret", "GetWebhookSecret", "DeleteWebhookSecret"] {
            let path = format!("/posture.internal.v1.WebhookSecretService/{method}");
            assert!(policy.check(&path, Some(&peer(&[Scheduler]))).is_ok());
            for role in [Credentials, Tokens, Sync, Assessment, Gateway] {
                let status = policy.check(&path, Some(&peer(&[role]))).expect_err("refused");
                assert_eq!(status.code(), tonic::Code::PermissionDenied, "{role}");
            }
        }
    }

    #[test]
    fn the_scheduler_lists_connections_for_expiry_but_changes_none() {
        let policy = InternalPolicy::posture();
        let scheduler = peer(&[Scheduler]);
        assert!(
            policy
                .check(
                    "/posture.v1.TenantConnectionService/ListConnections",
                    Some(&scheduler)
                )
                .is_ok()
        );
        for method in [
            "GetConnection",
            "DeleteConnection",
            "UpdateCredentials",
            "TestConnection",
        ] {
            let path = format!("/posture.v1.TenantConnectionService/{method}");
            assert!(policy.check(&path, Some(&scheduler)).is_err(), "{method}");
        }
    }

    #[test]
    fn the_most_specific_rule_decides() {
        let policy = InternalPolicy::posture();
        let get_token = "/posture.internal.v1.TokenBrokerService/GetToken";
        assert!(policy.check(get_token, Some(&peer(&[Sync]))).is_ok());
        assert!(policy.check(get_token, Some(&peer(&[Credentials]))).is_err());
        let test = "/posture.internal.v1.TokenBrokerService/TestConnection";
        assert!(policy.check(test, Some(&peer(&[Credentials]))).is_ok());
        assert!(policy.check(test, Some(&peer(&[Sync]))).is_err());
        let get = "/posture.v1.TenantConnectionService/GetConnection";
        assert!(policy.check(get, Some(&peer(&[Sync]))).is_ok());
        let update = "/posture.v1.TenantConnectionService/UpdateCredentials";
        assert!(policy.check(update, Some(&peer(&[Sync]))).is_err());
        assert!(policy.check(update, Some(&peer(&[Gateway]))).is_ok());
    }

    #[test]
    fn a_path_no_rule_covers_is_refused_to_everyone() {
        let policy = InternalPolicy::posture();
        let status = policy
            .check("/posture.internal.v2.Whatever/Do", Some(&peer(&ServiceRole::ALL)))
            .expect_err("refused");
        assert_eq!(status.code(), tonic::Code::PermissionDenied);
    }
}
