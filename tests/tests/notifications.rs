//! Notifications end to end, in both deployment modes: a webhook subscribed with `posture notify
//! add` for a tenant's connection health; the tenant's admin withdraws consent on the simulator;
//! the next connection test sends exactly one notification, which a real HTTP receiver here
//! verifies per the Standard Webhooks specification (HMAC-SHA256 over "{id}.{timestamp}.{body}"
//! with the key from the `whsec_` secret, computed independently of Posture's own code). Then
//! `notify test`, `notify deliveries`, `notify list` and `notify remove` through the CLI, and the
//! secret in no log line and no stored row. A credential expiring within a subscription's window
//! is announced once.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, ensure};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use posture_graph_sim::{Mutation, TenantSpec};
use posture_proto::v1::{ConnectionState, TestConnectionRequest};
use posture_tests::scenario::World;
use posture_tests::{Mode, both_modes};
use serde_json::Value;
use sha2::Sha256;

/// Permissions the admin withdraws consent for.
const WITHDRAWN: [&str; 2] = ["Policy.Read.All", "AuditLog.Read.All"];

/// One request the receiver took.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

async fn take(State(inbox): State<Inbox>, headers: HeaderMap, body: String) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    if let Ok(mut inbox) = inbox.lock() {
        inbox.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body,
        });
    }
    StatusCode::NO_CONTENT
}

/// A webhook receiver on a loopback port; returns its address and what it received.
async fn receiver() -> anyhow::Result<(SocketAddr, Inbox)> {
    let inbox: Inbox = Arc::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(take))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((addr, inbox))
}

