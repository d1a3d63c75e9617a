//! `posture overview`: every tenant in the key's scope on one screen: connection health, the last
//! sync, the score per framework, failed controls, and when the secret expires.

use anyhow::Context;
use clap::{Args, ValueEnum};
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::overview_service_client::OverviewServiceClient;
use posture_proto::v1::{
    ConnectionState, GetTenantOverviewRequest, ListTenantOverviewsRequest, SecuritySignals, SyncRunState,
    TenantOverview,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{run_state_label, shorten, timestamp_json};
use super::{GatewayArgs, health, status::explain};

/// The frameworks of the table's CIS and SCUBA columns; JSON carries every framework.
const CIS: &str = "cis-m365";
const SCUBA: &str = "cisa-scuba";

#[derive(Args, Debug)]
pub struct OverviewArgs {
    /// One tenant in detail (Entra tenant id or display name); every tenant when left out.
    pub tenant_id: Option<String>,
    /// Only tenants in this connection state.
    #[arg(long, value_enum)]
    pub state: Option<StateFilter>,
    /// Only tenants carrying this tag (`tenants add|update --tag`).
    #[arg(long)]
    pub tag: Option<String>,
    /// Order of the rows.
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub sort: SortKey,
    /// Write the tenants as a page instead of the table: `html`, one printable all-tenants page
    /// with each score's change since the previous assessment and the failing critical and high
    /// controls.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<PageFormat>,
    /// Where `--format` writes the page.
    #[arg(long, requires = "format", default_value = "posture-overview.html")]
    pub out: std::path::PathBuf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PageFormat {
    /// A self-contained HTML page.
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StateFilter {
    Pending,
    Connected,
    AuthenticationError,
    PermissionError,
    ServiceError,
}

impl StateFilter {
    fn proto(self) -> ConnectionState {
        match self {
            StateFilter::Pending => ConnectionState::Pending,
            StateFilter::Connected => ConnectionState::Connected,
            StateFilter::AuthenticationError => ConnectionState::AuthenticationError,
            StateFilter::PermissionError => ConnectionState::PermissionError,
            StateFilter::ServiceError => ConnectionState::ServiceError,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// By display name.
    Name,
    /// Unhealthy tenants first.
    Health,
    /// Lowest overall score first.
    Score,
    /// Soonest secret expiry first.
    Expiry,
}

impl super::resolve::TenantArgument for OverviewArgs {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        self.tenant_id.as_mut().map(|t| (t, None))
    }
}

pub async fn run(args: OverviewArgs, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = OverviewServiceClient::new(gateway.connect().await?);
    if let Some(tenant_id) = args.tenant_id {
        let overview = client
            .get_tenant_overview(GetTenantOverviewRequest { tenant_id })
            .await
            .map_err(|s| explain("reading the tenant overview", s))?
            .into_inner()
            .overview
            .unwrap_or_default();
        match gateway.output {
            OutputFormat::Json => print_json(&overview_json(&overview))?,
            OutputFormat::Table => out!("{}", tenant_details(&overview, chrono::Utc::now().timestamp())),
        }
        return Ok(0);
    }
    let mut overviews = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_tenant_overviews(ListTenantOverviewsRequest {
                page_size: 100,
                page_token,
                connection_state: args
                    .state
                    .map_or(ConnectionState::Unspecified, StateFilter::proto)
                    as i32,
                tag: args.tag.clone().unwrap_or_default(),
            })
            .await
            .map_err(|s| explain("listing tenant overviews", s))?
            .into_inner();
        overviews.extend(page.overviews);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    sort(&mut overviews, args.sort);
    if args.format == Some(PageFormat::Html) {
        let mut assessments = AssessmentServiceClient::new(gateway.connect().await?);
        let extras = super::fleet::gather(&mut assessments, &overviews).await;
        let page = super::fleet::render(&overviews, &extras, chrono::Utc::now().timestamp());
        std::fs::write(&args.out, page).with_context(|| format!("cannot write {}", args.out.display()))?;
        match gateway.output {
            OutputFormat::Json => {
                print_json(&json!({"overview": args.out.display().to_string(), "tenants": overviews.len()}))?
            }
            OutputFormat::Table => outln!("{} tenant(s) written to {}", overviews.len(), args.out.display()),
        }
        return Ok(0);
    }
    match gateway.output {
        OutputFormat::Json => print_json(&json!(overviews.iter().map(overview_json).collect::<Vec<_>>()))?,
        OutputFormat::Table => out!("{}", overview_table(&overviews)),
    }
    Ok(0)
}

pub(crate) fn name(o: &TenantOverview) -> String {
    o.connection
        .as_ref()
        .map(|c| c.display_name.clone())
        .unwrap_or_default()
}

pub(crate) fn tenant_id(o: &TenantOverview) -> String {
    o.connection
        .as_ref()
        .map(|c| c.tenant_id.clone())
        .unwrap_or_default()
}

pub(crate) fn state(o: &TenantOverview) -> i32 {
    o.connection
        .as_ref()
        .and_then(|c| c.health.as_ref())
        .map_or(ConnectionState::Unspecified as i32, |h| h.state)
}

fn score(o: &TenantOverview, framework: &str) -> Option<f64> {
    o.latest_assessment
        .as_ref()?
        .scores
        .iter()
        .find(|s| s.framework == framework)
        .map(|s| s.score)
        .filter(|s| (0.0..=100.0).contains(s))
}

fn expiry_seconds(o: &TenantOverview) -> Option<i64> {
    o.connection
        .as_ref()?
        .credential
        .as_ref()?
        .expires_at
        .as_ref()
        .map(|t| t.seconds)
}

/// Unhealthy first: the states that need someone, then pending, then connected.
pub(crate) fn health_rank(state: i32) -> u8 {
    match ConnectionState::try_from(state).unwrap_or(ConnectionState::Unspecified) {
        ConnectionState::AuthenticationError | ConnectionState::PermissionError => 0,
        ConnectionState::ServiceError => 1,
        ConnectionState::Pending | ConnectionState::Unspecified => 2,
        ConnectionState::Connected => 3,
    }
}

fn sort(overviews: &mut [TenantOverview], key: SortKey) {
    let by_name =
        |a: &TenantOverview, b: &TenantOverview| name(a).to_lowercase().cmp(&name(b).to_lowercase());
    match key {
        SortKey::Name => overviews.sort_by(by_name),
        SortKey::Health => {
            overviews.sort_by(|a, b| {
                health_rank(state(a))
                    .cmp(&health_rank(state(b)))
                    .then_with(|| by_name(a, b))
            });
        }
        SortKey::Score => overviews.sort_by(|a, b| {
            let (x, y) = (score(a, "overall"), score(b, "overall"));
            // Tenants without a score first: they are the ones nobody has looked at.
            x.map_or(-1.0, |v| v)
                .total_cmp(&y.map_or(-1.0, |v| v))
                .then_with(|| by_name(a, b))
        }),
        SortKey::Expiry => overviews.sort_by(|a, b| {
            expiry_seconds(a)
                .unwrap_or(i64::MAX)
                .cmp(&expiry_seconds(b).unwrap_or(i64::MAX))
                .then_with(|| by_name(a, b))
        }),
    }
}

fn score_cell(o: &TenantOverview, framework: &str) -> String {
    score(o, framework).map_or_else(|| "-".into(), |s| format!("{s:.0}%"))
}

/// The last sync as its state and age: `ok 3h`, `failed 2d`, `running`, `never`.
pub(crate) fn last_sync(o: &TenantOverview, now: i64) -> String {
    let Some(run) = o.last_run.as_ref() else {
        return "never".into();
    };
    let state = match SyncRunState::try_from(run.state).unwrap_or(SyncRunState::Unspecified) {
        SyncRunState::Succeeded => "ok",
        SyncRunState::PartiallySucceeded => "partial",
        SyncRunState::Failed => "failed",
        SyncRunState::Cancelled => "cancel",
        SyncRunState::Running => return "running".into(),
        SyncRunState::Pending => return "pending".into(),
        SyncRunState::Unspecified => "?",
    };
    match run.finished_at.as_ref().or(run.started_at.as_ref()) {
        Some(at) => format!("{state} {}", age(now - at.seconds)),
        None => state.to_owned(),
    }
}

/// Seconds as the largest whole unit: `45s`, `12m`, `3h`, `9d`.
fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Days until the secret expires, `expired`, with `!` inside the warning window.
pub(crate) fn secret_cell(o: &TenantOverview, now: i64) -> String {
    let Some(credential) = o.connection.as_ref().and_then(|c| c.credential.as_ref()) else {
        return "-".into();
    };
    let Some(at) = &credential.expires_at else {
        return "unknown".into();
    };
    let left = at.seconds - now;
    let text = if left <= 0 {
        "expired".to_owned()
    } else {
        format!("{}d", left / 86_400)
    };
    if credential.expiring_soon && left > 0 {
        format!("{text}!")
    } else {
        text
    }
}

/// The latest Secure Score as percent with its 7-day trend: `52% ↓` (`!` when it dropped past
/// the tenant's threshold).
fn secure_cell(o: &TenantOverview) -> String {
    let Some(s) = o.latest_secure_score.as_ref() else {
        return "-".into();
    };
    let trend = match s.change_points {
        Some(c) if c > 0.5 => " ↑",
        Some(c) if c < -0.5 => " ↓",
        Some(_) => " →",
        None => "",
    };
    let flag = if s.dropped { "!" } else { "" };
    format!("{:.0}%{trend}{flag}", s.percentage)
}

fn signals(o: &TenantOverview) -> Option<&SecuritySignals> {
    o.latest_assessment.as_ref()?.signals.as_ref()
}

fn count_cell(n: Option<u32>) -> String {
    n.map_or_else(|| "-".into(), |n| n.to_string())
}

pub fn overview_table(overviews: &[TenantOverview]) -> String {
    overview_table_at(overviews, chrono::Utc::now().timestamp())
}

fn overview_table_at(overviews: &[TenantOverview], now: i64) -> String {
    let mut table = Table::new(vec![
        "TENANT", "HEALTH", "SYNCED", "CIS", "SCUBA", "FAILED", "DRIFT", "SECURE", "ALERTS", "SECRET",
    ]);
    for o in overviews {
        let failed = o
            .latest_assessment
            .as_ref()
            .and_then(|a| a.counts)
            .map_or_else(|| "-".into(), |c| c.failed.to_string());
        let mut health_cell = health::state_label(state(o)).to_owned();
        if !o.unavailable_parts.is_empty() {
            health_cell.push('*');
        }
        table.row(vec![
            shorten(&name(o), 24),
            health_cell,
            last_sync(o, now),
            score_cell(o, CIS),
            score_cell(o, SCUBA),
            failed,
            o.open_drift_count.to_string(),
            secure_cell(o),
            count_cell(signals(o).and_then(|s| s.open_high_alerts)),
            secret_cell(o, now),
        ]);
    }
    let mut out = table.render();
    out.push_str(
        "SECURE: Secure Score, 7-day trend (! dropped); ALERTS: open high-severity; SECRET: days left (! soon).\n\
         `posture overview TENANT` adds Defender exposure, devices and critical CVEs.\n",
    );
    if overviews.iter().any(|o| !o.unavailable_parts.is_empty()) {
        out.push_str("* some parts could not be fetched; `-o json` names them\n");
    }
    out
}

/// One tenant's overview as key-value lines: everything the fleet table has, plus Defender's
/// exposure and configuration scores, devices and critical vulnerabilities.
pub fn tenant_details(o: &TenantOverview, now: i64) -> String {
    let signals = signals(o);
    let scores = o.latest_assessment.as_ref().map_or_else(
        || "no assessment yet".to_owned(),
        |a| {
            a.scores
                .iter()
                .map(|s| format!("{} {:.0}%", super::output::framework_short(&s.framework), s.score))
                .collect::<Vec<_>>()
                .join(" · ")
        },
    );
    let secure = o.latest_secure_score.as_ref().map_or_else(
        || "-".to_owned(),
        |s| {
            let change = s
                .change_points
                .map_or_else(String::new, |c| format!(", {c:+.2} points in 7 days"));
            let dropped = if s.dropped { " (dropped)" } else { "" };
            format!(
                "{:.2} of {:.0} ({:.1}%){change}{dropped}",
                s.current_score, s.max_score, s.percentage
            )
        },
    );
    let defender = o.latest_exposure_score.as_ref().map_or_else(
        || "-".to_owned(),
        |e| {
            let configuration = e
                .configuration_score
                .map_or_else(|| "-".to_owned(), |c| format!("{c:.0}"));
            format!(
                "exposure {:.0} (lower is better), configuration {configuration} of 1000",
                e.exposure_score
            )
        },
    );
    let devices = match signals.map(|s| (s.noncompliant_devices, s.managed_devices)) {
        Some((Some(bad), Some(all))) => format!("{bad} of {all} managed devices not compliant"),
        _ => "not read (no Intune data)".to_owned(),
    };
    let unknown =
        |n: Option<u32>, what: &str| n.map_or_else(|| format!("not read ({what})"), |n| n.to_string());
    let mut pairs = vec![
        ("Tenant", format!("{} ({})", name(o), tenant_id(o))),
        ("Health", health::state_label(state(o)).to_owned()),
        ("Last sync", last_sync(o, now)),
        ("Scores", scores),
        (
            "Failed controls",
            o.latest_assessment
                .as_ref()
                .and_then(|a| a.counts)
                .map_or_else(|| "-".into(), |c| c.failed.to_string()),
        ),
        ("Open drift", o.open_drift_count.to_string()),
        ("Secure Score", secure),
        ("Defender", defender),
        (
            "Open high alerts",
            unknown(
                signals.and_then(|s| s.open_high_alerts),
                "no Defender alerts data",
            ),
        ),
        ("Devices", devices),
        (
            "Critical CVEs",
            unknown(
                signals.and_then(|s| s.critical_vulnerabilities),
                "no Defender for Endpoint data",
            ),
        ),
        ("Secret expires", secret_cell(o, now)),
    ];
    if !o.unavailable_parts.is_empty() {
        pairs.push(("Not fetched", o.unavailable_parts.join(", ")));
    }
    super::output::details(&pairs)
}

fn overview_json(o: &TenantOverview) -> serde_json::Value {
    let assessment = o.latest_assessment.as_ref();
    json!({
        "tenant_id": tenant_id(o),
        "display_name": name(o),
        "health": health::state_label(state(o)),
        "last_sync": o.last_run.as_ref().map(|r| json!({
            "run_id": r.run_id,
            "state": run_state_label(r.state),
            "started_at": timestamp_json(r.started_at.as_ref()),
            "finished_at": timestamp_json(r.finished_at.as_ref()),
        })),
        "assessment": assessment.map(|a| json!({
            "assessment_id": a.assessment_id,
            "completed_at": timestamp_json(a.completed_at.as_ref()),
            "failed": a.counts.map(|c| c.failed),
            "scores": a.scores.iter().map(|s| json!({"framework": s.framework, "score": s.score})).collect::<Vec<_>>(),
        })),
        "open_drift": o.open_drift_count,
        "secure_score": o.latest_secure_score.as_ref().map(|s| json!({
            "measured_at": timestamp_json(s.measured_at.as_ref()),
            "percentage": s.percentage,
            "change_points": s.change_points,
            "dropped": s.dropped,
        })),
        "exposure_score": o.latest_exposure_score.as_ref().map(|e| json!({
            "measured_at": timestamp_json(e.measured_at.as_ref()),
            "exposure_score": e.exposure_score,
            "configuration_score": e.configuration_score,
        })),
        "signals": signals(o).map(|s| json!({
            "open_high_alerts": s.open_high_alerts,
            "managed_devices": s.managed_devices,
            "noncompliant_devices": s.noncompliant_devices,
            "critical_vulnerabilities": s.critical_vulnerabilities,
        })),
        "secret_expires_at": timestamp_json(o.connection.as_ref().and_then(|c| c.credential.as_ref()).and_then(|m| m.expires_at.as_ref())),
        "secret_expiring_soon": o.connection.as_ref().and_then(|c| c.credential.as_ref()).is_some_and(|m| m.expiring_soon),
        "unavailable_parts": o.unavailable_parts,
    })
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{
        Assessment, Connection, ConnectionHealth, CredentialMetadata, FrameworkScore, ResultCounts,
        SecureScore, SyncRun,
    };

    use super::*;

    fn tenant(name: &str, state: ConnectionState, overall: Option<f64>, expires: i64) -> TenantOverview {
        TenantOverview {
            connection: Some(Connection {
                tenant_id: format!("{name}-id"),
                display_name: name.into(),
                health: Some(ConnectionHealth {
                    state: state as i32,
                    ..Default::default()
                }),
                credential: Some(CredentialMetadata {
                    expires_at: Some(prost_types::Timestamp {
                        seconds: expires,
                        nanos: 0,
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            latest_assessment: overall.map(|score| Assessment {
                counts: Some(ResultCounts {
                    failed: 7,
                    ..Default::default()
                }),
                scores: vec![
                    FrameworkScore {
                        framework: "overall".into(),
                        score,
                        ..Default::default()
                    },
                    FrameworkScore {
                        framework: "cis-m365".into(),
                        score,
                        ..Default::default()
                    },
                ],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn names(overviews: &[TenantOverview]) -> Vec<String> {
        overviews.iter().map(name).collect()
    }

    #[test]
    fn sorting_puts_what_needs_attention_first() {
        let mut all = vec![
            tenant("b-ok", ConnectionState::Connected, Some(80.0), 3_000_000_000),
            tenant("a-perm", ConnectionState::PermissionError, None, 2_000_000_000),
            tenant("c-low", ConnectionState::Connected, Some(20.0), 1_000_000_000),
        ];
        sort(&mut all, SortKey::Health);
        assert_eq!(names(&all)[0], "a-perm");
        sort(&mut all, SortKey::Score);
        assert_eq!(names(&all), ["a-perm", "c-low", "b-ok"]);
        sort(&mut all, SortKey::Expiry);
        assert_eq!(names(&all), ["c-low", "a-perm", "b-ok"]);
        sort(&mut all, SortKey::Name);
        assert_eq!(names(&all), ["a-perm", "b-ok", "c-low"]);
    }

    /// The widest values each column can hold: a long name, the longest health state with a part
    /// missing, a partial sync days ago, full scores, thousands of findings, alerts and days.
    fn widest() -> TenantOverview {
        let mut o = tenant(
            "A customer with a very long display name Ltd",
            ConnectionState::AuthenticationError,
            Some(100.0),
            1_800_000_000 + 9_999 * 86_400,
        );
        o.unavailable_parts = vec!["drift".into()];
        o.open_drift_count = 12_345;
        o.last_run = Some(SyncRun {
            state: SyncRunState::PartiallySucceeded as i32,
            finished_at: Some(prost_types::Timestamp {
                seconds: 1_700_000_000,
                nanos: 0,
            }),
            ..Default::default()
        });
        o.latest_secure_score = Some(SecureScore {
            percentage: 100.0,
            change_points: Some(-30.0),
            dropped: true,
            ..Default::default()
        });
        if let Some(a) = o.latest_assessment.as_mut() {
            a.counts = Some(ResultCounts {
                failed: 12_345,
                ..Default::default()
            });
            a.signals = Some(SecuritySignals {
                open_high_alerts: Some(123_456),
                managed_devices: Some(200_000),
                noncompliant_devices: Some(199_999),
                critical_vulnerabilities: Some(54_321),
            });
        }
        o
    }

    #[test]
    fn the_table_fits_a_120_column_terminal() {
        let rows = vec![
            widest(),
            tenant("Contoso", ConnectionState::Connected, None, 1_800_000_000),
        ];
        let text = overview_table_at(&rows, 1_800_000_000);
        for line in text.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
        assert!(
            text.contains("100%") && text.contains("Authentication Error*") && text.contains("100% ↓!"),
            "{text}"
        );
        assert!(
            text.contains("partial 1157d") && text.contains("123456") && text.contains("9999d"),
            "{text}"
        );
    }

    #[test]
    fn one_tenant_in_detail_names_its_signals_and_what_was_not_read() {
        let text = tenant_details(&widest(), 1_800_000_000);
        for line in text.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
        assert!(
            text.contains("199999 of 200000 managed devices not compliant"),
            "{text}"
        );
        assert!(
            text.contains("54321") && text.contains("-30.00 points in 7 days (dropped)"),
            "{text}"
        );
        let bare = tenant_details(
            &tenant("Contoso", ConnectionState::Connected, Some(50.0), 1_800_000_000),
            1_800_000_000,
        );
        assert!(
            bare.contains("not read (no Defender for Endpoint data)"),
            "{bare}"
        );
        assert!(
            bare.lines()
                .any(|l| l.starts_with("Secret expires") && l.ends_with("expired")),
            "{bare}"
        );
    }
}
