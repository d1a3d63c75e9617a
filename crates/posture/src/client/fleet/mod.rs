//! `posture overview --format html --out FILE`: every tenant on one printable page, for the
//! MSP's weekly review: health, last sync, score per framework with its change since the previous
//! assessment, failing critical and high controls, open drift and secret expiry. The overview API
//! has the latest assessment only, so the page also reads each tenant's previous assessment (the
//! trend) and its failing findings of high severity or worse. The page is a minijinja template
//! with autoescaping, so tenant names stay text.

use std::collections::BTreeSet;

use minijinja::Environment;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::{
    AssessmentState, ConnectionState, ControlResult, Finding, ListAssessmentsRequest, ListFindingsRequest,
    Severity, TenantOverview,
};
use serde::Serialize;

use super::AuthedChannel;
use super::overview::{health_rank, last_sync, name, secret_cell, state, tenant_id};
use super::{assess, health};

const TEMPLATE: &str = include_str!("fleet.html");
/// The `.html` suffix turns on minijinja's HTML autoescaping.
const TEMPLATE_NAME: &str = "fleet.html";
/// How many failing controls a row names (the count says how many there are).
const WORST: usize = 3;

/// What the overview API does not carry, read per tenant.
#[derive(Debug, Default, Clone)]
pub struct TenantExtras {
    /// Scores of the succeeded assessment before the latest: framework id and score 0–100.
    pub previous_scores: Vec<(String, f64)>,
    /// Failing critical and high findings that no exception accepts; `None` when not read.
    pub failing: Option<Vec<Finding>>,
    /// Why `failing` could not be read.
    pub note: String,
}

/// Reads the previous assessment and the failing critical and high findings of each tenant with
/// a latest assessment. A tenant whose part cannot be read keeps a note instead; the page is
/// still written.
pub async fn gather(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    overviews: &[TenantOverview],
) -> Vec<TenantExtras> {
    let mut out = Vec::with_capacity(overviews.len());
    for o in overviews {
        let Some(latest) = o.latest_assessment.as_ref() else {
            out.push(TenantExtras {
                note: "no assessment yet".to_owned(),
                ..TenantExtras::default()
            });
            continue;
        };
        let mut extras = TenantExtras::default();
        match client
            .list_assessments(ListAssessmentsRequest {
                tenant_id: latest.tenant_id.clone(),
                page_size: 20,
                ..Default::default()
            })
            .await
        {
            Ok(page) => {
                extras.previous_scores = page
                    .into_inner()
                    .assessments
                    .into_iter()
                    .filter(|a| a.state == AssessmentState::Succeeded as i32)
                    .find(|a| {
                        a.assessment_id != latest.assessment_id
                            && a.completed_at.as_ref().map(|t| t.seconds)
                                <= latest.completed_at.as_ref().map(|t| t.seconds)
                    })
                    .map(|a| a.scores.iter().map(|s| (s.framework.clone(), s.score)).collect())
                    .unwrap_or_default();
            }
            Err(s) => extras.note = format!("trend not read: {}", s.code()),
        }
        let request = ListFindingsRequest {
            tenant_id: latest.tenant_id.clone(),
            assessment_id: latest.assessment_id.clone(),
            results: vec![ControlResult::Fail as i32],
            min_severity: Severity::High as i32,
            ..Default::default()
        };
        match assess::all_findings(client, request).await {
            Ok(findings) => extras.failing = Some(findings.into_iter().filter(|f| !f.accepted).collect()),
            Err(e) => extras.note = format!("findings not read: {e}"),
        }
        out.push(extras);
    }
    out
}

#[derive(Serialize)]
struct Page {
    tenant_count: usize,
    generated_at: String,
    tally: Vec<Tally>,
    frameworks: Vec<String>,
    widths: Widths,
    rows: Vec<Row>,
}

#[derive(Serialize)]
struct Tally {
    label: &'static str,
    count: usize,
    class: &'static str,
}

/// Column widths in percent; the framework columns share what the others leave.
#[derive(Serialize)]
struct Widths {
    tenant: u32,
    health: u32,
    sync: u32,
    framework: u32,
    failing: u32,
    drift: u32,
    secret: u32,
}

#[derive(Serialize)]
struct Row {
    name: String,
    tenant_id: String,
    health: &'static str,
    health_class: &'static str,
    health_detail: String,
    last_sync: String,
    scores: Vec<ScoreCell>,
    failing: Option<usize>,
    failing_note: String,
    worst: Vec<String>,
    drift: u32,
    secret: String,
    secret_class: &'static str,
}

#[derive(Serialize)]
struct ScoreCell {
    score: String,
    delta: String,
    direction: &'static str,
}

/// A framework id of the API as a column header.
fn framework_header(id: &str) -> String {
    match id {
        "overall" => "Overall".to_owned(),
        "cis-m365" => "CIS M365".to_owned(),
        "cisa-scuba" => "CISA SCuBA".to_owned(),
        "posture" => "Posture".to_owned(),
        other => other.to_owned(),
    }
}

