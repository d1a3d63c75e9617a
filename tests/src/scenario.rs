//! What the end-to-end scenarios do through the public gateway, as any API client would: connect a
//! simulator tenant, run a sync and follow it, read the whole inventory and hold it against the
//! simulator's ground truth, and read the assessment a completed run triggered.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail, ensure};
use posture_graph_sim::{Simulator, TenantInfo};
use posture_proto::v1 as pb;
use serde_json::Value;
use tokio::time::Instant;

use crate::GatewayClients;

/// How long a run or an assessment may take before a test gives up (only to avoid hanging).
const PATIENCE: Duration = Duration::from_secs(240);

/// The connection of a simulator tenant, as the in-process test worlds build it.
pub use posture_testkit::{connection_request, endpoints, secret_credential};

/// Connects a simulator tenant through the gateway with its own secret.
pub async fn connect_tenant(
    clients: &mut GatewayClients,
    sim: &Simulator,
    tenant: &TenantInfo,
) -> anyhow::Result<()> {
    clients
        .connections
        .create_connection(connection_request(sim, tenant))
        .await
        .context("creating the connection")?;
    Ok(())
}

/// Starts a run of every kind the tenant has and returns its id.
pub async fn start_sync(clients: &mut GatewayClients, tenant: &str) -> anyhow::Result<String> {
    let run = clients
        .sync
        .start_sync(pb::StartSyncRequest {
            tenant_id: tenant.to_owned(),
            entity_kinds: Vec::new(),
        })
        .await
        .context("starting a sync")?
        .into_inner()
        .run
        .context("StartSync returned no run")?;
    Ok(run.run_id)
}

/// Reads a run; while the sync role is briefly unreachable (a worker being replaced) it retries,
/// as the gateway's UNAVAILABLE asks callers to.
pub async fn get_run(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
) -> anyhow::Result<pb::SyncRun> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let read = clients
            .sync
            .get_sync_run(pb::GetSyncRunRequest {
                tenant_id: tenant.to_owned(),
                run_id: run_id.to_owned(),
            })
            .await;
        match read {
            Err(status) if status.code() == tonic::Code::Unavailable && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            read => {
                return read
                    .with_context(|| format!("reading run {run_id}"))?
                    .into_inner()
                    .run
                    .context("GetSyncRun returned no run");
            }
        }
    }
}

fn is_active(run: &pb::SyncRun) -> bool {
    run.state == pb::SyncRunState::Pending as i32 || run.state == pb::SyncRunState::Running as i32
}

