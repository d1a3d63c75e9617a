//! `posture scores <tenant>`: Microsoft Secure Score history (or, with `--defender`, Defender for
//! Endpoint's exposure and configuration scores) as a small terminal chart and a table, newest
//! first, with drops flagged by the same rule as control `posture.securescore.drop`.

use std::fmt::Write as _;

use clap::Args;
use posture_proto::v1::score_service_client::ScoreServiceClient;
use posture_proto::v1::{
    ExposureScore, ListExposureScoresRequest, ListSecureScoresRequest, SecureScore, TimeRange,
};
use serde_json::json;

use super::output::{OutputFormat, Table, print_json};
use super::progress::timestamp_json;
use super::{GatewayArgs, status::explain};

#[derive(Args, Debug)]
pub struct ScoresArgs {
    /// The tenant: Entra tenant id or display name.
    pub tenant_id: String,
    /// Defender for Endpoint's exposure and configuration scores instead of Microsoft Secure Score.
    #[arg(long)]
    pub defender: bool,
    /// Days of history to show.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
    /// Also list the latest Secure Score's points per control.
    #[arg(long, conflicts_with = "defender")]
    pub controls: bool,
}

impl super::resolve::TenantArgument for ScoresArgs {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        Some((&mut self.tenant_id, None))
    }
}

/// At most this many scores are read (a day each for Secure Score).
const MAX_ROWS: usize = 3650;

fn range(days: u32) -> TimeRange {
    let start = chrono::Utc::now() - chrono::Duration::days(i64::from(days));
    TimeRange {
        start_at: Some(prost_types::Timestamp {
            seconds: start.timestamp(),
            nanos: 0,
        }),
        end_at: None,
    }
}

pub async fn run(args: ScoresArgs, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = ScoreServiceClient::new(gateway.connect().await?);
    if args.defender {
        let mut scores: Vec<ExposureScore> = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = client
                .list_exposure_scores(ListExposureScoresRequest {
                    tenant_id: args.tenant_id.clone(),
                    measured: Some(range(args.days)),
                    page_size: 1000,
                    page_token,
                })
                .await
                .map_err(|s| explain("listing Defender scores", s))?
                .into_inner();
            scores.extend(page.exposure_scores);
            if page.next_page_token.is_empty() || scores.len() >= MAX_ROWS {
                break;
            }
            page_token = page.next_page_token;
        }
        match gateway.output {
            OutputFormat::Json => print_json(&json!(scores.iter().map(exposure_json).collect::<Vec<_>>()))?,
            OutputFormat::Table => out!("{}", exposure_view(&scores, args.days)),
        }
        return Ok(0);
    }
    let mut scores: Vec<SecureScore> = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_secure_scores(ListSecureScoresRequest {
                tenant_id: args.tenant_id.clone(),
                measured: Some(range(args.days)),
                page_size: 1000,
                page_token,
            })
            .await
            .map_err(|s| explain("listing Secure Scores", s))?
            .into_inner();
        scores.extend(page.secure_scores);
        if page.next_page_token.is_empty() || scores.len() >= MAX_ROWS {
            break;
        }
        page_token = page.next_page_token;
    }
    match gateway.output {
        OutputFormat::Json => print_json(&json!(scores.iter().map(secure_json).collect::<Vec<_>>()))?,
        OutputFormat::Table => out!("{}", secure_view(&scores, args.days, args.controls)),
    }
    Ok(0)
}

fn date(t: Option<&prost_types::Timestamp>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, 0))
        .map_or_else(|| "-".into(), |d| d.format("%Y-%m-%d").to_string())
}

fn signed(v: f64) -> String {
    if v > 0.0 {
        format!("+{v:.2}")
    } else {
        format!("{v:.2}")
    }
}