fn health_class(state: i32) -> &'static str {
    match health_rank(state) {
        0 | 1 => "bad",
        2 => "warn",
        _ => "ok",
    }
}

fn score_cell(o: &TenantOverview, previous: &[(String, f64)], framework: &str) -> ScoreCell {
    let current = o
        .latest_assessment
        .as_ref()
        .and_then(|a| a.scores.iter().find(|s| s.framework == framework))
        // A framework none of whose controls was decided has no score, not 0%.
        .filter(|s| s.counts.is_some_and(|c| c.passed + c.failed + c.warning > 0))
        .map(|s| s.score);
    let Some(now) = current else {
        return ScoreCell {
            score: "-".to_owned(),
            delta: String::new(),
            direction: "flat",
        };
    };
    let before = previous.iter().find(|(f, _)| f == framework).map(|(_, s)| *s);
    let (delta, direction) = match before.map(|b| (now - b).round()) {
        Some(d) if d >= 1.0 => (format!("▲{d:.0}"), "up"),
        Some(d) if d <= -1.0 => (format!("▼{:.0}", -d), "down"),
        Some(_) => ("=".to_owned(), "flat"),
        None => (String::new(), "flat"),
    };
    ScoreCell {
        score: format!("{now:.0}%"),
        delta,
        direction,
    }
}

fn severity_word(severity: i32) -> &'static str {
    match Severity::try_from(severity).unwrap_or(Severity::Unspecified) {
        Severity::Critical => "critical",
        Severity::High => "high",
        _ => "",
    }
}