/// Polls the run until `done` says so; a finished run that never satisfied `done` is an error.
pub async fn wait_for_run_until(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
    what: &str,
    done: impl Fn(&pb::SyncRun) -> bool,
) -> anyhow::Result<pb::SyncRun> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let run = get_run(clients, tenant, run_id).await?;
        if done(&run) {
            return Ok(run);
        }
        if !is_active(&run) {
            bail!("run {run_id} finished before {what}: {run:#?}");
        }
        if Instant::now() > deadline {
            bail!("run {run_id}: no {what} within {PATIENCE:?}: {run:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the run is terminal.
pub async fn wait_for_run(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
) -> anyhow::Result<pb::SyncRun> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let run = get_run(clients, tenant, run_id).await?;
        if !is_active(&run) {
            return Ok(run);
        }
        if Instant::now() > deadline {
            bail!("run {run_id} did not finish within {PATIENCE:?}: {run:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Starts a run of every kind and waits until it is terminal.
pub async fn sync_and_wait(clients: &mut GatewayClients, tenant: &str) -> anyhow::Result<pb::SyncRun> {
    let run_id = start_sync(clients, tenant).await?;
    wait_for_run(clients, tenant, &run_id).await
}

/// The run's entry for `kind`.
pub fn entity<'a>(run: &'a pb::SyncRun, kind: &str) -> anyhow::Result<&'a pb::EntitySync> {
    run.entities
        .iter()
        .find(|e| e.entity_kind == kind)
        .with_context(|| format!("run {} has no entity {kind}: {run:#?}", run.run_id))
}

/// One stored object as the inventory serves it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub content: Value,
    pub version: u64,
    pub content_hash: String,
}

/// Every current object of `kind` (FULL view, all pages), by id. Fails on an id listed twice or a
/// content hash that is not the SHA-256 of the content.
pub async fn stored_objects(
    clients: &mut GatewayClients,
    tenant: &str,
    kind: &str,
) -> anyhow::Result<BTreeMap<String, Stored>> {
    let mut objects = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = clients
            .inventory
            .list_objects(pb::ListObjectsRequest {
                tenant_id: tenant.to_owned(),
                entity_kind: kind.to_owned(),
                include_removed: false,
                view: pb::ObjectView::Full as i32,
                page_size: 500,
                page_token: token.clone(),
                as_of: None,
            })
            .await
            .with_context(|| format!("listing {kind}"))?
            .into_inner();
        for o in page.objects {
            let id = o.r#ref.map(|r| r.object_id).context("an object without a ref")?;
            ensure!(
                o.content_hash == posture_sync::canonical::sha256_hex(&o.content_json),
                "{kind} {id}: the content hash is not the SHA-256 of the content"
            );
            let content =
                serde_json::from_str(&o.content_json).with_context(|| format!("{kind} {id}: JSON"))?;
            let stored = Stored {
                content,
                version: o.version,
                content_hash: o.content_hash,
            };
            if objects.insert(id.clone(), stored).is_some() {
                bail!("{kind} {id} is listed twice");
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(objects);
        }
        token = page.next_page_token;
    }
}

/// Holds the inventory of `kind` against the simulator's ground truth: the same ids, and every
/// field the kind reads equal. After the run that first stored the objects (`exact`) the stored
/// content is the tenant's selected fields and nothing else, volatile ones (sign-in times and the
/// like) included; later those may lag by design and are left out. Returns the number of objects.
pub async fn assert_kind_matches_truth(
    clients: &mut GatewayClients,
    sim: &Simulator,
    tenant: &str,
    kind: &posture_sync::kinds::KindDef,
    exact: bool,
) -> anyhow::Result<usize> {
    if kind.read == posture_sync::kinds::ReadMode::PerGroup {
        // One object per group whose members were read: each holds the group's transitive members.
        let stored = stored_objects(clients, tenant, kind.name).await?;
        for (id, object) in &stored {
            let truth = sim.ground_truth(tenant, &format!("groups/{id}/transitiveMembers"))?;
            let ids = |list: &[serde_json::Value]| -> std::collections::BTreeSet<String> {
                list.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_ascii_lowercase))
                    .collect()
            };
            let members = object.content["members"].as_array().cloned().unwrap_or_default();
            ensure!(
                ids(&members) == ids(&truth.objects),
                "{}: members of {id} differ from the tenant's",
                kind.name
            );
        }
        return Ok(stored.len());
    }
    if kind.read == posture_sync::kinds::ReadMode::MailDns {
        // One object per accepted domain, named by the domain, with the records the simulator's
        // DNS server published for it.
        let stored = stored_objects(clients, tenant, kind.name).await?;
        let domains: std::collections::BTreeSet<String> = sim
            .ground_truth(tenant, "exo/Get-AcceptedDomain")?
            .objects
            .iter()
            .filter_map(|d| d["DomainName"].as_str().map(str::to_ascii_lowercase))
            .collect();
        ensure!(
            stored.keys().cloned().collect::<std::collections::BTreeSet<_>>() == domains,
            "{}: one object per accepted domain",
            kind.name
        );
        for (domain, object) in &stored {
            ensure!(
                object.content["spf"]["records"].is_array()
                    && object.content["dkim"]["selector1"].is_object(),
                "{}: {domain} lacks its records",
                kind.name
            );
        }
        return Ok(stored.len());
    }
    // The simulator names Defender for Endpoint collections (`GET /api/...`) `mde/<path>` and
    // Exchange cmdlets `exo/<cmdlet>`.
    let path = kind.spec().path;
    let exchange = kind.endpoint().starts_with("POST /adminapi/");
    let collection = if kind.endpoint().starts_with("GET /api/") {
        format!("mde/{path}")
    } else if exchange {
        format!("exo/{}", path.split('?').next().unwrap_or(path))
    } else {
        path.to_owned()
    };
    let mut truth = sim.ground_truth(tenant, &collection)?;
    // Resolved alerts and incidents are read only within their window.
    let now = posture_kit::clock::Clock::now(&posture_kit::clock::SystemClock);
    truth
        .objects
        .retain(|o| posture_sync::kinds::window::keeps(kind, o, now));
    truth.count = truth.objects.len();
    let stored = stored_objects(clients, tenant, kind.name).await?;
    ensure!(
        stored.len() == truth.count && truth.objects.len() == truth.count,
        "{}: {} stored, {} in the tenant",
        kind.name,
        stored.len(),
        truth.count
    );
    let select = kind.select();
    for object in &truth.objects {
        // A singleton Graph answers without an id is stored under the kind's name; Exchange
        // objects under their Guid (or Identity).
        let exo_id = exchange
            .then(|| object["Guid"].as_str().or_else(|| object["Identity"].as_str()))
            .flatten();
        let id = object["id"].as_str().or(exo_id).unwrap_or(kind.name);
        let mine = &stored
            .get(id)
            .with_context(|| format!("{}: {id} was not stored", kind.name))?
            .content;
        let fields: Vec<&str> = match object.as_object() {
            Some(map) if select.is_empty() => map.keys().map(String::as_str).collect(),
            _ => select.to_vec(),
        };
        for field in &fields {
            if (!exact && kind.volatile.contains(field)) || field.starts_with("@odata") {
                continue;
            }
            ensure!(
                mine.get(*field) == object.get(*field),
                "{}: field {field} of {id}: stored {:?}, tenant {:?}",
                kind.name,
                mine.get(*field),
                object.get(*field)
            );
        }
        if exact {
            // Whatever else was stored is the tenant's too: an expansion (`$expand=principal`) is
            // the object its `<name>Id` names; any other field is the tenant's value.
            let expanded: Vec<&str> = kind
                .extra_query
                .iter()
                .filter(|(key, _)| *key == "$expand")
                .flat_map(|(_, value)| expanded_names(value))
                .collect();
            for (field, value) in mine.as_object().into_iter().flatten() {
                if field.starts_with("@odata") || fields.contains(&field.as_str()) {
                    continue;
                }
                // The id the sync gave a singleton Graph answers without one.
                if field == "id" && object.get("id").is_none() && value.as_str() == Some(id) {
                    continue;
                }
                if expanded.contains(&field.as_str()) && value.is_array() {
                    // A collection (`$expand=owners`): the objects the relationship lists.
                    let related = sim.ground_truth(tenant, &format!("{}/{id}/{field}", kind.spec().path))?;
                    let want: std::collections::BTreeSet<&str> =
                        related.objects.iter().filter_map(|o| o["id"].as_str()).collect();
                    let got: std::collections::BTreeSet<&str> = value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|o| o["id"].as_str())
                        .collect();
                    ensure!(
                        got == want,
                        "{}: {id} expands {field} to {got:?}, the tenant lists {want:?}",
                        kind.name
                    );
                    continue;
                }
                if expanded.contains(&field.as_str()) {
                    ensure!(
                        value.get("id").is_some() && value.get("id") == object.get(format!("{field}Id")),
                        "{}: {id} expands {field} to {value:?}, the tenant names {:?}",
                        kind.name,
                        object.get(format!("{field}Id"))
                    );
                    continue;
                }
                // Facts the sync joins onto each vulnerability row from Defender's CVE catalogue.
                if kind.name == "defender_vulnerabilities"
                    && ["publicExploit", "exploitVerified", "publishedOn", "cvssV3"].contains(&field.as_str())
                {
                    let catalogue = sim.ground_truth(tenant, "mde/vulnerabilities")?;
                    let cve = catalogue
                        .objects
                        .iter()
                        .find(|c| c["id"] == object["cveId"])
                        .with_context(|| format!("{id}: its CVE is not in the catalogue"))?;
                    ensure!(
                        cve.get(field) == Some(value),
                        "{}: {field} of {id}: stored {value:?}, the catalogue {:?}",
                        kind.name,
                        cve.get(field)
                    );
                    continue;
                }
                ensure!(
                    object.get(field) == Some(value),
                    "{}: field {field} of {id}: stored {value:?}, tenant {:?}",
                    kind.name,
                    object.get(field)
                );
            }
        }
    }
    Ok(stored.len())
}

