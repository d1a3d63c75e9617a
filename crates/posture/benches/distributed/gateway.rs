//! The public gRPC API as an operator uses it through the gateway: connect a simulator tenant,
//! pause its schedule (only the benchmark's runs touch it), start a sync and follow it, find the
//! assessment a run triggered.

use std::time::Duration;

use anyhow::{Context, bail};
use posture_graph_sim::{Simulator, TenantInfo};
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::schedule_service_client::ScheduleServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use posture_proto::v1::{
    Assessment, AssessmentState, ClientSecretCredential, Cloud, CloudEndpoints, ConnectionState,
    CreateConnectionRequest, Credential, GetSyncRunRequest, ListAssessmentsRequest, ListEntityKindsRequest,
    Schedule, StartSyncRequest, SyncRun, SyncRunState, TestConnectionRequest, UpdateScheduleRequest,
    credential,
};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// How often a run or an assessment is polled; well under the precision the targets need, and the
/// reported times come from the server's own timestamps, not from polling.
const POLL: Duration = Duration::from_millis(100);

/// Adds `authorization: Bearer <key>` to every call.
#[derive(Clone)]
pub struct Bearer(MetadataValue<Ascii>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        request.metadata_mut().insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Authed = InterceptedService<Channel, Bearer>;

/// Clients of the public services, over one connection to the gateway.
pub struct Gateway {
    connections: TenantConnectionServiceClient<Authed>,
    schedules: ScheduleServiceClient<Authed>,
    sync: SyncServiceClient<Authed>,
    inventory: InventoryServiceClient<Authed>,
    assessments: AssessmentServiceClient<Authed>,
}

impl Gateway {
    /// Connects over TLS, trusting `ca_cert` (the stack's CA) for the gateway's certificate.
    pub async fn connect(url: &str, ca_cert: &std::path::Path, api_key: &str) -> anyhow::Result<Gateway> {
        let tls = posture_kit::tls::ClientTls::edge(Some(ca_cert), None).context("TLS to the gateway")?;
        let channel = Endpoint::from_shared(url.to_owned())?
            .connect_with_connector(tls.connector(None)?)
            .await
            .with_context(|| format!("cannot reach the gateway at {url}"))?;
        let header = MetadataValue::try_from(format!("Bearer {api_key}"))
            .context("the API key is not a valid header value")?;
        let authed = InterceptedService::new(channel, Bearer(header));
        Ok(Gateway {
            connections: TenantConnectionServiceClient::new(authed.clone()),
            schedules: ScheduleServiceClient::new(authed.clone()),
            sync: SyncServiceClient::new(authed.clone()),
            inventory: InventoryServiceClient::new(authed.clone()),
            assessments: AssessmentServiceClient::new(authed),
        })
    }

    /// Saves the tenant's connection with its client secret, tests it and pauses its schedule.
    pub async fn connect_tenant(&mut self, sim: &Simulator, tenant: &TenantInfo) -> anyhow::Result<()> {
        let base = sim.base_url();
        let join = |path: &str| -> anyhow::Result<String> {
            Ok(base.join(path)?.to_string().trim_end_matches('/').to_owned())
        };
        let tenant_id = tenant.tenant_id.to_string();
        self.connections
            .create_connection(CreateConnectionRequest {
                tenant_id: tenant_id.clone(),
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
                            seconds: tenant.secret_expires_at.timestamp(),
                            nanos: 0,
                        }),
                    })),
                }),
                tags: Vec::new(),
            })
            .await
            .with_context(|| format!("connecting tenant {tenant_id}"))?;
        let health = self
            .connections
            .test_connection(TestConnectionRequest {
                tenant_id: tenant_id.clone(),
            })
            .await
            .with_context(|| format!("testing tenant {tenant_id}"))?
            .into_inner()
            .health
            .unwrap_or_default();
        if health.state != ConnectionState::Connected as i32 {
            bail!("tenant {tenant_id} is not connected: {health:?}");
        }
        self.schedules
            .update_schedule(UpdateScheduleRequest {
                schedule: Some(Schedule {
                    tenant_id: tenant_id.clone(),
                    enabled: false,
                    ..Schedule::default()
                }),
                update_mask: Some(prost_types::FieldMask {
                    paths: vec!["enabled".into()],
                }),
            })
            .await
            .with_context(|| format!("pausing the schedule of tenant {tenant_id}"))?;
        Ok(())
    }

    /// The names of every entity kind the sync reads.
    pub async fn entity_kinds(&mut self) -> anyhow::Result<Vec<String>> {
        Ok(self
            .inventory
            .list_entity_kinds(ListEntityKindsRequest {})
            .await
            .context("listing the entity kinds")?
            .into_inner()
            .entity_kinds
            .into_iter()
            .map(|k| k.name)
            .collect())
    }

    /// Starts a sync of `kinds` and waits until the run ends; fails unless every entity succeeded.
    pub async fn sync(
        &mut self,
        tenant_id: &str,
        kinds: &[String],
        deadline: Duration,
    ) -> anyhow::Result<SyncRun> {
        let run = self
            .sync
            .start_sync(StartSyncRequest {
                tenant_id: tenant_id.to_owned(),
                entity_kinds: kinds.to_vec(),
            })
            .await
            .with_context(|| format!("starting a sync of tenant {tenant_id}"))?
            .into_inner()
            .run
            .context("StartSync returned no run")?;
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let current = self
                .sync
                .get_sync_run(GetSyncRunRequest {
                    tenant_id: tenant_id.to_owned(),
                    run_id: run.run_id.clone(),
                })
                .await
                .with_context(|| format!("following run {}", run.run_id))?
                .into_inner()
                .run
                .context("GetSyncRun returned no run")?;
            let state = SyncRunState::try_from(current.state).unwrap_or_default();
            match state {
                SyncRunState::Succeeded => return Ok(current),
                SyncRunState::PartiallySucceeded | SyncRunState::Failed | SyncRunState::Cancelled => {
                    let failures: Vec<String> = current
                        .entities
                        .iter()
                        .filter_map(|e| e.error.as_ref().map(|r| format!("{}: {r:?}", e.entity_kind)))
                        .collect();
                    bail!("run {} ended {state:?}: {}", run.run_id, failures.join("; "));
                }
                _ => {}
            }
            if tokio::time::Instant::now() > until {
                bail!("run {} did not end within {} s", run.run_id, deadline.as_secs());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the assessment that run `run_id` triggered to end.
    pub async fn assessment_of_run(
        &mut self,
        tenant_id: &str,
        run_id: &str,
        deadline: Duration,
    ) -> anyhow::Result<Assessment> {
        let until = tokio::time::Instant::now() + deadline;
        loop {
            let recent = self
                .assessments
                .list_assessments(ListAssessmentsRequest {
                    tenant_id: tenant_id.to_owned(),
                    page_size: 10,
                    ..ListAssessmentsRequest::default()
                })
                .await
                .with_context(|| format!("listing the assessments of tenant {tenant_id}"))?
                .into_inner()
                .assessments;
            if let Some(found) = recent.into_iter().find(|a| a.sync_run_id == run_id) {
                match AssessmentState::try_from(found.state).unwrap_or_default() {
                    AssessmentState::Succeeded => return Ok(found),
                    AssessmentState::Failed => {
                        bail!("the assessment of run {run_id} failed: {:?}", found.error)
                    }
                    _ => {}
                }
            }
            if tokio::time::Instant::now() > until {
                bail!(
                    "no assessment of run {run_id} ended within {} s",
                    deadline.as_secs()
                );
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Seconds from `from` to `to`.
pub fn seconds_between(
    from: Option<&prost_types::Timestamp>,
    to: Option<&prost_types::Timestamp>,
) -> anyhow::Result<f64> {
    let (Some(from), Some(to)) = (from, to) else {
        bail!("a timestamp is missing");
    };
    Ok((to.seconds - from.seconds) as f64 + f64::from(to.nanos - from.nanos) / 1e9)
}
