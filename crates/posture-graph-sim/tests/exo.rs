//! Exchange Online's admin API over HTTP: InvokeCommand pages, cmdlet shapes per profile, and
//! the refusals (no Exchange.ManageAsApp, no Exchange role, unknown cmdlet, throttled).

mod common;

use common::*;
use posture_graph_sim::{Mutation, Profile, Simulator, TenantInfo, TenantSpec, ThrottleMode};
use serde_json::{Value, json};

const EXO: &str = "https://outlook.office365.com/.default";

fn anchor(info: &TenantInfo) -> String {
    format!(
        "APP:SystemMailbox{{bb558c35-97f1-4cb9-8ff7-d53741dc928c}}@{}",
        info.tenant_id
    )
}

async fn invoke_at(
    target: &str,
    token: &str,
    info: &TenantInfo,
    cmdlet: &str,
    page: Option<usize>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = client()
        .post(target)
        .bearer_auth(token)
        .header("X-AnchorMailbox", anchor(info))
        .header("X-ResponseFormat", "json")
        .json(&json!({ "CmdletInput": { "CmdletName": cmdlet, "Parameters": {} } }));
    if let Some(n) = page {
        req = req.header("Prefer", format!("odata.maxpagesize={n}"));
    }
    let resp = req.send().await.expect("InvokeCommand");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, resp.json().await.unwrap_or(Value::Null), headers)
}

fn invoke_url(sim: &Simulator, info: &TenantInfo) -> String {
    url(
        sim,
        &format!("/exo/adminapi/beta/{}/InvokeCommand", info.tenant_id),
    )
}

#[tokio::test]
async fn shared_mailboxes_page_through_next_links_with_the_same_body() {
    let (sim, info) = sim_with(unthrottled(300)).await;
    let token = token_for(&sim, &info, EXO).await;
    let mut next = invoke_url(&sim, &info);
    let mut all = Vec::new();
    let mut pages = 0;
    loop {
        let (status, v, _) = invoke_at(&next, &token, &info, "Get-Mailbox", Some(5)).await;
        assert_eq!(status, 200, "{v}");
        pages += 1;
        all.extend(v["value"].as_array().cloned().unwrap_or_default());
        match v["@odata.nextLink"].as_str() {
            Some(n) => next = n.to_owned(),
            None => break,
        }
    }
    let truth = sim
        .ground_truth(&info.tenant_id.to_string(), "exo/Get-Mailbox")
        .expect("truth");
    assert_eq!(all, truth.objects);
    assert_eq!(pages, truth.count.div_ceil(5));
    assert!(all.iter().all(|m| m["RecipientTypeDetails"] == "SharedMailbox"));
}

#[tokio::test]
async fn profiles_differ_in_the_settings_the_baselines_read() {
    let mut seen = Vec::new();
    for profile in Profile::ALL {
        let spec = TenantSpec {
            profile,
            ..unthrottled(40)
        };
        let (sim, info) = sim_with(spec).await;
        let token = token_for(&sim, &info, EXO).await;
        let target = invoke_url(&sim, &info);
        let (_, outbound, _) =
            invoke_at(&target, &token, &info, "Get-HostedOutboundSpamFilterPolicy", None).await;
        let (_, transport, _) = invoke_at(&target, &token, &info, "Get-TransportConfig", None).await;
        let (_, org, _) = invoke_at(&target, &token, &info, "get-organizationconfig", None).await;
        seen.push((
            profile,
            outbound["value"][0]["AutoForwardingMode"].clone(),
            transport["value"][0]["SmtpClientAuthenticationDisabled"].clone(),
            org["value"][0]["AuditDisabled"].clone(),
        ));
    }
    assert_eq!(
        seen,
        vec![
            (Profile::Hardened, json!("Off"), json!(true), json!(false)),
            (Profile::Typical, json!("Automatic"), json!(true), json!(false)),
            (Profile::Neglected, json!("On"), json!(false), json!(true)),
        ]
    );
}

#[tokio::test]
async fn a_token_without_manage_as_app_and_an_app_without_a_role_are_refused_differently() {
    let spec = TenantSpec {
        permissions: Some(vec!["User.Read.All".into()]),
        ..unthrottled(30)
    };
    let (sim, info) = sim_with(spec).await;
    let token = token_for(&sim, &info, EXO).await;
    let (status, v, _) = invoke_at(&invoke_url(&sim, &info), &token, &info, "Get-TransportRule", None).await;
    assert_eq!(status, 401);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Exchange.ManageAsApp")),
        "{v}"
    );

    let (sim, info) = sim_with(unthrottled(30)).await;
    let tid = info.tenant_id.to_string();
    sim.mutate(&tid, Mutation::SetExchangeRole { assigned: false })
        .expect("remove role");
    let token = token_for(&sim, &info, EXO).await;
    let (status, v, _) = invoke_at(&invoke_url(&sim, &info), &token, &info, "Get-TransportRule", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        v["error"]["message"],
        "User is not allowed to call Get-TransportRule"
    );
    sim.mutate(&tid, Mutation::SetExchangeRole { assigned: true })
        .expect("restore role");
    let (status, _, _) = invoke_at(&invoke_url(&sim, &info), &token, &info, "Get-TransportRule", None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn unknown_cmdlets_missing_anchors_and_graph_tokens_are_refused() {
    let (sim, info) = sim_with(unthrottled(30)).await;
    let token = token_for(&sim, &info, EXO).await;
    let target = invoke_url(&sim, &info);
    let (status, v, _) = invoke_at(&target, &token, &info, "Set-TransportConfig", None).await;
    assert_eq!(status, 400);
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is not recognized")),
        "{v}"
    );

    let resp = client()
        .post(&target)
        .bearer_auth(&token)
        .json(&json!({ "CmdletInput": { "CmdletName": "Get-TransportConfig" } }))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 400, "no X-AnchorMailbox");

    let graph = graph_token(&sim, &info).await;
    let (status, _, _) = invoke_at(&target, &graph, &info, "Get-TransportConfig", None).await;
    assert_eq!(status, 401, "a Graph token is not for Exchange");
}

#[tokio::test]
async fn throttled_calls_say_when_to_retry() {
    let spec = TenantSpec {
        throttling: ThrottleMode::Scaled { factor: 0.01 },
        ..TenantSpec::default()
    };
    let (sim, info) = sim_with(spec).await;
    let token = token_for(&sim, &info, EXO).await;
    let target = invoke_url(&sim, &info);
    let mut throttled = None;
    for _ in 0..10 {
        let (status, v, headers) = invoke_at(&target, &token, &info, "Get-AcceptedDomain", None).await;
        if status == 429 {
            throttled = Some((v, headers));
            break;
        }
        assert_eq!(status, 200);
    }
    let (v, headers) = throttled.expect("a 429 within 10 calls at 1% of the allowance");
    assert_eq!(v["error"]["code"], "TooManyRequests");
    assert!(headers.get("retry-after").is_some());
}
