//! `posture schedules …`: when each tenant is synced: list, show, and change (daily time or
//! interval, spread window, kinds, pause and resume).

use anyhow::Context;
use clap::{Args, Subcommand};
use posture_proto::v1::schedule::Cadence;
use posture_proto::v1::schedule_service_client::ScheduleServiceClient;
use posture_proto::v1::{
    DailyCadence, GetScheduleRequest, IntervalCadence, ListSchedulesRequest, Schedule, UpdateScheduleRequest,
};
use serde_json::json;

use super::output::{OutputFormat, Table, details, print_json};
use super::progress::{timestamp_json, ts_opt};
use super::{GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum SchedulesCommand {
    /// Every tenant's schedule, soonest next run first.
    List {
        /// Only enabled schedules.
        #[arg(long)]
        enabled_only: bool,
    },
    /// One tenant's schedule.
    Show { tenant_id: String },
    /// Change a tenant's schedule; only what is given changes.
    Set(SetArgs),
}

#[derive(Args, Debug)]
pub struct SetArgs {
    pub tenant_id: String,
    /// Daily at this UTC time, HH:MM.
    #[arg(long, value_parser = parse_daily, conflicts_with = "every")]
    pub daily_at: Option<(u32, u32)>,
    /// Every this long, e.g. `6h`, `90m` (15 minutes to 7 days).
    #[arg(long, value_parser = parse_duration)]
    pub every: Option<u64>,
    /// Spread starts over this window after the nominal time, e.g. `2h` (0 to 12 hours).
    #[arg(long, value_parser = parse_duration)]
    pub window: Option<u64>,
    /// Kinds scheduled runs sync, comma separated; `all` for every kind.
    #[arg(long, value_delimiter = ',')]
    pub kinds: Option<Vec<String>>,
    /// Pause scheduled runs (manual runs still work).
    #[arg(long, conflicts_with = "resume")]
    pub pause: bool,
    /// Resume scheduled runs.
    #[arg(long)]
    pub resume: bool,
}

fn parse_daily(text: &str) -> Result<(u32, u32), String> {
    let time = chrono::NaiveTime::parse_from_str(text, "%H:%M")
        .map_err(|_| format!("`{text}` is not a UTC time as HH:MM, e.g. 03:00"))?;
    use chrono::Timelike;
    Ok((time.hour(), time.minute()))
}

/// `90m`, `6h`, `1d`, `45s` → seconds.
fn parse_duration(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90m, 6h or 1d"))?;
    let unit = match unit {
        "s" => 1,
        "m" | "" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: use s, m, h or d")),
    };
    Ok(number * unit)
}

fn seconds(value: u64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: i64::try_from(value).unwrap_or(i64::MAX),
        nanos: 0,
    }
}

pub async fn run(command: SchedulesCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = ScheduleServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        SchedulesCommand::List { enabled_only } => {
            let mut schedules = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_schedules(ListSchedulesRequest {
                        page_size: 500,
                        page_token,
                        enabled_only,
                    })
                    .await
                    .map_err(|s| explain("listing schedules", s))?
                    .into_inner();
                schedules.extend(page.schedules);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => {
                    print_json(&json!(schedules.iter().map(schedule_json).collect::<Vec<_>>()))?
                }
                OutputFormat::Table => {
                    let mut table = Table::new(vec![
                        "TENANT ID",
                        "ENABLED",
                        "CADENCE",
                        "WINDOW",
                        "KINDS",
                        "NEXT RUN",
                    ]);
                    for s in &schedules {
                        table.row(vec![
                            s.tenant_id.clone(),
                            if s.enabled { "yes" } else { "paused" }.into(),
                            cadence_text(s),
                            duration_text(s.window.as_ref()),
                            kinds_text(s),
                            ts_opt(s.next_run_at.as_ref()),
                        ]);
                    }
                    out!("{}", table.render());
                }
            }
            Ok(0)
        }
        SchedulesCommand::Show { tenant_id } => {
            let schedule = client
                .get_schedule(GetScheduleRequest { tenant_id })
                .await
                .map_err(|s| explain("showing the schedule", s))?
                .into_inner()
                .schedule
                .context("the server returned no schedule")?;
            print_schedule(&schedule, format)
        }
        SchedulesCommand::Set(args) => {
            let request = update_request(&args)?;
            let schedule = client
                .update_schedule(request)
                .await
                .map_err(|s| explain("changing the schedule", s))?
                .into_inner()
                .schedule
                .context("the server returned no schedule")?;
            print_schedule(&schedule, format)
        }
    }
}

