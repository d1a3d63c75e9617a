//! `posture demo`: everything in one process against the built-in simulator, so a new user sees
//! Posture work with one command and no tenant of their own. It starts the simulator with two demo
//! tenants, runs the roles standalone (SQLite, in-process bus), creates an admin API key, connects
//! both tenants through the public gateway exactly as an operator would, tests them, syncs them
//! and prints their health and what was synced: one tenant complete, one missing admin consent
//! for two permissions, whose entities that need them fail with that reason while the rest sync.
//! Every completed sync is assessed by the assessment role; the demo waits for each assessment,
//! prints the main tenant's control results and writes an HTML report per tenant.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use posture_graph_sim::{Profile, SimConfig, Simulator, TenantInfo, TenantSpec, ThrottleMode};
use posture_kit::PostureConfig;
use posture_kit::config::{KeyRef, LogFormat};
use posture_kit::db::Db;
use posture_kit::shutdown::Shutdown;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    Assessment, AssessmentState, ClientSecretCredential, Cloud, CloudEndpoints, ConnectionHealth,
    ControlResult, CreateConnectionRequest, Credential, Finding, GetSyncRunRequest, ListAssessmentsRequest,
    ListFindingsRequest, StartSyncRequest, SyncRun, TestConnectionRequest, credential,
};
use secrecy::ExposeSecret;
use tonic::metadata::MetadataValue;
use tonic::transport::Endpoint;

use crate::client::output::Table;
use crate::client::{assess, health, progress};
use crate::server;

/// Permissions the second demo tenant's administrator "forgot" to consent to.
const WITHHELD_PERMISSIONS: [&str; 2] = ["Policy.Read.All", "AuditLog.Read.All"];

/// How long the demo waits for one tenant's sync.
const SYNC_DEADLINE: Duration = Duration::from_secs(180);

/// How long the demo waits for the assessment that follows a completed sync.
const ASSESSMENT_DEADLINE: Duration = Duration::from_secs(120);

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Folder for the demo's database and vault key; emptied at start.
    #[arg(long, default_value = "posture-demo")]
    pub data_dir: PathBuf,
    /// Users in the main demo tenant.
    #[arg(long, default_value_t = 250)]
    pub users: u32,
    /// Keep serving after the summary (gateway address and API key are printed) until Ctrl-C.
    #[arg(long)]
    pub keep_running: bool,
}

struct DemoTenant {
    info: TenantInfo,
    note: &'static str,
}

