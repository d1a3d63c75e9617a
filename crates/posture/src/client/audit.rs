//! `posture audit`: a tenant's audit events (Management Activity, Entra directory audits and
//! sign-ins) newest first; `audit sign-ins`, Posture's own footprint in the tenant: the sign-ins
//! of its app, so a customer sees when and from where Posture read their tenant; and `audit
//! streams`, where each stream stands and why one is not read.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use posture_proto::v1::audit_service_client::AuditServiceClient;
use posture_proto::v1::{
    AuditEvent, AuditStream, ListAuditStreamsRequest, SearchAuditEventsRequest, TimeRange,
};
use serde_json::json;

use super::activity::parse_since;
use super::output::{OutputFormat, Table, print_json};
use super::progress::{shorten, timestamp_json, ts_opt};
use super::{GatewayArgs, status::explain};

/// The source AuditService stores Posture's own sign-ins under.
const OWN_SIGN_INS: &str = "service_principal_sign_ins";

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Search a tenant's audit events, newest first.
    Search {
        /// Tenant id or display name.
        tenant_id: String,
        #[command(flatten)]
        filters: AuditFilters,
        /// Only events with this operation, e.g. `FileAccessed`, `Add member to role`.
        #[arg(long)]
        operation: Option<String>,
        /// Only events by this user (user principal name), e.g. `megan@contoso.com`.
        #[arg(long)]
        user: Option<String>,
        /// Only events of this workload or source, e.g. `Exchange`, `SharePoint`,
        /// `Audit.General`, `directory_audits`, `sign_ins`.
        #[arg(long)]
        workload: Option<String>,
        /// Only events naming this object id, e.g. a Conditional Access policy's: who changed it.
        #[arg(long)]
        target: Option<String>,
    },
    /// Posture's own footprint: the sign-ins of Posture's app in the tenant (when, from where).
    SignIns {
        /// Tenant id or display name.
        tenant_id: String,
        #[command(flatten)]
        filters: AuditFilters,
    },
    /// Where each audit stream stands: complete up to when, last read, and why a read failed.
    Streams {
        /// Tenant id or display name.
        tenant_id: String,
        /// JSON output (the same as `--output json`).
        #[arg(long)]
        json: bool,
    },
}

/// Time range, size and format, shared by both commands.
#[derive(Args, Debug)]
pub struct AuditFilters {
    /// Only events since this long ago (`90s`, `15m`, `24h`, `7d`, `2w`) or this instant
    /// (`2026-06-01T00:00:00Z`).
    #[arg(long, value_parser = parse_instant)]
    pub since: Option<DateTime<Utc>>,
    /// Only events before this long ago or this instant (same forms as --since).
    #[arg(long, value_parser = parse_instant)]
    pub until: Option<DateTime<Utc>>,
    /// Show at most this many events.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// JSON output (the same as `--output json`).
    #[arg(long)]
    pub json: bool,
}

/// A duration back from now, or an RFC 3339 instant.
pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text.trim()) {
        return Ok(at.with_timezone(&Utc));
    }
    parse_since(text).map(|ago| Utc::now() - ago).map_err(|_| {
        format!("`{text}` is neither a duration such as 24h or 7d nor a time such as 2026-06-01T00:00:00Z")
    })
}

impl super::resolve::TenantArgument for AuditCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            AuditCommand::Search { tenant_id, .. }
            | AuditCommand::SignIns { tenant_id, .. }
            | AuditCommand::Streams { tenant_id, .. } => Some((tenant_id, None)),
        }
    }
}

fn request(tenant_id: String, filters: &AuditFilters) -> SearchAuditEventsRequest {
    SearchAuditEventsRequest {
        tenant_id,
        occurred: (filters.since.is_some() || filters.until.is_some()).then(|| TimeRange {
            start_at: filters.since.map(posture_kit::time::timestamp),
            end_at: filters.until.map(posture_kit::time::timestamp),
        }),
        ..Default::default()
    }
}

pub async fn run(command: AuditCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let (page, filters, own) = match command {
        AuditCommand::Search {
            tenant_id,
            filters,
            operation,
            user,
            workload,
            target,
        } => (
            SearchAuditEventsRequest {
                operation: operation.unwrap_or_default(),
                user: user.unwrap_or_default(),
                workload: workload.unwrap_or_default(),
                target_id: target.unwrap_or_default(),
                ..request(tenant_id, &filters)
            },
            filters,
            false,
        ),
        AuditCommand::SignIns { tenant_id, filters } => (
            SearchAuditEventsRequest {
                workload: OWN_SIGN_INS.into(),
                ..request(tenant_id, &filters)
            },
            filters,
            true,
        ),
        AuditCommand::Streams { tenant_id, json } => {
            return streams(tenant_id, json || gateway.output == OutputFormat::Json, gateway).await;
        }
    };
    if filters.limit == 0 {
        bail!("--limit must be at least 1");
    }
    if let (Some(since), Some(until)) = (filters.since, filters.until)
        && until <= since
    {
        bail!("--until must be after --since");
    }
    let mut client = AuditServiceClient::new(gateway.connect().await?);
    let mut events = Vec::new();
    let mut page = page;
    loop {
        page.page_size = i32::try_from((filters.limit - events.len()).min(1000)).unwrap_or(1000);
        let response = client
            .search_audit_events(page.clone())
            .await
            .map_err(|s| explain("searching audit events", s))?
            .into_inner();
        events.extend(response.events);
        if response.next_page_token.is_empty() || events.len() >= filters.limit {
            break;
        }
        page.page_token = response.next_page_token;
    }
    events.truncate(filters.limit);
    if filters.json || gateway.output == OutputFormat::Json {
        print_json(&json!(events.iter().map(event_json).collect::<Vec<_>>())).context("printing")?;
    } else if events.is_empty() {
        outln!(
            "{}",
            if own {
                "No sign-ins of Posture's app stored for this tenant (yet)."
            } else {
                "No audit events match."
            }
        );
    } else {
        out!("{}", events_table(&events));
    }
    Ok(0)
}