/// Values as one line of block characters, lowest ▁ to highest █, each value one column (the
/// newest `width` values when there are more).
pub fn sparkline(values: &[f64], width: usize) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values = &values[values.len().saturating_sub(width)..];
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    values
        .iter()
        .map(|v| {
            if (hi - lo).abs() < f64::EPSILON {
                BLOCKS[3]
            } else {
                let step = ((v - lo) / (hi - lo) * 7.0).round() as usize;
                BLOCKS[step.min(7)]
            }
        })
        .collect()
}

/// Chart width: the line stays within 120 columns with its labels.
const CHART_WIDTH: usize = 90;

fn chart(label: &str, oldest_first: &[f64], unit: &str) -> String {
    if oldest_first.is_empty() {
        return String::new();
    }
    let (lo, hi) = oldest_first
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    format!(
        "{label}  {}  low {lo:.1}{unit}, high {hi:.1}{unit}\n",
        sparkline(oldest_first, CHART_WIDTH)
    )
}

pub fn secure_view(scores: &[SecureScore], days: u32, controls: bool) -> String {
    if scores.is_empty() {
        return format!(
            "No Secure Score in the last {days} days: the tenant has not been synced with SecurityEvents.Read.All yet, or Microsoft has not computed one.\n"
        );
    }
    let mut out = String::new();
    let oldest_first: Vec<f64> = scores.iter().rev().map(|s| s.percentage).collect();
    let _ = writeln!(
        out,
        "Microsoft Secure Score, last {days} days, oldest to newest (percent of the maximum):"
    );
    out.push_str(&chart("%", &oldest_first, "%"));
    out.push('\n');
    let mut table = Table::new(vec!["DATE", "POINTS", "MAX", "PERCENT", "7-DAY CHANGE", "FLAG"]);
    for s in scores {
        table.row(vec![
            date(s.measured_at.as_ref()),
            format!("{:.2}", s.current_score),
            format!("{:.0}", s.max_score),
            format!("{:.1}%", s.percentage),
            s.change_points.map_or_else(|| "-".into(), signed),
            if s.dropped { "DROP".into() } else { String::new() },
        ]);
    }
    out.push_str(&table.render());
    if scores.iter().any(|s| s.dropped) {
        out.push_str(
            "DROP: fell more than the tenant's secure_score_drop_points in secure_score_drop_days (posture.securescore.drop)\n",
        );
    }
    if controls && let Some(latest) = scores.first() {
        let _ = writeln!(
            out,
            "\nPoints per control on {}:",
            date(latest.measured_at.as_ref())
        );
        let mut table = Table::new(vec!["CONTROL", "CATEGORY", "POINTS"]);
        let mut rows = latest.controls.clone();
        rows.sort_by(|a, b| {
            a.category
                .cmp(&b.category)
                .then_with(|| a.control_name.cmp(&b.control_name))
        });
        for c in rows {
            table.row(vec![c.control_name, c.category, format!("{:.2}", c.score)]);
        }
        out.push_str(&table.render());
    }
    out
}

pub fn exposure_view(scores: &[ExposureScore], days: u32) -> String {
    if scores.is_empty() {
        return format!(
            "No Defender score in the last {days} days: the tenant has no Defender for Endpoint licence, the app lacks Score.Read.All (WindowsDefenderATP), or it has not been synced yet.\n"
        );
    }
    let mut out = String::new();
    let _ = writeln!(out, "Defender for Endpoint, last {days} days, oldest to newest:");
    let exposure: Vec<f64> = scores.iter().rev().map(|s| s.exposure_score).collect();
    out.push_str(&chart("exposure (lower is better)     ", &exposure, ""));
    let configuration: Vec<f64> = scores
        .iter()
        .rev()
        .filter_map(|s| s.configuration_score)
        .collect();
    out.push_str(&chart("configuration (higher is better)", &configuration, ""));
    out.push('\n');
    let mut table = Table::new(vec![
        "MEASURED",
        "EXPOSURE",
        "CHANGE",
        "CONFIGURATION",
        "CHANGE",
        "FLAG",
    ]);
    for s in scores {
        table.row(vec![
            super::progress::ts_opt(s.measured_at.as_ref()),
            format!("{:.1}", s.exposure_score),
            s.exposure_change.map_or_else(|| "-".into(), signed),
            s.configuration_score
                .map_or_else(|| "-".into(), |c| format!("{c:.0}")),
            s.configuration_change.map_or_else(|| "-".into(), signed),
            if s.worsened { "WORSE".into() } else { String::new() },
        ]);
    }
    out.push_str(&table.render());
    out
}

