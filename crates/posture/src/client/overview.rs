//! `posture overview`: every tenant in the key's scope on one screen: connection health, the last
//! sync, the score per framework, failed controls, and when the secret expires.

use clap::{Args, ValueEnum};
use posture_proto::v1::overview_service_client::OverviewServiceClient;
use posture_proto::v1::{ConnectionState, ListTenantOverviewsRequest, TenantOverview};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{run_state_label, shorten, timestamp_json, ts_opt};
use super::{GatewayArgs, health, status::explain};

/// The frameworks of the table's CIS and SCUBA columns; JSON carries every framework.
const CIS: &str = "cis-m365";
const SCUBA: &str = "cisa-scuba";

#[derive(Args, Debug)]
pub struct OverviewArgs {
    /// Only tenants in this connection state.
    #[arg(long, value_enum)]
    pub state: Option<StateFilter>,
    /// Order of the rows.
    #[arg(long, value_enum, default_value_t = SortKey::Name)]
    pub sort: SortKey,
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

pub async fn run(args: OverviewArgs, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = OverviewServiceClient::new(gateway.connect().await?);
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
    match gateway.output {
        OutputFormat::Json => print_json(&json!(overviews.iter().map(overview_json).collect::<Vec<_>>()))?,
        OutputFormat::Table => out!("{}", overview_table(&overviews)),
    }
    Ok(0)
}

fn name(o: &TenantOverview) -> String {
    o.connection
        .as_ref()
        .map(|c| c.display_name.clone())
        .unwrap_or_default()
}

fn tenant_id(o: &TenantOverview) -> String {
    o.connection
        .as_ref()
        .map(|c| c.tenant_id.clone())
        .unwrap_or_default()
}

fn state(o: &TenantOverview) -> i32 {
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
fn health_rank(state: i32) -> u8 {
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

fn last_sync(o: &TenantOverview) -> String {
    o.last_run.as_ref().map_or_else(
        || "never".into(),
        |r| {
            format!(
                "{} {}",
                run_state_label(r.state),
                ts_opt(r.finished_at.as_ref().or(r.started_at.as_ref()))
            )
        },
    )
}

fn secret_cell(o: &TenantOverview) -> String {
    let Some(credential) = o.connection.as_ref().and_then(|c| c.credential.as_ref()) else {
        return "-".into();
    };
    match &credential.expires_at {
        Some(at) => {
            let date = chrono::DateTime::from_timestamp(at.seconds, 0)
                .map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d").to_string());
            if credential.expiring_soon {
                format!("{date} (soon)")
            } else {
                date
            }
        }
        None => "unknown".into(),
    }
}

pub fn overview_table(overviews: &[TenantOverview]) -> String {
    let mut table = Table::new(vec![
        "TENANT",
        "HEALTH",
        "LAST SYNC",
        "CIS",
        "SCUBA",
        "FAILED",
        "DRIFT",
        "SECRET EXPIRES",
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
            last_sync(o),
            score_cell(o, CIS),
            score_cell(o, SCUBA),
            failed,
            o.open_drift_count.to_string(),
            secret_cell(o),
        ]);
    }
    let mut out = table.render();
    if overviews.iter().any(|o| !o.unavailable_parts.is_empty()) {
        out.push_str("* some parts could not be fetched; `-o json` names them\n");
    }
    out
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
        "secret_expires_at": timestamp_json(o.connection.as_ref().and_then(|c| c.credential.as_ref()).and_then(|m| m.expires_at.as_ref())),
        "secret_expiring_soon": o.connection.as_ref().and_then(|c| c.credential.as_ref()).is_some_and(|m| m.expiring_soon),
        "unavailable_parts": o.unavailable_parts,
    })
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{
        Assessment, Connection, ConnectionHealth, CredentialMetadata, FrameworkScore, ResultCounts,
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

    #[test]
    fn the_table_fits_a_120_column_terminal() {
        let rows = vec![
            tenant(
                "A customer with a very long display name Ltd",
                ConnectionState::AuthenticationError,
                Some(55.5),
                1_800_000_000,
            ),
            tenant("Contoso", ConnectionState::Connected, None, 1_800_000_000),
        ];
        let text = overview_table(&rows);
        for line in text.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
        assert!(
            text.contains("56%") && text.contains("Authentication Error"),
            "{text}"
        );
    }
}