/// The navigation properties a `$expand` value names: `owners($select=id,displayName),manager`
/// gives `owners` and `manager` (commas inside the nested options do not split).
fn expanded_names(value: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in value.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                names.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    names.push(&value[start..]);
    names
        .into_iter()
        .map(|n| n.split('(').next().unwrap_or(n).trim())
        .filter(|n| !n.is_empty())
        .collect()
}

/// A tenant whose every Graph page takes 1.5 s, so a run lasts long enough (about half a minute,
/// most of it the 15 pages of MFA registration details) to be interrupted in the middle.
pub fn slow_tenant(seed: u64) -> posture_graph_sim::TenantSpec {
    use posture_graph_sim::{FaultRule, FaultSpec, Latency, TenantSpec, ThrottleMode};
    TenantSpec {
        seed,
        users: 1_500,
        throttling: ThrottleMode::Off,
        faults: Some(FaultSpec {
            seed,
            rules: vec![FaultRule {
                path: "/v1.0/*".into(),
                latency: Some(Latency::Fixed { ms: 1_500 }),
                ..FaultRule::default()
            }],
        }),
        ..TenantSpec::default()
    }
}

/// Waits until the run is in the middle: a job has stored a page and is still running.
pub async fn wait_until_mid_run(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
) -> anyhow::Result<()> {
    wait_for_run_until(clients, tenant, run_id, "a job with a stored page", |run| {
        run.entities
            .iter()
            .any(|e| e.pages >= 1 && e.state == pb::EntitySyncState::Running as i32)
    })
    .await
    .map(|_| ())
}