fn row(o: &TenantOverview, extras: &TenantExtras, frameworks: &[String], now: i64) -> Row {
    let state = state(o);
    let connected = ConnectionState::try_from(state) == Ok(ConnectionState::Connected);
    let mut failing = extras.failing.clone();
    if let Some(f) = failing.as_mut() {
        f.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    let secret = secret_cell(o, now);
    Row {
        name: name(o),
        tenant_id: tenant_id(o),
        health: health::state_label(state),
        health_class: health_class(state),
        health_detail: if connected {
            String::new()
        } else {
            health::summary(o.connection.as_ref().and_then(|c| c.health.as_ref()))
        },
        last_sync: last_sync(o, now),
        scores: frameworks
            .iter()
            .map(|f| score_cell(o, &extras.previous_scores, f))
            .collect(),
        failing: failing.as_ref().map(Vec::len),
        failing_note: extras.note.clone(),
        worst: failing
            .iter()
            .flatten()
            .take(WORST)
            .map(|f| format!("{} ({})", f.title, severity_word(f.severity)))
            .collect(),
        drift: o.open_drift_count,
        secret_class: if secret == "expired" || secret.ends_with('!') {
            "bad"
        } else {
            ""
        },
        secret,
    }
}

/// The page for `overviews` (in the order given) with each tenant's `extras` (same order).
pub fn render(overviews: &[TenantOverview], extras: &[TenantExtras], now: i64) -> String {
    let frameworks: Vec<String> = {
        let ids: BTreeSet<String> = overviews
            .iter()
            .filter_map(|o| o.latest_assessment.as_ref())
            .flat_map(|a| a.scores.iter().map(|s| s.framework.clone()))
            .collect();
        // Overall first, then the frameworks by name.
        let mut ids: Vec<String> = ids.into_iter().collect();
        ids.sort_by_key(|f| (f != "overall", f.clone()));
        ids
    };
    let headers: Vec<String> = frameworks.iter().map(|f| framework_header(f)).collect();
    let count = u32::try_from(frameworks.len()).unwrap_or(u32::MAX).max(1);
    let fixed = 17 + 10 + 8 + 25 + 5 + 6;
    let widths = Widths {
        tenant: 17,
        health: 10,
        sync: 8,
        framework: (100 - fixed) / count,
        failing: 25 + (100 - fixed) % count,
        drift: 5,
        secret: 6,
    };
    let empty = TenantExtras::default();
    let rows: Vec<Row> = overviews
        .iter()
        .enumerate()
        .map(|(i, o)| row(o, extras.get(i).unwrap_or(&empty), &frameworks, now))
        .collect();
    let count_of = |rank: &[u8]| {
        overviews
            .iter()
            .filter(|o| rank.contains(&health_rank(state(o))))
            .count()
    };
    let page = Page {
        tenant_count: overviews.len(),
        generated_at: chrono::DateTime::from_timestamp(now, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default(),
        tally: vec![
            Tally {
                label: "connected",
                count: count_of(&[3]),
                class: "ok",
            },
            Tally {
                label: "pending",
                count: count_of(&[2]),
                class: "warn",
            },
            Tally {
                label: "need attention",
                count: count_of(&[0, 1]),
                class: "bad",
            },
        ],
        frameworks: headers,
        widths,
        rows,
    };
    let mut env = Environment::new();
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .and_then(|()| env.get_template(TEMPLATE_NAME))
        .and_then(|t| t.render(minijinja::context! { page => minijinja::value::Serde(&page) }))
        .unwrap_or_else(|e| {
            // The template is compiled in and rendered by the tests: a build defect, said on the page.
            format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Overview failed</title></head>\
                 <body><p>The page could not be rendered: {}</p></body></html>\n",
                e.to_string().replace('&', "&amp;").replace('<', "&lt;")
            )
        })
}

#[cfg(test)]
mod tests {
    use posture_proto::v1::{
        Assessment, Connection, ConnectionHealth, CredentialMetadata, FrameworkScore, ResultCounts,
    };

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn score(framework: &str, score: f64, decided: u32) -> FrameworkScore {
        FrameworkScore {
            framework: framework.to_owned(),
            counts: Some(ResultCounts {
                passed: decided,
                ..Default::default()
            }),
            score,
        }
    }

    fn tenant(name: &str, state: ConnectionState, scores: Vec<FrameworkScore>) -> TenantOverview {
        TenantOverview {
            connection: Some(Connection {
                tenant_id: format!("{name}-id"),
                display_name: name.to_owned(),
                health: Some(ConnectionHealth {
                    state: state as i32,
                    ..Default::default()
                }),
                credential: Some(CredentialMetadata {
                    expires_at: Some(prost_types::Timestamp {
                        seconds: NOW + 10 * 86_400,
                        nanos: 0,
                    }),
                    expiring_soon: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            latest_assessment: Some(Assessment {
                assessment_id: format!("{name}-a"),
                tenant_id: format!("{name}-id"),
                scores,
                ..Default::default()
            }),
            open_drift_count: 2,
            ..Default::default()
        }
    }

    fn finding(title: &str, severity: Severity) -> Finding {
        Finding {
            title: title.to_owned(),
            severity: severity as i32,
            ..Default::default()
        }
    }

    #[test]
    fn fleet_page_shows_trend_failing_controls_and_escapes_tenant_text() {
        let overviews = vec![tenant(
            "<script>alert(1)</script> Ltd",
            ConnectionState::Connected,
            vec![score("overall", 62.0, 10), score("cis-m365", 55.0, 8)],
        )];
        let extras = vec![TenantExtras {
            previous_scores: vec![("overall".to_owned(), 70.0), ("cis-m365".to_owned(), 50.0)],
            failing: Some(vec![
                finding("High one", Severity::High),
                finding("Critical <b>one</b>", Severity::Critical),
            ]),
            note: String::new(),
        }];
        let html = render(&overviews, &extras, NOW);
        assert!(!html.contains("<script>alert") && !html.contains("<b>one"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Ltd"));
        assert!(html.contains("<th>Overall</th><th>CIS M365</th>"));
        assert!(html.contains("62% <span class=\"down\">▼8</span>"));
        assert!(html.contains("55% <span class=\"up\">▲5</span>"));
        // Worst first.
        let critical = html.find("Critical &lt;b&gt;one").expect("critical named");
        assert!(critical < html.find("High one (high)").expect("high named"));
        assert!(html.contains("<span class=\"num bad\">2</span>"));
        assert!(html.contains("10d!"), "the secret expires soon");
        assert!(html.contains("<span>1</span> connected"));
    }

    #[test]
    fn a_tenant_without_decided_controls_shows_no_score_and_its_health() {
        let overviews = vec![tenant(
            "Fabrikam",
            ConnectionState::PermissionError,
            vec![score("overall", 0.0, 0)],
        )];
        let extras = vec![TenantExtras {
            failing: None,
            note: "findings not read: permission denied".to_owned(),
            ..TenantExtras::default()
        }];
        let html = render(&overviews, &extras, NOW);
        assert!(!html.contains(">0%"), "no decided control is no score, not 0%");
        assert!(html.contains("<td class=\"bad\">Permission Error"));
        assert!(html.contains("findings not read: permission denied"));
        assert!(html.contains("<span>1</span> need attention"));
    }

    #[test]
    fn fleet_columns_add_up_to_the_page_width() {
        for frameworks in 1..=6 {
            let scores = (0..frameworks)
                .map(|i| score(&format!("f{i}"), 50.0, 1))
                .collect();
            let html = render(&[tenant("A", ConnectionState::Connected, scores)], &[], NOW);
            let colgroup =
                &html[html.find("<colgroup>").expect("colgroup")..html.find("</colgroup>").expect("end")];
            let total: u32 = colgroup
                .split("width:")
                .skip(1)
                .filter_map(|w| w.split('%').next()?.parse::<u32>().ok())
                .sum();
            assert_eq!(total, 100, "{frameworks} frameworks: {colgroup}");
        }
    }
}