/// What the demo learnt about one tenant, for the summary and the report.
struct Judged {
    name: String,
    assessment: Assessment,
    findings: Vec<Finding>,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<i32> {
    if args.data_dir.exists() {
        std::fs::remove_dir_all(&args.data_dir)
            .with_context(|| format!("cannot empty the demo folder {}", args.data_dir.display()))?;
    }
    let mut config = demo_config(&args.data_dir);
    let telemetry = posture_kit::telemetry::init(&config.telemetry).context("cannot start telemetry")?;

    println!("Starting the Microsoft cloud simulator...");
    // Generated sign-ins and expiries are relative to the sim's epoch: today's hour, so the
    // tenants look current to an assessment judging them against the wall clock.
    let sim = Simulator::start(SimConfig {
        epoch: posture_graph_sim::hour_floor(chrono::Utc::now()),
        clock_runs: true,
        ..SimConfig::default()
    })
    .await
    .context("cannot start the simulator")?;
    // The tenants' domains exist only in the simulator's DNS server.
    config.sync.dns_server = Some(sim.dns_addr());
    let tenants = demo_tenants(&sim, args.users)?;

    println!(
        "Starting Posture standalone (SQLite in {}, in-process bus)...",
        args.data_dir.display()
    );
    server::prepare_standalone(&mut config)?;
    let shutdown = Shutdown::new();
    shutdown.listen_for_signals();
    let running = server::start(&config, &shutdown, false).await?;
    let gateway = running.gateway_addr.context("the gateway did not start")?;

    let db = Db::connect(&config.database, "gateway")
        .await
        .context("cannot open the gateway database")?;
    let issued = posture_gateway::bootstrap_admin_key(&db, false)
        .await
        .context("cannot create the admin API key")?;
    let key = issued.key.expose_secret().to_owned();
    let mut client = gateway_client(gateway, &key).await?;

    let mut table = Table::new(vec!["TENANT", "USERS", "HEALTH", "SYNC", "ASSESSMENT"]);
    let mut notes = Vec::new();
    let mut sync = SyncServiceClient::new(client_channel(gateway, &key).await?);
    let mut assessments = AssessmentServiceClient::new(client_channel(gateway, &key).await?);
    let mut connected = 0;
    let mut judged = Vec::new();
    for tenant in &tenants {
        println!("Connecting {} through the gateway...", tenant.info.display_name);
        let health = connect_and_test(&mut client, &sim, &tenant.info).await?;
        if health.state == posture_proto::v1::ConnectionState::Connected as i32 {
            connected += 1;
        }
        println!("Syncing {}...", tenant.info.display_name);
        let tenant_id = tenant.info.tenant_id.to_string();
        let run = sync_and_wait(&mut sync, &tenant_id).await?;
        println!("Assessing {}...", tenant.info.display_name);
        let assessment = assessment_of_run(&mut assessments, &tenant_id, &run.run_id).await?;
        let findings = assess::all_findings(
            &mut assessments,
            ListFindingsRequest {
                tenant_id: tenant_id.clone(),
                assessment_id: assessment.assessment_id.clone(),
                ..Default::default()
            },
        )
        .await?;
        table.row(vec![
            format!("{} ({})", tenant.info.display_name, tenant.note),
            tenant.info.users.to_string(),
            health::state_label(health.state).to_owned(),
            sync_summary(&run),
            assessment_summary(&assessment),
        ]);
        if health.state != posture_proto::v1::ConnectionState::Connected as i32 {
            notes.push(format!(
                "{}: {}",
                tenant.info.display_name,
                health::summary(Some(&health))
            ));
        }
        judged.push(Judged {
            name: tenant.info.display_name.clone(),
            assessment,
            findings,
        });
    }
    println!();
    print!("{}", table.render());
    for note in &notes {
        for line in assess::wrap(note, 118) {
            println!("{line}");
        }
    }
    println!();
    println!(
        "{connected} of {n} demo tenants fully connected; all {n} synced and assessed.",
        n = tenants.len()
    );

    let controls = assess::all_controls(&mut assessments).await?;
    if let Some(main) = judged.first() {
        println!();
        println!("{}: control results", main.name);
        print!("{}", assess::assessment_text(&main.assessment));
        println!();
        print!("{}", assess::controls_table(&main.findings));
    }
    for other in judged.iter().skip(1) {
        let errors: Vec<&Finding> = other
            .findings
            .iter()
            .filter(|f| f.result == ControlResult::Error as i32)
            .collect();
        if !errors.is_empty() {
            println!();
            println!(
                "{}: {} control(s) could not be evaluated, and say why:",
                other.name,
                errors.len()
            );
            let mut table = Table::new(vec!["CONTROL", "REASON"]);
            let id_width = errors
                .iter()
                .map(|f| f.control_id.chars().count())
                .max()
                .unwrap_or(0);
            for f in errors {
                let room = 120usize.saturating_sub(id_width + 2).max(40);
                table.row(vec![f.control_id.clone(), progress::shorten(&f.reason, room)]);
            }
            print!("{}", table.render());
        }
    }
    println!();
    for tenant in &judged {
        let path = args
            .data_dir
            .join(format!("report-{}.html", file_stem(&tenant.name)));
        let html = posture_assessment::render_html_from_api_named(
            &tenant.assessment,
            &tenant.findings,
            &controls,
            &tenant.name,
        );
        std::fs::write(&path, html).with_context(|| format!("cannot write {}", path.display()))?;
        println!("HTML report for {}: {}", tenant.name, path.display());
    }

    if args.keep_running {
        println!();
        println!("Posture is serving. Gateway: http://{gateway}");
        println!("Admin API key (shown once): {key}");
        println!("Try:  POSTURE_API_KEY=<key> posture tenants list --gateway http://{gateway}");
        println!(
            "      POSTURE_API_KEY=<key> posture inventory list <tenant-id> --kind users --gateway http://{gateway}"
        );
        println!(
            "      POSTURE_API_KEY=<key> posture assess findings <tenant-id> --status fail --gateway http://{gateway}"
        );
        println!("Press Ctrl-C to stop.");
        shutdown.token().cancelled().await;
    } else {
        shutdown.cancel();
    }
    running.wait().await?;
    shutdown.complete(Duration::from_secs(10), Some(telemetry)).await;
    sim.shutdown().await;
    Ok(0)
}

fn demo_config(data_dir: &std::path::Path) -> PostureConfig {
    let mut config = PostureConfig::default();
    config.database.url = format!("sqlite://{}/posture.db", data_dir.display()).into();
    config.vault.keys = vec![KeyRef {
        id: "demo-1".into(),
        env: None,
        file: Some(data_dir.join("vault-key-1")),
    }];
    config.vault.active_key = Some("demo-1".into());
    // Free ports, so the demo runs next to anything else on the machine.
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    config.grpc.listen = any;
    config.gateway.listen = any;
    config.health.listen = any;
    let internal = format!("http://{any}");
    config.endpoints.credentials.clone_from(&internal);
    config.endpoints.tokens.clone_from(&internal);
    config.endpoints.sync.clone_from(&internal);
    config.endpoints.scheduler.clone_from(&internal);
    config.endpoints.assessment.clone_from(&internal);
    config.services = server::AVAILABLE_ROLES.to_vec();
    // The summary is the output; logs only for real trouble (the demo's vault key is throwaway).
    config.telemetry.log_level = "error".into();
    config.telemetry.log_format = LogFormat::Pretty;
    config
}

fn demo_tenants(sim: &Simulator, users: u32) -> anyhow::Result<Vec<DemoTenant>> {
    let main = sim
        .create_tenant(TenantSpec {
            profile: Profile::Typical,
            seed: 7,
            users,
            display_name: Some("Contoso".into()),
            throttling: ThrottleMode::Realistic,
            ..TenantSpec::default()
        })
        .context("cannot create the demo tenant")?;
    let granted: Vec<String> = posture_graph_sim::permissions::GRAPH_NEEDED
        .iter()
        .chain(posture_graph_sim::permissions::MDE_NEEDED)
        .chain(posture_graph_sim::permissions::MANAGE_NEEDED)
        .chain(posture_graph_sim::permissions::EXCHANGE_NEEDED)
        .filter(|p| !WITHHELD_PERMISSIONS.contains(p))
        .map(|p| (*p).to_owned())
        .collect();
    let partial = sim
        .create_tenant(TenantSpec {
            profile: Profile::Neglected,
            seed: 8,
            users: 40,
            display_name: Some("Fabrikam".into()),
            permissions: Some(granted),
            ..TenantSpec::default()
        })
        .context("cannot create the second demo tenant")?;
    Ok(vec![
        DemoTenant {
            info: main,
            note: "typical, consented",
        },
        DemoTenant {
            info: partial,
            note: "consent missing",
        },
    ])
}

type Client = TenantConnectionServiceClient<Authed>;

type Authed =
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, crate::client::ApiKey>;

async fn client_channel(gateway: SocketAddr, key: &str) -> anyhow::Result<Authed> {
    let channel = Endpoint::from_shared(format!("http://{gateway}"))?
        .connect()
        .await
        .context("cannot reach the gateway")?;
    let header = MetadataValue::try_from(format!("Bearer {key}")).context("API key header")?;
    Ok(tonic::service::interceptor::InterceptedService::new(
        channel,
        crate::client::ApiKey::from_header(header),
    ))
}

async fn gateway_client(gateway: SocketAddr, key: &str) -> anyhow::Result<Client> {
    Ok(TenantConnectionServiceClient::new(
        client_channel(gateway, key).await?,
    ))
}

/// Starts a sync of every entity kind and waits for the run to finish (the demo tenants are small).
async fn sync_and_wait(client: &mut SyncServiceClient<Authed>, tenant_id: &str) -> anyhow::Result<SyncRun> {
    let run = client
        .start_sync(StartSyncRequest {
            tenant_id: tenant_id.to_owned(),
            entity_kinds: Vec::new(),
        })
        .await
        .map_err(|s| crate::client::status::explain("starting the demo sync", s))?
        .into_inner()
        .run
        .context("the server returned no run")?;
    let deadline = tokio::time::Instant::now() + SYNC_DEADLINE;
    loop {
        let current = client
            .get_sync_run(GetSyncRunRequest {
                tenant_id: tenant_id.to_owned(),
                run_id: run.run_id.clone(),
            })
            .await
            .map_err(|s| crate::client::status::explain("following the demo sync", s))?
            .into_inner()
            .run
            .context("the server returned no run")?;
        if progress::is_terminal(current.state) {
            return Ok(current);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!(
                "the demo sync of {tenant_id} did not finish within {} s",
                SYNC_DEADLINE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits for the assessment the assessment role starts when `run_id` completes.
async fn assessment_of_run(
    client: &mut AssessmentServiceClient<Authed>,
    tenant_id: &str,
    run_id: &str,
) -> anyhow::Result<Assessment> {
    let deadline = tokio::time::Instant::now() + ASSESSMENT_DEADLINE;
    loop {
        let page = client
            .list_assessments(ListAssessmentsRequest {
                tenant_id: tenant_id.to_owned(),
                page_size: 10,
                ..Default::default()
            })
            .await
            .map_err(|s| crate::client::status::explain("reading the demo assessment", s))?
            .into_inner();
        let done = page.assessments.into_iter().find(|a| {
            a.sync_run_id == run_id
                && (a.state == AssessmentState::Succeeded as i32 || a.state == AssessmentState::Failed as i32)
        });
        if let Some(assessment) = done {
            return Ok(assessment);
        }
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!(
                "no assessment of sync run {run_id} finished within {} s",
                ASSESSMENT_DEADLINE.as_secs()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// "cis-m365 61.5% · 14 pass, 9 fail, 4 error", or why the assessment failed.
/// The score of each framework and the controls that could not be judged, e.g.
/// `CIS 22% · SCuBA 21% · 0 error`.
fn assessment_summary(a: &Assessment) -> String {
    if a.state == AssessmentState::Failed as i32 {
        let reason = a.error.as_ref().map(progress::short_reason).unwrap_or_default();
        return format!("failed: {reason}");
    }
    let mut parts: Vec<String> = a
        .scores
        .iter()
        .filter_map(|s| {
            let name = crate::client::output::framework_short(&s.framework);
            matches!(name, "CIS" | "SCuBA").then(|| format!("{name} {:.0}%", s.score))
        })
        .collect();
    parts.push(format!("{} error", a.counts.unwrap_or_default().error));
    parts.join(" · ")
}

/// A file name from a tenant's display name: lowercase letters and digits, dashes between words.
fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    if stem.is_empty() {
        "tenant".into()
    } else {
        stem.to_owned()
    }
}

/// "succeeded: 647 objects in 11 kinds", or with failures how many kinds failed and why, first one.
/// `1224 objects, 41 kinds` when the run succeeded, or `partly: 10 of 41 kinds failed` (the health note
/// below the table says why).
fn sync_summary(run: &SyncRun) -> String {
    let objects: u64 = run
        .entities
        .iter()
        .filter_map(|e| e.counts.as_ref())
        .map(progress::objects)
        .sum();
    let failed = run.entities.iter().filter(|e| e.error.is_some()).count();
    if failed == 0 && run.state == posture_proto::v1::SyncRunState::Succeeded as i32 {
        return format!("{objects} objects, {} kinds", run.entities.len());
    }
    if failed == 0 {
        return format!("{}: {objects} objects", progress::run_state_label(run.state));
    }
    format!("partly: {failed} of {} kinds failed", run.entities.len())
}

async fn connect_and_test(
    client: &mut Client,
    sim: &Simulator,
    tenant: &TenantInfo,
) -> anyhow::Result<ConnectionHealth> {
    let base = sim.base_url();
    let join = |path: &str| {
        base.join(path)
            .map(|u| u.to_string().trim_end_matches('/').to_owned())
    };
    let expires = tenant.secret_expires_at;
    client
        .create_connection(CreateConnectionRequest {
            tenant_id: tenant.tenant_id.to_string(),
            display_name: tenant.display_name.clone(),
            client_id: tenant.client_id.to_string(),
            cloud: Cloud::Custom as i32,
            endpoints: Some(CloudEndpoints {
                authority_url: join("login")?,
                graph_url: join("graph")?,
                defender_url: join("mde")?,
                management_activity_url: join("manage")?,
                exchange_url: join("exo")?,
            }),
            credential: Some(Credential {
                kind: Some(credential::Kind::ClientSecret(ClientSecretCredential {
                    secret_value: tenant.client_secret.expose().to_owned(),
                    expires_at: Some(prost_types::Timestamp {
                        seconds: expires.timestamp(),
                        nanos: 0,
                    }),
                })),
            }),
            tags: Vec::new(),
        })
        .await
        .map_err(|s| crate::client::status::explain("connecting the demo tenant", s))?;
    let health = client
        .test_connection(TestConnectionRequest {
            tenant_id: tenant.tenant_id.to_string(),
        })
        .await
        .map_err(|s| crate::client::status::explain("testing the demo tenant", s))?
        .into_inner()
        .health
        .unwrap_or_default();
    Ok(health)
}