/// The receiver's check, written from the specification: the key is the base64 after `whsec_`,
/// the signed content `{id}.{timestamp}.{body}`, and one `v1,` entry must match.
fn verify(secret: &str, message: &Received) -> anyhow::Result<()> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").context("whsec_ prefix")?)?;
    let timestamp: i64 = message.timestamp.parse().context("numeric webhook-timestamp")?;
    let now = chrono::Utc::now().timestamp();
    ensure!(
        (now - timestamp).abs() <= 300,
        "timestamp {timestamp} is not recent"
    );
    ensure!(message.id.starts_with("msg_"), "webhook-id {}", message.id);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key)?;
    mac.update(format!("{}.{}.{}", message.id, message.timestamp, message.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    ensure!(
        message.signature.split(' ').any(|s| s == expected),
        "signature {} does not verify",
        message.signature
    );
    Ok(())
}

fn json_of(output: &std::process::Output) -> anyhow::Result<Value> {
    ensure!(
        output.status.success(),
        "CLI failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).context("CLI output is JSON")
}

async fn wait_for(inbox: &Inbox, what: &str, wanted: impl Fn(&Received) -> bool) -> anyhow::Result<Received> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(found) = inbox
            .lock()
            .ok()
            .and_then(|i| i.iter().find(|m| wanted(m)).cloned())
        {
            return Ok(found);
        }
        ensure!(tokio::time::Instant::now() < deadline, "no {what} within 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn is_health_change_to(message: &Received, state: &str) -> bool {
    serde_json::from_str::<Value>(&message.body)
        .is_ok_and(|b| b["type"] == "connection.health_changed" && b["data"]["state"] == state)
}

async fn withdrawn_consent_sends_one_signed_webhook(mode: Mode) -> anyhow::Result<()> {
    let mut world = World::start(mode).await?;
    // The app's secret expires in ten days (of the deployment's clock; the simulator's runs
    // from its own epoch).
    let days_to_today = (chrono::Utc::now() - world.sim.now()).num_days();
    let tenant = world
        .tenant(TenantSpec {
            secret_expires_in_days: days_to_today + 10,
            ..TenantSpec::default()
        })
        .await?;
    let (addr, inbox) = receiver().await?;
    let url = format!("http://{addr}/hook");

    // Subscribe the tenant's connection health, from the CLI as an operator would.
    let added = json_of(&world.deployment.cli(&[
        "notify",
        "add",
        &url,
        "--name",
        "e2e receiver",
        "--tenant",
        &tenant,
        "--events",
        "connection-health",
        "-o",
        "json",
    ])?)?;
    let secret = added["secret"]
        .as_str()
        .context("the secret is shown on add")?
        .to_owned();
    let subscription = added["subscription_id"]
        .as_str()
        .context("subscription id")?
        .to_owned();
    ensure!(secret.starts_with("whsec_"), "secret format");
    ensure!(added["tenant_id"] == tenant.as_str(), "{added}");

    // A second subscription hears of credentials expiring within 30 days: this one, once.
    let expiry = json_of(&world.deployment.cli(&[
        "notify",
        "add",
        &url,
        "--name",
        "expiry",
        "--events",
        "secret-expiring",
        "--credential-expiry-days",
        "30",
        "-o",
        "json",
    ])?)?;
    let expiry_secret = expiry["secret"]
        .as_str()
        .context("the secret is shown on add")?
        .to_owned();
    let expiry_subscription = expiry["subscription_id"]
        .as_str()
        .context("subscription id")?
        .to_owned();
    let expiring = wait_for(&inbox, "secret expiring notification", |m| {
        m.body.contains("\"type\":\"secret.expiring\"")
    })
    .await?;
    verify(&expiry_secret, &expiring).with_context(|| format!("{mode:?}: {expiring:?}"))?;
    let body: Value = serde_json::from_str(&expiring.body)?;
    ensure!(body["tenant_id"] == tenant.as_str(), "{body}");
    ensure!(
        body["data"]["days_left"]
            .as_i64()
            .is_some_and(|d| (9..=10).contains(&d)),
        "{body}"
    );

    // The tenant's admin withdraws consent for two permissions; the next test finds it.
    let granted: Vec<String> = posture_graph_sim::permissions::GRAPH_NEEDED
        .iter()
        .chain(posture_graph_sim::permissions::MDE_NEEDED)
        .chain(posture_graph_sim::permissions::MANAGE_NEEDED)
        .chain(posture_graph_sim::permissions::EXCHANGE_NEEDED)
        .filter(|p| !WITHDRAWN.contains(p))
        .map(|p| (*p).to_owned())
        .collect();
    world.sim.mutate(
        &tenant,
        Mutation::SetAppPermissions {
            permissions: Some(granted),
        },
    )?;
    let health = world
        .clients
        .connections
        .test_connection(TestConnectionRequest {
            tenant_id: tenant.clone(),
        })
        .await?
        .into_inner()
        .health
        .unwrap_or_default();
    ensure!(
        health.state == ConnectionState::PermissionError as i32,
        "{mode:?}: after withdrawal {health:?}"
    );

    let message = wait_for(&inbox, "Permission Error notification", |m| {
        is_health_change_to(m, "CONNECTION_STATE_PERMISSION_ERROR")
    })
    .await?;
    verify(&secret, &message).with_context(|| format!("{mode:?}: {message:?}"))?;
    let body: Value = serde_json::from_str(&message.body)?;
    ensure!(body["tenant_id"] == tenant.as_str(), "{body}");
    let missing = body["data"]["missing_permissions"].to_string();
    for permission in WITHDRAWN {
        ensure!(missing.contains(permission), "{permission} named in {missing}");
    }
    // Exactly one: nothing else about the withdrawal arrives meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let withdrawals = inbox
        .lock()
        .map(|i| {
            i.iter()
                .filter(|m| is_health_change_to(m, "CONNECTION_STATE_PERMISSION_ERROR"))
                .count()
        })
        .unwrap_or_default();
    ensure!(
        withdrawals == 1,
        "{mode:?}: {withdrawals} notifications of the withdrawal"
    );
    // The expiry watch has looked again meanwhile (every two seconds) and said nothing new.
    let expiries = inbox
        .lock()
        .map(|i| {
            i.iter()
                .filter(|m| m.body.contains("\"type\":\"secret.expiring\""))
                .count()
        })
        .unwrap_or_default();
    ensure!(
        expiries == 1,
        "{mode:?}: {expiries} notifications of one expiring credential"
    );

    // The delivery log has it as delivered, under the id the receiver saw.
    let deliveries =
        json_of(
            &world
                .deployment
                .cli(&["notify", "deliveries", &subscription, "-o", "json"])?,
        )?;
    let delivered = deliveries
        .as_array()
        .context("a list")?
        .iter()
        .find(|d| d["delivery_id"] == message.id.as_str())
        .with_context(|| format!("{message:?} in {deliveries}"))?;
    ensure!(
        delivered["state"] == "delivered" && delivered["attempts"] == 1,
        "{delivered}"
    );

    // A test goes out at once, signed with the same secret.
    let tested = json_of(
        &world
            .deployment
            .cli(&["notify", "test", &subscription, "-o", "json"])?,
    )?;
    ensure!(tested["state"] == "delivered", "{tested}");
    let test = wait_for(&inbox, "test notification", |m| {
        m.body.contains("\"type\":\"test\"")
    })
    .await?;
    verify(&secret, &test)?;

    // The secret is in no log line and no stored row (the vault keeps it sealed).
    ensure!(
        !world.deployment.logs().contains(&secret),
        "{mode:?}: the secret in the logs"
    );
    ensure!(
        !world.deployment.store_contains(&secret).await?,
        "{mode:?}: the secret stored in the clear"
    );

    let listed = json_of(&world.deployment.cli(&["notify", "list", "-o", "json"])?)?;
    ensure!(listed.as_array().is_some_and(|l| l.len() == 2), "{listed}");
    for id in [&subscription, &expiry_subscription] {
        json_of(&world.deployment.cli(&["notify", "remove", id, "-o", "json"])?)?;
    }
    let listed = json_of(&world.deployment.cli(&["notify", "list", "-o", "json"])?)?;
    ensure!(listed.as_array().is_some_and(Vec::is_empty), "{listed}");
    Ok(())
}

both_modes!(withdrawn_consent, withdrawn_consent_sends_one_signed_webhook);

/// Controls failing (and not accepted) at or above high severity.
fn failing_high(
    findings: &std::collections::BTreeMap<String, posture_proto::v1::Finding>,
) -> std::collections::BTreeSet<String> {
    use posture_proto::v1::{ControlResult, Severity};
    findings
        .values()
        .filter(|f| f.result() == ControlResult::Fail && !f.accepted && f.severity() >= Severity::High)
        .map(|f| f.control_id.clone())
        .collect()
}

/// A subscription to `control-failing` hears nothing of a tenant's first assessment (onboarding
/// is not a regression), then, once an administrator disables every Conditional Access policy,
/// one signed notification naming exactly the high and critical controls that started failing.
async fn controls_that_start_failing_send_one_webhook(mode: Mode) -> anyhow::Result<()> {
    use posture_tests::scenario::{findings_of_run, stored_objects, sync_and_wait};
    let mut world = World::start(mode).await?;
    let tenant = world.tenant(TenantSpec::default()).await?;
    let (addr, inbox) = receiver().await?;
    let added = json_of(&world.deployment.cli(&[
        "notify",
        "add",
        &format!("http://{addr}/hook"),
        "--name",
        "regressions",
        "--tenant",
        &tenant,
        "--events",
        "control-failing",
        "--min-severity",
        "high",
        "-o",
        "json",
    ])?)?;
    let secret = added["secret"]
        .as_str()
        .context("the secret is shown once")?
        .to_owned();
    ensure!(added["min_severity"] == "high", "{added:#}");

    let first = sync_and_wait(&mut world.clients, &tenant).await?;
    let before = findings_of_run(&mut world.clients, &tenant, &first.run_id).await?;
    for (id, policy) in stored_objects(&mut world.clients, &tenant, "conditional_access_policies").await? {
        if policy.content["state"] == "enabled" {
            world
                .sim
                .mutate(&tenant, Mutation::DisableCaPolicy { policy_id: id })?;
        }
    }
    let second = sync_and_wait(&mut world.clients, &tenant).await?;
    let after = findings_of_run(&mut world.clients, &tenant, &second.run_id).await?;
    let expected: std::collections::BTreeSet<String> = failing_high(&after)
        .difference(&failing_high(&before))
        .cloned()
        .collect();
    ensure!(
        !expected.is_empty(),
        "disabling every policy breaks a high control"
    );

    let is_failing =
        |m: &Received| serde_json::from_str::<Value>(&m.body).is_ok_and(|b| b["type"] == "control.failing");
    let message = wait_for(&inbox, "control.failing", is_failing).await?;
    verify(&secret, &message)?;
    let body: Value = serde_json::from_str(&message.body)?;
    let named: std::collections::BTreeSet<String> = body["data"]["controls"]
        .as_array()
        .context("controls")?
        .iter()
        .filter_map(|c| c["control_id"].as_str().map(str::to_owned))
        .collect();
    ensure!(named == expected, "named {named:?}, expected {expected:?}");
    ensure!(
        body["data"]["controls"].as_array().is_some_and(|cs| cs
            .iter()
            .all(|c| c["severity"] == "high" || c["severity"] == "critical")),
        "{body:#}"
    );
    // Only the second assessment sent one.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let sent = inbox
        .lock()
        .map(|i| i.iter().filter(|m| is_failing(m)).count())
        .unwrap_or(0);
    ensure!(sent == 1, "{sent} control.failing notifications");
    Ok(())
}

both_modes!(control_failing, controls_that_start_failing_send_one_webhook);