async fn streams(tenant_id: String, json: bool, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = AuditServiceClient::new(gateway.connect().await?);
    let streams = client
        .list_audit_streams(ListAuditStreamsRequest { tenant_id })
        .await
        .map_err(|s| explain("reading the audit streams", s))?
        .into_inner()
        .streams;
    if json {
        let rows: Vec<_> = streams
            .iter()
            .map(|s| {
                json!({
                    "source": s.source,
                    "complete_until": timestamp_json(s.complete_until.as_ref()),
                    "last_read_at": timestamp_json(s.last_read_at.as_ref()),
                    "last_error": s.last_error,
                })
            })
            .collect();
        print_json(&json!(rows)).context("printing")?;
    } else {
        out!("{}", streams_table(&streams));
    }
    Ok(0)
}

/// SOURCE, COMPLETE UNTIL, LAST READ, PROBLEM: 120 columns at most.
fn streams_table(streams: &[AuditStream]) -> String {
    let mut table = Table::new(vec!["SOURCE", "COMPLETE UNTIL", "LAST READ", "PROBLEM"]);
    for stream in streams {
        table.row(vec![
            stream.source.clone(),
            ts_opt(stream.complete_until.as_ref()),
            ts_opt(stream.last_read_at.as_ref()),
            or_dash(&stream.last_error, 48),
        ]);
    }
    table.render()
}

fn time(event: &AuditEvent) -> String {
    event
        .occurred_at
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(|| "-".into(), |at| at.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn or_dash(text: &str, max: usize) -> String {
    if text.is_empty() {
        "-".into()
    } else {
        shorten(text, max)
    }
}

/// TIME, WORKLOAD, OPERATION, USER, RESULT, CLIENT IP: 120 columns at most (times are UTC).
fn events_table(events: &[AuditEvent]) -> String {
    let mut table = Table::new(vec![
        "TIME (UTC)",
        "WORKLOAD",
        "OPERATION",
        "USER",
        "RESULT",
        "CLIENT IP",
    ]);
    for event in events {
        table.row(vec![
            time(event),
            or_dash(&event.workload, 14),
            or_dash(&event.operation, 24),
            or_dash(&event.user, 28),
            or_dash(&event.result, 10),
            or_dash(&event.client_ip, 15),
        ]);
    }
    table.render()
}

fn event_json(event: &AuditEvent) -> serde_json::Value {
    let raw: serde_json::Value =
        serde_json::from_str(&event.raw_json).unwrap_or_else(|_| json!(event.raw_json));
    json!({
        "tenant_id": event.tenant_id,
        "source": event.source,
        "record_id": event.record_id,
        "occurred_at": timestamp_json(event.occurred_at.as_ref()),
        "operation": event.operation,
        "user": event.user,
        "workload": event.workload,
        "result": event.result,
        "client_ip": event.client_ip,
        "target_ids": event.target_ids,
        "record": raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_and_until_take_a_duration_or_an_instant() {
        let at = parse_instant("2026-06-01T00:00:00Z").expect("an instant");
        assert_eq!(at.to_rfc3339(), "2026-06-01T00:00:00+00:00");
        let ago = parse_instant("24h").expect("a duration");
        assert!(Utc::now() - ago >= chrono::Duration::hours(24));
        assert!(parse_instant("yesterday").is_err());
    }

    #[test]
    fn the_table_fits_in_120_columns() {
        let event = AuditEvent {
            source: "Audit.SharePoint".into(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 0,
            }),
            operation: "Add delegated permission grant to a service principal".into(),
            user: "a.very.long.user.principal.name@contoso.onmicrosoft.com".into(),
            workload: "AzureActiveDirectory".into(),
            result: "failure (50126)".into(),
            client_ip: "2001:db8:85a3::8a2e:370:7334".into(),
            ..Default::default()
        };
        let rendered = events_table(&[event]);
        for line in rendered.lines() {
            assert!(
                line.chars().count() <= 120,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(rendered.contains("AzureActiveDi"));
        let stream = AuditStream {
            source: "service_principal_sign_ins".into(),
            complete_until: event_time(),
            last_read_at: event_time(),
            last_error: "permission missing for GET /manage/api/v1.0/x/activity/feed/subscriptions/start: needs ActivityFeed.Read".into(),
        };
        for line in streams_table(&[stream]).lines() {
            assert!(
                line.chars().count() <= 120,
                "{} columns: {line}",
                line.chars().count()
            );
        }
    }

    fn event_time() -> Option<prost_types::Timestamp> {
        Some(prost_types::Timestamp {
            seconds: 1_800_000_000,
            nanos: 0,
        })
    }
}