fn update_request(args: &SetArgs) -> anyhow::Result<UpdateScheduleRequest> {
    let mut schedule = Schedule {
        tenant_id: args.tenant_id.clone(),
        ..Default::default()
    };
    let mut paths = Vec::new();
    if let Some((hour, minute)) = args.daily_at {
        schedule.cadence = Some(Cadence::Daily(DailyCadence {
            hour_utc: hour,
            minute_utc: minute,
        }));
        paths.push("daily");
    }
    if let Some(every) = args.every {
        schedule.cadence = Some(Cadence::Interval(IntervalCadence {
            every: Some(seconds(every)),
        }));
        paths.push("interval");
    }
    if let Some(window) = args.window {
        schedule.window = Some(seconds(window));
        paths.push("window");
    }
    if let Some(kinds) = &args.kinds {
        schedule.entity_kinds = if kinds.iter().any(|k| k == "all") {
            Vec::new()
        } else {
            kinds.clone()
        };
        paths.push("entity_kinds");
    }
    if args.pause || args.resume {
        schedule.enabled = args.resume;
        paths.push("enabled");
    }
    if paths.is_empty() {
        anyhow::bail!("nothing to change: give --daily-at, --every, --window, --kinds, --pause or --resume");
    }
    Ok(UpdateScheduleRequest {
        schedule: Some(schedule),
        update_mask: Some(prost_types::FieldMask {
            paths: paths.into_iter().map(str::to_owned).collect(),
        }),
    })
}

fn cadence_text(s: &Schedule) -> String {
    match &s.cadence {
        Some(Cadence::Daily(d)) => format!("daily {:02}:{:02} UTC", d.hour_utc, d.minute_utc),
        Some(Cadence::Interval(i)) => format!("every {}", duration_text(i.every.as_ref())),
        None => "default".into(),
    }
}

fn duration_text(d: Option<&prost_types::Duration>) -> String {
    let Some(d) = d else { return "-".into() };
    let secs = d.seconds.max(0);
    match secs {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 && s > 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn kinds_text(s: &Schedule) -> String {
    if s.entity_kinds.is_empty() {
        "all".into()
    } else {
        s.entity_kinds.join(",")
    }
}

fn schedule_json(s: &Schedule) -> serde_json::Value {
    json!({
        "tenant_id": s.tenant_id,
        "enabled": s.enabled,
        "cadence": cadence_text(s),
        "window_seconds": s.window.as_ref().map(|w| w.seconds),
        "entity_kinds": s.entity_kinds,
        "next_run_at": timestamp_json(s.next_run_at.as_ref()),
        "last_triggered_at": timestamp_json(s.last_triggered_at.as_ref()),
        "last_run_id": s.last_run_id,
        "updated_by": s.updated_by,
        "updated_at": timestamp_json(s.updated_at.as_ref()),
    })
}

fn print_schedule(s: &Schedule, format: OutputFormat) -> anyhow::Result<i32> {
    match format {
        OutputFormat::Json => print_json(&schedule_json(s))?,
        OutputFormat::Table => out!(
            "{}",
            details(&[
                ("Tenant", s.tenant_id.clone()),
                ("Enabled", if s.enabled { "yes".into() } else { "paused".into() }),
                ("Cadence", cadence_text(s)),
                ("Window", duration_text(s.window.as_ref())),
                ("Kinds", kinds_text(s)),
                ("Next run", ts_opt(s.next_run_at.as_ref())),
                ("Last triggered", ts_opt(s.last_triggered_at.as_ref())),
                (
                    "Changed",
                    if s.updated_by.is_empty() {
                        "never (default)".into()
                    } else {
                        format!("{} by {}", ts_opt(s.updated_at.as_ref()), s.updated_by)
                    }
                ),
            ])
        ),
    }
    Ok(0)
}

impl super::resolve::TenantArgument for SchedulesCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            SchedulesCommand::List { .. } => None,
            SchedulesCommand::Show { tenant_id } => Some((tenant_id, None)),
            SchedulesCommand::Set(args) => Some((&mut args.tenant_id, None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: SchedulesCommand,
    }

    fn set(line: &[&str]) -> anyhow::Result<UpdateScheduleRequest> {
        let mut argv = vec!["schedules", "set", "t-1"];
        argv.extend_from_slice(line);
        match Cli::try_parse_from(argv)?.command {
            SchedulesCommand::Set(args) => update_request(&args),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn only_what_is_given_goes_into_the_mask() {
        let request = set(&["--every", "6h", "--window", "30m"]).expect("request");
        assert_eq!(request.update_mask.expect("mask").paths, ["interval", "window"]);
        let schedule = request.schedule.expect("schedule");
        assert!(
            matches!(schedule.cadence, Some(Cadence::Interval(ref i)) if i.every.map(|d| d.seconds) == Some(21_600))
        );
        assert_eq!(schedule.window.map(|w| w.seconds), Some(1_800));

        let request =
            set(&["--daily-at", "01:30", "--pause", "--kinds", "users,organization"]).expect("request");
        assert_eq!(
            request.update_mask.expect("mask").paths,
            ["daily", "entity_kinds", "enabled"]
        );
        let schedule = request.schedule.expect("schedule");
        assert!(!schedule.enabled);
        assert_eq!(schedule.entity_kinds, ["users", "organization"]);
        assert!(set(&[]).is_err());
        assert!(set(&["--daily-at", "25:00"]).is_err());
        assert!(set(&["--daily-at", "01:00", "--every", "1h"]).is_err());
    }

    #[test]
    fn durations_read_as_people_write_them() {
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert_eq!(parse_duration("6h"), Ok(21_600));
        assert_eq!(parse_duration("1d"), Ok(86_400));
        assert!(parse_duration("soon").is_err());
        assert_eq!(duration_text(Some(&seconds(7_200))), "2h");
    }
}