/// The kinds the binary syncs, as the gateway lists them, checked against the sync's registry.
pub async fn synced_kinds(
    clients: &mut GatewayClients,
) -> anyhow::Result<Vec<&'static posture_sync::kinds::KindDef>> {
    let listed: Vec<String> = clients
        .inventory
        .list_entity_kinds(pb::ListEntityKindsRequest {})
        .await?
        .into_inner()
        .entity_kinds
        .into_iter()
        .map(|k| k.name)
        .collect();
    let registry: Vec<String> = posture_sync::kinds::ALL
        .iter()
        .map(|k| k.name.to_owned())
        .collect();
    ensure!(
        listed == registry,
        "the binary lists {listed:?}, the registry has {registry:?}"
    );
    Ok(posture_sync::kinds::ALL.to_vec())
}

/// Asserts every kind that succeeded in `run` matches the ground truth; when `run` first stored
/// the tenant (`first`), exactly, and the run's `added` count of each kind equals the objects
/// stored (nothing counted twice).
pub async fn assert_inventory_matches_truth(
    clients: &mut GatewayClients,
    sim: &Simulator,
    tenant: &str,
    run: &pb::SyncRun,
    first: bool,
) -> anyhow::Result<()> {
    for kind in synced_kinds(clients).await? {
        let e = entity(run, kind.name)?;
        if e.state != pb::EntitySyncState::Succeeded as i32 {
            continue;
        }
        let count = assert_kind_matches_truth(clients, sim, tenant, kind, first).await?;
        if first {
            let added = e.counts.as_ref().map_or(0, |c| c.added);
            ensure!(
                added == count as u64,
                "{}: the run counted {added} added, {count} are stored",
                kind.name
            );
        }
    }
    Ok(())
}

