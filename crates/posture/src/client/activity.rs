//! `posture activity`: the activity log, newest first: who changed what through the gateway, and
//! which role read a tenant's stored secret. Filters match `ActivityService.ListActivity`.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use posture_proto::v1::activity_service_client::ActivityServiceClient;
use posture_proto::v1::{
    Activity, ActivityKind, ActivityResult, CredentialAccessPurpose, ListActivityRequest, Role, TimeRange,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::{shorten, timestamp_json};
use super::{GatewayArgs, status::explain};

#[derive(Args, Debug)]
pub struct ActivityArgs {
    /// Only entries touching this tenant (Entra tenant id).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Only entries of the last DURATION: `90s`, `15m`, `24h`, `7d`, `2w`.
    #[arg(long, value_parser = parse_since)]
    pub since: Option<chrono::Duration>,
    /// Only calls made with this API key id.
    #[arg(long)]
    pub key: Option<String>,
    /// Only calls of this rpc, e.g. `posture.v1.SyncService/StartSync`.
    #[arg(long)]
    pub rpc: Option<String>,
    /// Only entries with this result.
    #[arg(long, value_enum)]
    pub result: Option<ResultArg>,
    /// Only entries of this kind.
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Show at most this many entries.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// JSON output (the same as `--output json`).
    #[arg(long)]
    pub json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ResultArg {
    Ok,
    Failed,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum KindArg {
    Calls,
    SecretReads,
}

/// `90s`, `15m`, `24h`, `7d`, `2w` as a duration.
pub(super) fn parse_since(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 90s, 15m, 24h, 7d or 2w"))?;
    let duration = match unit {
        "s" => chrono::Duration::try_seconds(number),
        "m" => chrono::Duration::try_minutes(number),
        "h" => chrono::Duration::try_hours(number),
        "d" => chrono::Duration::try_days(number),
        "w" => chrono::Duration::try_weeks(number),
        _ => None,
    };
    duration
        .filter(|d| *d > chrono::Duration::zero())
        .ok_or_else(|| format!("`{text}` is not a duration such as 90s, 15m, 24h, 7d or 2w"))
}

fn request(args: &ActivityArgs) -> ListActivityRequest {
    let since = args.since.map(|d| chrono::Utc::now() - d);
    ListActivityRequest {
        tenant_id: args.tenant.clone().unwrap_or_default(),
        occurred: since.map(|at| TimeRange {
            start_at: Some(posture_kit::time::timestamp(at)),
            end_at: None,
        }),
        api_key_id: args.key.clone().unwrap_or_default(),
        rpc: args.rpc.clone().unwrap_or_default(),
        result: match args.result {
            None => ActivityResult::Unspecified,
            Some(ResultArg::Ok) => ActivityResult::Ok,
            Some(ResultArg::Failed) => ActivityResult::Failed,
        } as i32,
        kind: match args.kind {
            None => ActivityKind::Unspecified,
            Some(KindArg::Calls) => ActivityKind::Call,
            Some(KindArg::SecretReads) => ActivityKind::SecretRead,
        } as i32,
        page_size: 0,
        page_token: String::new(),
    }
}

pub async fn run(args: ActivityArgs, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    if args.limit == 0 {
        bail!("--limit must be at least 1");
    }
    let mut client = ActivityServiceClient::new(gateway.connect().await?);
    let mut entries = Vec::new();
    let mut page = request(&args);
    loop {
        page.page_size = i32::try_from((args.limit - entries.len()).min(1000)).unwrap_or(1000);
        let response = client
            .list_activity(page.clone())
            .await
            .map_err(|s| explain("reading the activity log", s))?
            .into_inner();
        entries.extend(response.activities);
        if response.next_page_token.is_empty() || entries.len() >= args.limit {
            break;
        }
        page.page_token = response.next_page_token;
    }
    entries.truncate(args.limit);
    if args.json || gateway.output == OutputFormat::Json {
        print_json(&json!(entries.iter().map(activity_json).collect::<Vec<_>>())).context("printing")?;
    } else if entries.is_empty() {
        outln!("No activity.");
    } else {
        out!("{}", activity_table(&entries));
    }
    Ok(0)
}

/// `PERMISSION_DENIED` for 7: the names gRPC documentation and other tools use.
fn code_name(code: i32) -> String {
    let camel = format!("{:?}", tonic::Code::from_i32(code));
    if camel == "Ok" {
        return "OK".into();
    }
    let mut name = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

fn purpose_label(purpose: i32) -> &'static str {
    match CredentialAccessPurpose::try_from(purpose) {
        Ok(CredentialAccessPurpose::TokenRequest) => "token",
        Ok(CredentialAccessPurpose::ConnectionTest) => "test",
        _ => "unknown",
    }
}

fn is_secret_read(entry: &Activity) -> bool {
    entry.kind == ActivityKind::SecretRead as i32
}

fn who(entry: &Activity) -> String {
    let principal = entry.principal.clone().unwrap_or_default();
    if is_secret_read(entry) {
        format!("role {}", principal.service_role)
    } else {
        principal.api_key_name
    }
}

fn action(entry: &Activity) -> String {
    if is_secret_read(entry) {
        format!("read secret ({})", purpose_label(entry.read_purpose))
    } else {
        entry.rpc.rsplit('/').next().unwrap_or_default().to_owned()
    }
}

fn tenants(entry: &Activity) -> String {
    match entry.tenant_ids.as_slice() {
        [] => "-".into(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{} +{}", shorten(first, 13), rest.len()),
    }
}

fn time(entry: &Activity) -> String {
    entry
        .occurred_at
        .as_ref()
        .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(|| "-".into(), |at| at.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// TIME, WHO, TENANT, ACTION, RESULT: 120 columns at most (times are UTC).
fn activity_table(entries: &[Activity]) -> String {
    let mut table = Table::new(vec!["TIME (UTC)", "WHO", "TENANT", "ACTION", "RESULT"]);
    for entry in entries {
        table.row(vec![
            time(entry),
            shorten(&who(entry), 16),
            tenants(entry),
            shorten(&action(entry), 24),
            shorten(&code_name(entry.status_code), 17),
        ]);
    }
    table.render()
}

fn activity_json(entry: &Activity) -> serde_json::Value {
    let principal = entry.principal.clone().unwrap_or_default();
    let role = Role::try_from(principal.role).map_or("", |role| match role {
        Role::Viewer => "viewer",
        Role::Operator => "operator",
        Role::Admin => "admin",
        Role::Unspecified => "",
    });
    json!({
        "activity_id": entry.activity_id,
        "kind": if is_secret_read(entry) { "secret_read" } else { "call" },
        "occurred_at": timestamp_json(entry.occurred_at.as_ref()),
        "principal": {
            "api_key_id": principal.api_key_id,
            "api_key_name": principal.api_key_name,
            "role": role,
            "service_role": principal.service_role,
        },
        "tenant_ids": entry.tenant_ids,
        "rpc": entry.rpc,
        "result": code_name(entry.status_code),
        "status_code": entry.status_code,
        "trace_id": entry.trace_id,
        "read_purpose": if is_secret_read(entry) { purpose_label(entry.read_purpose) } else { "" },
        "credential_version": entry.credential_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::ActivityPrincipal;

    #[test]
    fn since_takes_a_number_and_a_unit() {
        assert_eq!(parse_since("90s"), Ok(chrono::Duration::seconds(90)));
        assert_eq!(parse_since("24h"), Ok(chrono::Duration::hours(24)));
        assert_eq!(parse_since("2w"), Ok(chrono::Duration::weeks(2)));
        for bad in ["", "h", "10", "10y", "-5m", "0s"] {
            assert!(parse_since(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_are_named_as_grpc_names_them() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(7), "PERMISSION_DENIED");
        assert_eq!(code_name(3), "INVALID_ARGUMENT");
    }

    #[test]
    fn the_table_fits_in_120_columns() {
        let call = Activity {
            activity_id: "call-1".into(),
            kind: ActivityKind::Call as i32,
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 0,
            }),
            principal: Some(ActivityPrincipal {
                api_key_name: "a very long key name for automation".into(),
                ..Default::default()
            }),
            tenant_ids: vec!["9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".into()],
            rpc: "posture.v1.AssessmentService/UpdateAssessmentSettings".into(),
            status_code: 7,
            ..Default::default()
        };
        let read = Activity {
            kind: ActivityKind::SecretRead as i32,
            principal: Some(ActivityPrincipal {
                service_role: "tokens".into(),
                ..Default::default()
            }),
            read_purpose: CredentialAccessPurpose::TokenRequest as i32,
            ..call.clone()
        };
        let rendered = activity_table(&[call, read]);
        println!("{rendered}");
        for line in rendered.lines() {
            assert!(
                line.chars().count() <= 120,
                "{} columns: {line}",
                line.chars().count()
            );
        }
        assert!(rendered.contains("PERMISSION_DENIED"));
        assert!(rendered.contains("read secret (token)"));
        assert!(rendered.contains("role tokens"));
    }
}
