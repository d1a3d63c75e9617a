//! The world a service test runs in: the testkit's world (the simulator, the credentials, tokens,
//! sync and assessment roles on one loopback gRPC server, one database and one bus) with the
//! assessment suite's waits and readers.

use std::sync::Arc;
use std::time::Duration;

use posture_assessment::service::{AssessmentRole, RoleSettings};
use posture_bus::{Bus, Consumer, ConsumerConfig, SubjectFilter, topics};
use posture_graph_sim::TenantInfo;
use posture_kit::clock::{SharedClock, SystemClock};
use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::exception_service_client::ExceptionServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_sync::SyncSettings;
use tonic::transport::Channel;

pub use posture_testkit::{PATIENCE, memory_bus};

/// The testkit's world with the sync and assessment roles mounted, plus the assessment suite's
/// waits and readers.
pub struct World(posture_testkit::World);

impl std::ops::Deref for World {
    type Target = posture_testkit::World;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

fn sync_settings() -> SyncSettings {
    let mut settings = SyncSettings {
        concurrency: 2,
        ack_wait: Duration::from_secs(10),
        ..SyncSettings::default()
    };
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);
    settings.bus_retry.shutdown_grace = Duration::from_millis(50);
    settings
}

/// One consumer worker, so run-completed events are handled in the order they were published.
pub fn assessment_settings() -> RoleSettings {
    let mut settings = RoleSettings {
        concurrency: 1,
        ack_wait: Duration::from_secs(30),
        ..RoleSettings::default()
    };
    settings.bus_retry.initial_backoff = Duration::from_millis(100);
    settings.bus_retry.max_backoff = Duration::from_millis(500);
    settings.bus_retry.shutdown_grace = Duration::from_millis(50);
    settings
}

impl World {
    pub async fn new(db: TestDatabase) -> World {
        Self::build(db, memory_bus(), Arc::new(SystemClock), assessment_settings()).await
    }

    /// The assessment role judges at the instants `clock` gives (exception expiry).
    pub async fn with_clock(db: TestDatabase, clock: SharedClock) -> World {
        Self::build(db, memory_bus(), clock, assessment_settings()).await
    }

    pub async fn with_bus(db: TestDatabase, bus: Arc<dyn Bus>) -> World {
        Self::build(db, bus, Arc::new(SystemClock), assessment_settings()).await
    }

    /// The assessment role runs with `settings`.
    pub async fn with_settings(db: TestDatabase, bus: Arc<dyn Bus>, settings: RoleSettings) -> World {
        Self::build(db, bus, Arc::new(SystemClock), settings).await
    }

    async fn build(
        db: TestDatabase,
        bus: Arc<dyn Bus>,
        assessment_clock: SharedClock,
        assessment_settings: RoleSettings,
    ) -> World {
        World(
            posture_testkit::World::builder()
                .bus(bus)
                .with_sync(sync_settings())
                .with_assessment(assessment_settings, assessment_clock)
                .start(db)
                .await,
        )
    }

    /// The assessment role (the world always starts it).
    pub fn assessment(&self) -> &AssessmentRole {
        self.0
            .assessment
            .as_ref()
            .expect("the world starts the assessment role")
    }

    pub fn assessments(&self) -> AssessmentServiceClient<Channel> {
        AssessmentServiceClient::new(self.channel.clone())
    }

    pub fn exceptions(&self) -> ExceptionServiceClient<Channel> {
        ExceptionServiceClient::new(self.channel.clone())
    }

