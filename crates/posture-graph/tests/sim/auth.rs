//! Token acquisition: secrets, certificates, every token error classified, custom clouds.

use chrono::Utc;
use posture_graph::{
    AccessToken, CertificateCredential, ClientCredential, Endpoints, EntityKind, GraphError, HealthClass,
    Resource, TokenAcquirer, entity_pages, models,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use secrecy::{ExposeSecret, SecretString};

use crate::common::{collect, fast_retry, rig};

fn aadsts(err: &GraphError) -> Option<u32> {
    match err {
        GraphError::Authentication { aadsts, .. } => *aadsts,
        _ => None,
    }
}

#[tokio::test]
async fn secret_credentials_yield_tokens_with_roles_and_real_expiry() {
    let r = rig(Default::default()).await;
    let before = Utc::now();
    let token = r.acquirer().acquire(Resource::Graph).await.expect("graph token");
    assert!(token.has_role("User.Read.All"), "roles: {:?}", token.roles());
    assert_eq!(token.tenant_id(), Some(r.tenant_id().as_str()));
    let lifetime = (token.expires_at() - before).num_seconds();
    assert!(
        (3590..=5400).contains(&lifetime),
        "lifetime {lifetime}s must come from expires_in"
    );
    assert!(!format!("{token:?}").contains(token.secret().expose_secret()));

    let mde = r
        .acquirer()
        .acquire(Resource::DefenderForEndpoint)
        .await
        .expect("defender token");
    assert!(mde.has_role("Machine.Read.All"));
    let manage = r
        .acquirer()
        .acquire(Resource::ManagementActivity)
        .await
        .expect("management token");
    assert!(manage.has_role("ActivityFeed.Read"));
}

#[tokio::test]
async fn wrong_secret_is_aadsts_7000215_and_never_echoed() {
    let r = rig(Default::default()).await;
    let wrong = "definitely-not-the-secret-value";
    let acq = TokenAcquirer::new(
        r.http.clone(),
        r.connection(ClientCredential::Secret(SecretString::from(wrong))),
    );
    let err = acq
        .acquire(Resource::Graph)
        .await
        .expect_err("bad secret is refused");
    assert_eq!(aadsts(&err), Some(7000215), "{err}");
    assert_eq!(err.health(), Some(HealthClass::AuthenticationError));
    assert!(!err.to_string().contains(wrong) && !format!("{err:?}").contains(wrong));
}

#[tokio::test]
async fn expired_secret_is_aadsts_7000222() {
    let r = rig(Default::default()).await;
    r.sim.advance_clock(std::time::Duration::from_secs(400 * 86_400));
    let err = r
        .acquirer()
        .acquire(Resource::Graph)
        .await
        .expect_err("expired secret is refused");
    assert_eq!(aadsts(&err), Some(7000222), "{err}");
    assert!(err.to_string().contains("expired"));
}

#[tokio::test]
async fn unknown_tenant_is_aadsts_90002() {
    let r = rig(Default::default()).await;
    let mut conn = r.connection(ClientCredential::Secret(r.secret()));
    conn.tenant_id = uuid::Uuid::new_v4().to_string();
    let err = TokenAcquirer::new(r.http.clone(), conn)
        .acquire(Resource::Graph)
        .await
        .expect_err("unknown tenant");
    assert_eq!(aadsts(&err), Some(90002), "{err}");
}

#[tokio::test]
async fn app_not_installed_in_tenant_is_aadsts_700016() {
    let r = rig(Default::default()).await;
    let mut conn = r.connection(ClientCredential::Secret(r.secret()));
    conn.client_id = uuid::Uuid::new_v4().to_string();
    let err = TokenAcquirer::new(r.http.clone(), conn)
        .acquire(Resource::Graph)
        .await
        .expect_err("foreign app");
    assert_eq!(aadsts(&err), Some(700016), "{err}");
    assert!(err.to_string().contains("not installed"));
}

#[tokio::test]
async fn malformed_or_unknown_scopes_are_classified() {
    let r = rig(Default::default()).await;
    let mut conn = r.connection(ClientCredential::Secret(r.secret()));
    conn.endpoints.graph_scope = "https://graph.microsoft.com/User.Read.All".to_owned();
    let err = TokenAcquirer::new(r.http.clone(), conn.clone())
        .acquire(Resource::Graph)
        .await
        .expect_err("bad scope");
    assert!(
        matches!(&err, GraphError::Authentication { error, .. } if error == "invalid_scope"),
        "{err}"
    );

    conn.endpoints.graph_scope = "https://api.unknown.example/.default".to_owned();
    let err = TokenAcquirer::new(r.http.clone(), conn)
        .acquire(Resource::Graph)
        .await
        .expect_err("unknown resource");
    assert_eq!(aadsts(&err), Some(500011), "{err}");
}

fn certificate() -> (String, SecretString) {
    let key = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("rsa key");
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).expect("pkcs8 pem");
    let key_pair = rcgen::KeyPair::from_pkcs8_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256)
        .expect("rcgen accepts the rsa key");
    let params = rcgen::CertificateParams::new(vec!["posture-sync.test".to_owned()]).expect("params");
    let cert = params.self_signed(&key_pair).expect("self-signed certificate");
    (cert.pem(), SecretString::from(key_pem.to_string()))
}