fn secure_json(s: &SecureScore) -> serde_json::Value {
    json!({
        "measured_at": timestamp_json(s.measured_at.as_ref()),
        "current_score": s.current_score,
        "max_score": s.max_score,
        "percentage": s.percentage,
        "change_points": s.change_points,
        "dropped": s.dropped,
        "active_user_count": s.active_user_count,
        "licensed_user_count": s.licensed_user_count,
        "comparisons": s.comparisons.iter().map(|c| json!({"basis": c.basis, "average_score": c.average_score})).collect::<Vec<_>>(),
        "controls": s.controls.iter().map(|c| json!({"control_name": c.control_name, "category": c.category, "score": c.score})).collect::<Vec<_>>(),
    })
}

fn exposure_json(s: &ExposureScore) -> serde_json::Value {
    json!({
        "measured_at": timestamp_json(s.measured_at.as_ref()),
        "exposure_score": s.exposure_score,
        "configuration_score": s.configuration_score,
        "exposure_change": s.exposure_change,
        "configuration_change": s.configuration_change,
        "worsened": s.worsened,
    })
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::SecureScoreControl;

    use super::*;

    fn day(d: i64, percentage: f64, change: Option<f64>, dropped: bool) -> SecureScore {
        SecureScore {
            measured_at: Some(prost_types::Timestamp {
                seconds: 1_790_000_000 + d * 86_400,
                nanos: 0,
            }),
            current_score: percentage * 3.0,
            max_score: 300.0,
            percentage,
            change_points: change,
            dropped,
            controls: vec![SecureScoreControl {
                control_name: "AdminMFAV2".into(),
                category: "Identity".into(),
                score: 10.0,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn the_sparkline_spans_lowest_to_highest_and_keeps_the_newest_values() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0], 10), "▁▅█");
        assert_eq!(sparkline(&[5.0, 5.0], 10), "▄▄");
        assert_eq!(sparkline(&[1.0, 9.0, 1.0, 9.0], 2), "▁█");
        assert_eq!(sparkline(&[], 10), "");
    }

    #[test]
    fn the_secure_score_view_flags_drops_and_fits_a_120_column_terminal() {
        let scores: Vec<SecureScore> = (0..120)
            .rev()
            .map(|d| {
                day(
                    d,
                    50.0 - d as f64 * 0.01,
                    Some(if d == 0 { -12.0 } else { 0.5 }),
                    d == 0,
                )
            })
            .collect();
        let text = secure_view(&scores, 120, true);
        for line in text.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
        assert!(text.contains("DROP") && text.contains("-12.00"), "{text}");
        assert!(text.contains("AdminMFAV2"), "{text}");
        assert!(secure_view(&[], 30, false).contains("No Secure Score"));
    }

    #[test]
    fn the_defender_view_marks_a_worse_measurement() {
        let scores = vec![
            ExposureScore {
                exposure_score: 42.0,
                configuration_score: Some(600.0),
                exposure_change: Some(12.0),
                configuration_change: Some(-50.0),
                worsened: true,
                ..Default::default()
            },
            ExposureScore {
                exposure_score: 30.0,
                configuration_score: Some(650.0),
                ..Default::default()
            },
        ];
        let text = exposure_view(&scores, 30);
        assert!(
            text.contains("WORSE") && text.contains("+12.00") && text.contains("-50.00"),
            "{text}"
        );
        for line in text.lines() {
            assert!(line.chars().count() <= 120, "{line}");
        }
    }
}
