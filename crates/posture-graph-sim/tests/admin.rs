//! The admin API over HTTP, certificate credentials, determinism and profile expectations.

mod common;

use base64::Engine;
use common::*;
use posture_graph_sim::{Outcome, Profile, TenantSpec};
use serde_json::{Value, json};

async fn admin(
    sim: &posture_graph_sim::Simulator,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client().request(method, url(sim, path));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("admin");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn tenants_are_created_and_read_through_the_admin_api() {
    let s = sim().await;
    let (status, info) = admin(&s, reqwest::Method::POST, "/_sim/tenants", Some(json!({}))).await;
    assert_eq!(status, 200);
    assert_eq!(info["profile"], "typical");
    let tid = info["tenant_id"].as_str().expect("tenant_id").to_string();
    assert!(info["client_secret"].as_str().is_some_and(|s| s.len() == 40));
    let (status, list) = admin(&s, reqwest::Method::GET, "/_sim/tenants", None).await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (status, truth) = admin(
        &s,
        reqwest::Method::GET,
        &format!("/_sim/tenants/{tid}/truth?collection=users&objects=false"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(truth["count"], 50);
    let (status, body) = admin(
        &s,
        reqwest::Method::POST,
        "/_sim/tenants",
        Some(json!({ "profile": "paranoid" })),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"].as_str().unwrap_or("").contains("paranoid"),
        "{body}"
    );
    let (status, _) = admin(&s, reqwest::Method::GET, "/_sim/tenants/nope", None).await;
    assert_eq!(status, 404);
    let (status, body) = admin(
        &s,
        reqwest::Method::POST,
        &format!("/_sim/tenants/{tid}/mutations"),
        Some(json!({ "type": "delete_user", "user_id": "not-a-user" })),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn mutations_clock_and_request_log_through_the_admin_api() {
    let (s, info) = sim_with(unthrottled(30)).await;
    let tid = info.tenant_id.to_string();
    let (status, added) = admin(
        &s,
        reqwest::Method::POST,
        &format!("/_sim/tenants/{tid}/mutations"),
        Some(json!({ "type": "add_global_admin" })),
    )
    .await;
    assert_eq!(status, 200);
    let new_admin = added["userId"].as_str().expect("userId");
    let truth = s
        .ground_truth(&tid, "roleManagement/directory/roleAssignments")
        .expect("assignments");
    assert!(
        truth.objects.iter().any(|a| a["principalId"] == new_admin
            && a["roleDefinitionId"] == "62e90394-69f5-4237-9190-012177145e10")
    );
    let token = graph_token(&s, &info).await;
    get(&s, &token, "/graph/v1.0/organization").await;
    let (_, log) = admin(
        &s,
        reqwest::Method::GET,
        &format!("/_sim/tenants/{tid}/requests"),
        None,
    )
    .await;
    let log = log.as_array().expect("log");
    assert!(
        log.iter()
            .any(|r| r["path"] == "/v1.0/organization" && r["status"] == 200)
    );
    assert!(log.iter().any(|r| r["api"] == "login token"));
    let (_, counters) = admin(
        &s,
        reqwest::Method::GET,
        &format!("/_sim/tenants/{tid}/counters"),
        None,
    )
    .await;
    assert_eq!(counters["GET graph organization"]["200"], 1);
    let (status, clock) = admin(
        &s,
        reqwest::Method::POST,
        "/_sim/clock/advance",
        Some(json!({ "seconds": 3600 })),
    )
    .await;
    assert_eq!(status, 200);
    assert!(clock["now"].as_str().is_some());
    let (status, _) = admin(
        &s,
        reqwest::Method::POST,
        "/_sim/clock/advance",
        Some(json!({ "seconds": -5 })),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn same_seed_profile_and_size_give_byte_identical_pages() {
    let spec = TenantSpec {
        seed: 4242,
        users: 300,
        profile: Profile::Neglected,
        throttling: posture_graph_sim::ThrottleMode::Off,
        ..TenantSpec::default()
    };
    let mut bodies = Vec::new();
    for _ in 0..2 {
        let (s, info) = sim_with(spec.clone()).await;
        let token = graph_token(&s, &info).await;
        let mut page = Vec::new();
        for path in [
            "/graph/v1.0/users?$top=500&$select=id,displayName,userType,accountEnabled,signInActivity,createdDateTime",
            "/graph/v1.0/identity/conditionalAccess/policies",
            "/graph/v1.0/groups",
        ] {
            let r = get(&s, &token, path).await;
            assert_eq!(r.status(), 200, "{path}");
            // Links name the port the simulator listens on; everything else must match.
            let text = r
                .text()
                .await
                .expect("body")
                .replace(s.base_url().as_str(), "BASE/");
            page.push(text);
        }
        bodies.push(page);
    }
    assert!(
        bodies[0] == bodies[1],
        "responses differ between two simulators with the same inputs"
    );
}

#[tokio::test]
async fn signed_client_assertion_with_registered_certificate_gets_a_token() {
    let (s, info) = sim_with(TenantSpec::default()).await;
    let tid = info.tenant_id.to_string();
    let mut rng = rand::thread_rng();
    let key = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("key");
    use rsa::pkcs8::EncodePrivateKey;
    let pem = key.to_pkcs8_pem(rsa::pkcs8::LineEnding::LF).expect("pem");
    let key_pair = rcgen::KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).expect("rcgen key");
    let cert = rcgen::CertificateParams::new(vec!["posture-client".to_string()])
        .expect("params")
        .self_signed(&key_pair)
        .expect("cert");
    let registered = s.register_certificate(&tid, &cert.pem()).expect("register");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let make_assertion = |x5t: &str| {
        let now = chrono::Utc::now().timestamp();
        let header = json!({ "alg": "RS256", "typ": "JWT", "x5t": x5t });
        let claims = json!({ "aud": format!("https://login.microsoftonline.com/{tid}/oauth2/v2.0/token"), "iss": info.client_id.to_string(), "sub": info.client_id.to_string(), "jti": uuid::Uuid::new_v4().to_string(), "nbf": now, "iat": now, "exp": now + 600 });
        let input = format!(
            "{}.{}",
            b64.encode(header.to_string()),
            b64.encode(claims.to_string())
        );
        use rsa::signature::{SignatureEncoding, Signer};
        let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key.clone());
        format!("{input}.{}", b64.encode(signer.sign(input.as_bytes()).to_bytes()))
    };
    let id = info.client_id.to_string();
    let good = make_assertion(&registered.x5t);
    let r = token_response(
        &s,
        &tid,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &good),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let bad = make_assertion("AAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let r = token_response(
        &s,
        &tid,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &bad),
        ],
    )
    .await;
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error_codes"][0], 700027);
}

#[tokio::test]
async fn profiles_publish_expected_outcomes_with_evidence_ids() {
    let s = sim().await;
    let (status, profiles) = admin(&s, reqwest::Method::GET, "/_sim/profiles", None).await;
    assert_eq!(status, 200);
    assert_eq!(profiles.as_array().map(Vec::len), Some(3));
    for profile in Profile::ALL {
        let info = s
            .create_tenant(TenantSpec {
                profile,
                seed: 77,
                ..TenantSpec::default()
            })
            .expect("tenant");
        let tid = info.tenant_id.to_string();
        let exp = s.expectations(&tid).expect("expectations");
        let fails = exp.iter().filter(|e| e.outcome == Outcome::Fail).count();
        match profile {
            Profile::Hardened => assert_eq!(fails, 0, "hardened passes everything it covers"),
            Profile::Typical => assert!(fails >= 8 && fails < exp.len() - 5, "typical is a mix: {fails}"),
            Profile::Neglected => assert!(
                fails >= exp.len() - 6,
                "neglected fails nearly everything: {fails}"
            ),
        }
        // Evidence ids are real objects of the tenant.
        let mut known: Vec<String> = Vec::new();
        for c in [
            "users",
            "identity/conditionalAccess/policies",
            "groups",
            "roleManagement/directory/roleAssignmentScheduleInstances",
            "roleManagement/directory/roleAssignmentSchedules",
            "roleManagement/directory/roleDefinitions",
            "policies/roleManagementPolicies",
            "identityGovernance/accessReviews/definitions",
            "settings",
            "domains",
            "identity/conditionalAccess/namedLocations",
            "policies/activityBasedTimeoutPolicies",
            "directory/onPremisesSynchronization",
            "applications",
            "servicePrincipals",
            "policies/defaultAppManagementPolicy",
            "deviceManagement/managedDevices",
            "security/alerts_v2",
            "security/secureScores",
            "mde/machines",
        ] {
            known.extend(
                s.ground_truth(&tid, c)
                    .expect(c)
                    .objects
                    .iter()
                    .filter_map(|o| o["id"].as_str().map(str::to_string)),
            );
        }
        // Exchange Online objects are named by their `Guid`.
        for cmdlet in posture_graph_sim::tenant::exchange::CMDLETS {
            if let Ok(truth) = s.ground_truth(&tid, &format!("exo/{cmdlet}")) {
                known.extend(
                    truth
                        .objects
                        .iter()
                        .filter_map(|o| o["Guid"].as_str().map(str::to_string)),
                );
            }
        }
        known.extend(
            [
                "authorizationPolicy",
                "authenticationMethodsPolicy",
                "Sms",
                "Voice",
                "Email",
                "admin/sharepoint/settings",
                "MicrosoftAuthenticator",
                "deviceRegistrationPolicy",
            ]
            .map(String::from),
        );
        for e in &exp {
            for id in &e.evidence {
                assert!(
                    known.contains(id),
                    "{profile:?} {}: evidence {id} is an object of the tenant",
                    e.control
                );
            }
        }
        let legacy = exp.iter().find(|e| e.control == "MS.AAD.1.1v1").expect("1.1");
        if profile == Profile::Typical {
            let policies = s
                .ground_truth(&tid, "identity/conditionalAccess/policies")
                .expect("ca");
            let cited = policies
                .objects
                .iter()
                .find(|p| p["id"] == legacy.evidence[0].as_str())
                .expect("cited policy");
            assert_eq!(cited["state"], "enabledForReportingButNotEnforced");
        }
    }
}

#[tokio::test]
async fn shipped_example_config_starts_a_simulator() {
    let text = include_str!("../examples/sim.toml");
    let file = posture_graph_sim::SimFile::parse(text).expect("example config parses");
    assert_eq!(file.tenants.len(), 3);
    let config = posture_graph_sim::SimConfig {
        epoch: file.epoch_or(posture_graph_sim::default_epoch()).expect("epoch"),
        tenants: file.tenants.clone(),
        ..posture_graph_sim::SimConfig::default()
    };
    let s = posture_graph_sim::Simulator::start(config).await.expect("starts");
    let tenants = s.tenants();
    assert_eq!(tenants.len(), 3);
    assert_eq!(
        tenants[2].granted_permissions["mde"],
        vec!["Machine.Read.All".to_string()]
    );
    let (status, faults) = admin(
        &s,
        reqwest::Method::GET,
        &format!("/_sim/tenants/{}/faults", tenants[2].tenant_id),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(faults["rules"][0]["path"], "/v1.0/users*");
    assert!(posture_graph_sim::SimFile::parse("bind = 5\nunknown = true").is_err());
}