    pub fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone())
    }

    /// Syncs every kind of the tenant and waits until the run is terminal.
    pub async fn sync(&self, tenant: &TenantInfo) -> pb::SyncRun {
        self.sync_kinds(tenant, Vec::new()).await
    }

    /// Syncs `entity_kinds` (every kind when empty) and waits until the run is terminal.
    pub async fn sync_kinds(&self, tenant: &TenantInfo, entity_kinds: Vec<String>) -> pb::SyncRun {
        self.0.sync_and_wait(tenant, entity_kinds).await
    }

    /// Waits for the assessment of `run_id` to be terminal.
    pub async fn assessment_of_run(&self, tenant: &TenantInfo, run_id: &str) -> pb::Assessment {
        self.wait_for(tenant, |a| {
            a.sync_run_id == run_id && a.trigger == pb::AssessmentTrigger::SyncCompleted as i32
        })
        .await
    }

    /// Waits for assessment `id` to be terminal.
    pub async fn finished(&self, tenant: &TenantInfo, id: &str) -> pb::Assessment {
        self.wait_for(tenant, |a| a.assessment_id == id).await
    }

    async fn wait_for(
        &self,
        tenant: &TenantInfo,
        wanted: impl Fn(&pb::Assessment) -> bool,
    ) -> pb::Assessment {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let page = self
                .assessments()
                .list_assessments(pb::ListAssessmentsRequest {
                    tenant_id: tenant.tenant_id.to_string(),
                    page_size: 500,
                    ..Default::default()
                })
                .await
                .expect("assessments are listed")
                .into_inner();
            if let Some(found) = page.assessments.into_iter().find(|a| {
                wanted(a)
                    && (a.state == pb::AssessmentState::Succeeded as i32
                        || a.state == pb::AssessmentState::Failed as i32)
            }) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no finished assessment appeared"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every finding of an assessment, through every page.
    pub async fn all_findings(&self, tenant: &TenantInfo, assessment_id: &str) -> Vec<pb::Finding> {
        findings(
            self,
            tenant,
            pb::ListFindingsRequest {
                assessment_id: assessment_id.to_owned(),
                ..Default::default()
            },
        )
        .await
    }

    /// Starts a manual assessment and waits for it.
    pub async fn assess_now(&self, tenant: &TenantInfo) -> pb::Assessment {
        let started = self
            .assessments()
            .start_assessment(pb::StartAssessmentRequest {
                tenant_id: tenant.tenant_id.to_string(),
            })
            .await
            .expect("assessment starts")
            .into_inner()
            .assessment
            .expect("assessment");
        self.finished(tenant, &started.assessment_id).await
    }

    /// A member of a fresh consumer of AssessmentCompleted events.
    pub async fn completions(&self) -> Box<dyn Consumer> {
        self.events(topics::ASSESSMENT_COMPLETED.filter()).await
    }

    /// A member of a fresh consumer of the events `filter` matches.
    pub async fn events(&self, filter: SubjectFilter) -> Box<dyn Consumer> {
        let name = format!("test-events-{}", uuid::Uuid::new_v4().simple());
        let config = ConsumerConfig::new(name, filter).expect("consumer config");
        self.bus.consumer(config).await.expect("consumer")
    }

    /// Every assessment of the tenant, newest first.
    pub async fn all_assessments(&self, tenant: &TenantInfo) -> Vec<pb::Assessment> {
        self.assessments()
            .list_assessments(pb::ListAssessmentsRequest {
                tenant_id: tenant.tenant_id.to_string(),
                page_size: 500,
                ..Default::default()
            })
            .await
            .expect("assessments are listed")
            .into_inner()
            .assessments
    }
}

/// Every finding matching `request` (tenant filled in), following page tokens.
pub async fn findings(
    world: &World,
    tenant: &TenantInfo,
    mut request: pb::ListFindingsRequest,
) -> Vec<pb::Finding> {
    request.tenant_id = tenant.tenant_id.to_string();
    let mut all = Vec::new();
    loop {
        let page = world
            .assessments()
            .list_findings(request.clone())
            .await
            .expect("findings are listed")
            .into_inner();
        all.extend(page.findings);
        if page.next_page_token.is_empty() {
            return all;
        }
        request.page_token = page.next_page_token;
    }
}

pub fn finding<'a>(findings: &'a [pb::Finding], control_id: &str) -> &'a pb::Finding {
    findings
        .iter()
        .find(|f| f.control_id == control_id)
        .unwrap_or_else(|| panic!("no finding for {control_id}"))
}