#[tokio::test]
async fn certificate_assertion_is_accepted_only_once_registered() {
    let r = rig(Default::default()).await;
    let (cert_pem, key_pem) = certificate();
    let cred = CertificateCredential::from_pem(&cert_pem, &key_pem).expect("credential from PEM");
    let acq = TokenAcquirer::new(
        r.http.clone(),
        r.connection(ClientCredential::Certificate(cred.clone())),
    );

    let err = acq
        .acquire(Resource::Graph)
        .await
        .expect_err("unregistered certificate");
    assert_eq!(aadsts(&err), Some(700027), "{err}");

    let info = r
        .sim
        .register_certificate(&r.tenant_id(), &cert_pem)
        .expect("certificate registered");
    assert_eq!(info.x5t, cred.x5t());
    let token = acq.acquire(Resource::Graph).await.expect("assertion accepted");
    assert!(token.has_role("Policy.Read.All"));
    assert!(!format!("{cred:?}").contains("PRIVATE"));
}

#[tokio::test]
async fn custom_cloud_endpoints_and_sovereign_scopes_reach_the_tenant() {
    let r = rig(Default::default()).await;
    let base = r.sim.base_url();
    let endpoints = Endpoints {
        graph_scope: "https://graph.microsoft.us/.default".to_owned(),
        ..Endpoints::path_routed(&base).expect("endpoints")
    };
    let mut conn = r.connection(ClientCredential::Secret(r.secret()));
    conn.endpoints = endpoints.clone();
    let acq = TokenAcquirer::new(r.http.clone(), conn).with_retry(fast_retry());
    let client = posture_graph::GraphClient::new(
        r.http.clone(),
        std::sync::Arc::new(posture_graph::DirectTokenSource(acq)),
        endpoints,
        r.tenant_id(),
        r.client_id(),
    );
    let pages = collect(
        entity_pages::<models::Organization>(&client, &EntityKind::Organization.spec()).expect("stream"),
    )
    .await
    .expect("organization is readable");
    let org = &pages[0].records[0].value;
    assert_eq!(org.id, r.tenant_id());
}

#[tokio::test]
async fn a_token_refused_by_the_api_is_replaced_once() {
    let r = rig(Default::default()).await;
    let client = r.client();
    let spec = EntityKind::Organization.spec();
    collect(entity_pages::<models::Organization>(&client, &spec).expect("stream"))
        .await
        .expect("first read");
    // Two hours later the cached token has expired in the tenant's eyes.
    r.sim.advance_clock(std::time::Duration::from_secs(2 * 3_600));
    collect(entity_pages::<models::Organization>(&client, &spec).expect("stream"))
        .await
        .expect("read with a renewed token");
    // The refused call cannot be attributed to the tenant (its token is unusable), so the
    // tenant's log shows two good reads and a second token request in between.
    let statuses: Vec<u16> = r.api_log().iter().map(|l| l.status).collect();
    assert_eq!(statuses, vec![200, 200]);
    let token_requests = r
        .sim
        .request_log(&r.tenant_id())
        .iter()
        .filter(|l| l.api.starts_with("login"))
        .count();
    assert_eq!(token_requests, 2, "exactly one renewal");
}

#[tokio::test]
async fn a_token_refused_twice_is_an_authentication_error() {
    let r = rig(Default::default()).await;
    // A token minted now by a source that ignores invalidation keeps being refused.
    struct Stale(AccessToken);
    #[async_trait::async_trait]
    impl posture_graph::TokenSource for Stale {
        async fn token(&self, _resource: Resource) -> Result<AccessToken, GraphError> {
            Ok(self.0.clone())
        }
    }
    let old = r.acquirer().acquire(Resource::Graph).await.expect("token");
    r.sim.advance_clock(std::time::Duration::from_secs(2 * 3_600));
    let stale = posture_graph::GraphClient::new(
        r.http.clone(),
        std::sync::Arc::new(Stale(old)),
        r.endpoints.clone(),
        r.tenant_id(),
        r.client_id(),
    );
    let err = collect(
        entity_pages::<models::Organization>(&stale, &EntityKind::Organization.spec()).expect("stream"),
    )
    .await
    .expect_err("expired token");
    assert!(matches!(err, GraphError::Authentication { .. }), "{err}");
    assert_eq!(err.health(), Some(HealthClass::AuthenticationError));
}
