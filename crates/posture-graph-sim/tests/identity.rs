//! The token endpoint, OIDC discovery and token shape, over HTTP.

mod common;

use base64::Engine;
use common::*;
use posture_graph_sim::TenantSpec;
use serde_json::Value;

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("b64"),
    )
    .expect("json")
}

async fn error_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("error json"))
}

#[tokio::test]
async fn token_for_unknown_tenant_is_aadsts90002() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let id = info.client_id.to_string();
    let resp = token_response(
        &sim,
        "11111111-2222-3333-4444-555555555555",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", info.client_secret.expose()),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    let (status, body) = error_of(resp).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["error_codes"][0], 90002);
    let desc = body["error_description"].as_str().unwrap_or_default();
    assert!(desc.starts_with("AADSTS90002:"), "{desc}");
    assert!(
        desc.contains("\r\nTrace ID: ")
            && desc.contains("\r\nCorrelation ID: ")
            && desc.contains("\r\nTimestamp: "),
        "{desc}"
    );
    for field in ["timestamp", "trace_id", "correlation_id", "error_uri"] {
        assert!(body[field].is_string(), "{field} present");
    }
}

#[tokio::test]
async fn token_errors_carry_microsofts_codes_and_statuses() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let tid = info.tenant_id.to_string();
    let id = info.client_id.to_string();
    let secret = info.client_secret.expose().to_string();
    let graph = "https://graph.microsoft.com/.default";
    type Case<'a> = (Vec<(&'a str, &'a str)>, u16, &'a str, u64);
    let cases: Vec<Case> = vec![
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
                ("scope", graph),
            ],
            401,
            "invalid_client",
            7000215,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", "00000000-1111-2222-3333-444444444444"),
                ("client_secret", &secret),
                ("scope", graph),
            ],
            400,
            "unauthorized_client",
            700016,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                (
                    "scope",
                    "https://graph.microsoft.com/.default https://manage.office.com/.default",
                ),
            ],
            400,
            "invalid_scope",
            700022,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "https://graph.microsoft.com/User.Read"),
            ],
            400,
            "invalid_scope",
            70011,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
            ],
            400,
            "invalid_request",
            900144,
        ),
        (
            vec![("client_id", &id), ("client_secret", &secret), ("scope", graph)],
            400,
            "invalid_request",
            900144,
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("scope", graph),
            ],
            401,
            "invalid_client",
            7000218,
        ),
    ];
    for (form, status, error, code) in cases {
        let (s, body) = error_of(token_response(&sim, &tid, &form).await).await;
        assert_eq!(
            (
                s,
                body["error"].as_str().unwrap_or(""),
                body["error_codes"][0].as_u64().unwrap_or(0)
            ),
            (status, error, code),
            "{form:?}"
        );
    }
}

#[tokio::test]
async fn expired_secret_is_aadsts7000222() {
    let (sim, info) = sim_with(TenantSpec {
        secret_expires_in_days: 10,
        ..TenantSpec::default()
    })
    .await;
    sim.advance_clock(std::time::Duration::from_secs(11 * 86_400));
    let id = info.client_id.to_string();
    let (status, body) = error_of(
        token_response(
            &sim,
            &info.tenant_id.to_string(),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", info.client_secret.expose()),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error_codes"][0], 7000222);
}

#[tokio::test]
async fn token_roles_hold_exactly_the_granted_permissions_per_resource() {
    let spec = TenantSpec {
        permissions: Some(vec!["User.Read.All".into(), "Machine.Read.All".into()]),
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let graph = claims(&graph_token(&sim, &info).await);
    assert_eq!(graph["roles"], serde_json::json!(["User.Read.All"]));
    assert_eq!(graph["aud"], "https://graph.microsoft.com");
    assert_eq!(graph["tid"], info.tenant_id.to_string());
    let mde = claims(&token_for(&sim, &info, "https://api.securitycenter.microsoft.com/.default").await);
    assert_eq!(mde["roles"], serde_json::json!(["Machine.Read.All"]));
    // Nothing granted for the Management API: the token is issued without a roles claim.
    let manage = claims(&token_for(&sim, &info, "https://manage.office.com/.default").await);
    assert!(manage.get("roles").is_none(), "{manage}");
}

#[tokio::test]
async fn token_lifetime_varies_like_microsofts_and_tolerates_extra_fields() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let id = info.client_id.to_string();
    let mut lifetimes = std::collections::BTreeSet::new();
    for _ in 0..8 {
        let resp = token_response(
            &sim,
            &info.default_domain,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", info.client_secret.expose()),
                ("scope", "https://graph.microsoft.com/.default"),
                ("client_info", "1"),
                ("x-client-SKU", "MSAL.Python"),
                ("x-client-ver", "1.31.0"),
            ],
        )
        .await;
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.expect("json");
        let n = v["expires_in"].as_i64().expect("expires_in");
        assert!((3599..=5399).contains(&n), "{n}");
        assert_eq!(v["ext_expires_in"], v["expires_in"]);
        assert_eq!(v["token_type"], "Bearer");
        lifetimes.insert(n);
    }
    assert!(lifetimes.len() > 1, "lifetimes vary: {lifetimes:?}");
}

#[tokio::test]
async fn http_basic_client_authentication_is_accepted() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let resp = client()
        .post(url(&sim, &format!("/login/{}/oauth2/v2.0/token", info.tenant_id)))
        .basic_auth(info.client_id.to_string(), Some(info.client_secret.expose()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
        ]))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn openid_configuration_points_at_a_jwks_that_verifies_tokens() {
    let (sim, info) = sim_with(TenantSpec::default()).await;
    let (status, conf) = get_json(
        &sim,
        "",
        &format!("/login/{}/v2.0/.well-known/openid-configuration", info.tenant_id),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        conf["issuer"],
        format!("https://login.microsoftonline.com/{}/v2.0", info.tenant_id)
    );
    let jwks_uri = conf["jwks_uri"].as_str().expect("jwks_uri");
    let jwks: Value = client()
        .get(jwks_uri)
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let token = graph_token(&sim, &info).await;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap_or(""))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "RS256");
    assert!(
        jwks["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .any(|k| k["kid"] == header["kid"])
    );
    let (status, inst) = get_json(&sim, "", "/login/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/common/oauth2/authorize").await;
    assert_eq!(status, 200);
    assert!(inst["tenant_discovery_endpoint"].is_string());
}