/// The assessment the completed run `run_id` triggered, once it has finished.
pub async fn assessment_of_run(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
) -> anyhow::Result<pb::Assessment> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let page = clients
            .assessment
            .list_assessments(pb::ListAssessmentsRequest {
                tenant_id: tenant.to_owned(),
                page_size: 50,
                ..Default::default()
            })
            .await
            .context("listing assessments")?
            .into_inner();
        let finished = page.assessments.into_iter().find(|a| {
            a.sync_run_id == run_id
                && (a.state == pb::AssessmentState::Succeeded as i32
                    || a.state == pb::AssessmentState::Failed as i32)
        });
        if let Some(assessment) = finished {
            return Ok(assessment);
        }
        if Instant::now() > deadline {
            bail!("no finished assessment of run {run_id} within {PATIENCE:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every finding of an assessment, by control id.
pub async fn findings(
    clients: &mut GatewayClients,
    tenant: &str,
    assessment_id: &str,
) -> anyhow::Result<BTreeMap<String, pb::Finding>> {
    let mut all = BTreeMap::new();
    let mut token = String::new();
    loop {
        let page = clients
            .assessment
            .list_findings(pb::ListFindingsRequest {
                tenant_id: tenant.to_owned(),
                assessment_id: assessment_id.to_owned(),
                page_size: 1000,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .context("listing findings")?
            .into_inner();
        for f in page.findings {
            all.insert(f.control_id.clone(), f);
        }
        if page.next_page_token.is_empty() {
            return Ok(all);
        }
        token = page.next_page_token;
    }
}

/// The findings of the assessment run `run_id` triggered.
pub async fn findings_of_run(
    clients: &mut GatewayClients,
    tenant: &str,
    run_id: &str,
) -> anyhow::Result<BTreeMap<String, pb::Finding>> {
    let assessment = assessment_of_run(clients, tenant, run_id).await?;
    ensure!(
        assessment.state == pb::AssessmentState::Succeeded as i32,
        "the assessment of run {run_id} failed: {assessment:#?}"
    );
    findings(clients, tenant, &assessment.assessment_id).await
}

/// The result of `control` in `findings`.
pub fn result_of(
    findings: &BTreeMap<String, pb::Finding>,
    control: &str,
) -> anyhow::Result<pb::ControlResult> {
    let finding = findings
        .get(control)
        .with_context(|| format!("no finding for {control}"))?;
    Ok(finding.result())
}

/// The API key id of a key `pst_<id>_<secret>`, as the activity log names it.
fn key_id_of(key: &str) -> anyhow::Result<String> {
    let id = key
        .strip_prefix("pst_")
        .and_then(|rest| rest.get(..32))
        .context("not an API key")?;
    Ok(uuid::Uuid::parse_str(id)?.hyphenated().to_string())
}

/// Holds the activity log against every call made through `clients` (made with `key`): each
/// mutating call appears exactly once, with its rpc, its trace id and the key's id and name; no
/// read appears. Returns how many mutating calls were checked.
pub async fn assert_calls_in_activity_log(clients: &mut GatewayClients, key: &str) -> anyhow::Result<usize> {
    let calls = clients.log.calls();
    let key_id = key_id_of(key)?;
    let mut entries = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = clients
            .activity
            .list_activity(pb::ListActivityRequest {
                api_key_id: key_id.clone(),
                kind: pb::ActivityKind::Call as i32,
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .context("listing the activity log")?
            .into_inner();
        entries.extend(page.activities);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let mut by_trace: BTreeMap<&str, Vec<&pb::Activity>> = BTreeMap::new();
    for entry in &entries {
        by_trace.entry(entry.trace_id.as_str()).or_default().push(entry);
    }
    let mut mutating = 0;
    for call in &calls {
        ensure!(!call.path.is_empty(), "a call without its method: {call:?}");
        let found = by_trace
            .get(call.trace_id.as_str())
            .map_or(&[][..], Vec::as_slice);
        if !posture_gateway::activity::is_mutating(&call.path) {
            ensure!(
                found.is_empty(),
                "the read {} was recorded: {found:#?}",
                call.path
            );
            continue;
        }
        mutating += 1;
        ensure!(
            found.len() == 1,
            "{} (trace {}) appears {} times in the activity log",
            call.path,
            call.trace_id,
            found.len()
        );
        let entry = found[0];
        let principal = entry.principal.clone().unwrap_or_default();
        ensure!(
            format!("/{}", entry.rpc) == call.path
                && principal.api_key_id == key_id
                && !principal.api_key_name.is_empty(),
            "{} is recorded as {entry:#?}",
            call.path
        );
    }
    ensure!(mutating > 0, "the scenario made no mutating call to check");
    Ok(mutating)
}

/// A deployment, a simulator beside it and clients to its gateway.
pub struct World {
    pub sim: Simulator,
    pub deployment: crate::Deployment,
    pub clients: GatewayClients,
}

/// `sync.dns_server` as a TOML value: the simulator's DNS server, where the tenants' domains
/// publish their mail records.
fn dns_setting(sim: &Simulator) -> String {
    format!("\"{}\"", sim.dns_addr())
}

impl World {
    pub async fn start(mode: crate::Mode) -> anyhow::Result<World> {
        Self::start_with(mode, crate::Launcher::Script).await
    }

    pub async fn start_with(mode: crate::Mode, launcher: crate::Launcher) -> anyhow::Result<World> {
        Self::start_with_sim(mode, launcher, posture_graph_sim::SimConfig::default()).await
    }

    /// A deployment beside a simulator configured as `sim` (an epoch of today, for streams read
    /// by the deployment's own clock).
    pub async fn start_with_sim(
        mode: crate::Mode,
        launcher: crate::Launcher,
        sim: posture_graph_sim::SimConfig,
    ) -> anyhow::Result<World> {
        let sim = Simulator::start(sim).await?;
        let dns = dns_setting(&sim);
        let deployment =
            crate::Deployment::start_with_launcher_settings(mode, launcher, &[("sync.dns_server", &dns)])
                .await?;
        let clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;
        Ok(World {
            sim,
            deployment,
            clients,
        })
    }

    /// A deployment in `mode` with `settings` (dotted keys, TOML values) in its configuration.
    pub async fn start_with_settings(mode: crate::Mode, settings: &[(&str, &str)]) -> anyhow::Result<World> {
        let sim = Simulator::start(posture_graph_sim::SimConfig::default()).await?;
        let dns = dns_setting(&sim);
        let mut settings = settings.to_vec();
        settings.push(("sync.dns_server", &dns));
        let deployment = crate::Deployment::start_with_settings(mode, &settings).await?;
        let clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;
        Ok(World {
            sim,
            deployment,
            clients,
        })
    }

    /// A standalone deployment with `extra` TOML sections in its configuration.
    pub async fn standalone_with_config(extra: &str) -> anyhow::Result<World> {
        let sim = Simulator::start(posture_graph_sim::SimConfig::default()).await?;
        let extra = format!("{extra}\n[sync]\ndns_server = {}\n", dns_setting(&sim));
        let deployment = crate::Deployment::standalone_with_config(&extra).await?;
        let clients = GatewayClients::connect(&deployment.gateway, &deployment.admin_key).await?;
        Ok(World {
            sim,
            deployment,
            clients,
        })
    }

    /// A new simulator tenant, connected through the gateway; returns its id.
    pub async fn tenant(&mut self, spec: posture_graph_sim::TenantSpec) -> anyhow::Result<String> {
        let tenant = self.sim.create_tenant(spec)?;
        connect_tenant(&mut self.clients, &self.sim, &tenant).await?;
        Ok(tenant.tenant_id.to_string())
    }

    /// Every mutating call the scenario made through `clients` appears once in the activity log
    /// with the admin key as its principal.
    pub async fn assert_activity_log(&mut self) -> anyhow::Result<()> {
        assert_calls_in_activity_log(&mut self.clients, &self.deployment.admin_key)
            .await
            .map(drop)
    }

    /// Whether the assessment role runs (it is skipped by builds that do not have it yet).
    pub fn assesses(&self) -> bool {
        self.deployment.runs_role("assessment")
    }
}

/// Declares the tenant's break-glass accounts (the simulator names them `breakglass…`) and the
/// group holding only them, as the tenant's administrator would before the first assessment.
pub async fn declare_emergency_accounts(
    clients: &mut GatewayClients,
    sim: &Simulator,
    tenant: &str,
) -> anyhow::Result<Vec<String>> {
    let named =
        |collection: &str, field: &str, wanted: &dyn Fn(&str) -> bool| -> anyhow::Result<Vec<String>> {
            Ok(sim
                .ground_truth(tenant, collection)?
                .objects
                .iter()
                .filter(|o| o[field].as_str().is_some_and(wanted))
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .collect())
        };
    let mut accounts = named("users", "userPrincipalName", &|upn| upn.starts_with("breakglass"))?;
    accounts.extend(named("groups", "displayName", &|name| {
        name == "Emergency Access Accounts"
    })?);
    ensure!(
        !accounts.is_empty(),
        "the simulator tenant has break-glass accounts"
    );
    clients
        .assessment
        .update_assessment_settings(pb::UpdateAssessmentSettingsRequest {
            tenant_id: tenant.to_owned(),
            emergency_access_accounts: accounts.clone(),
            parameters: Default::default(),
        })
        .await
        .context("declaring the emergency-access accounts")?;
    Ok(accounts)
}
