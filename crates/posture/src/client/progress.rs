//! Following a sync run: the latest view of the run folded from the watch stream, one progress line
//! per entity kind (indicatif spinners on a terminal, plain lines otherwise), and what the run,
//! inventory, assessment and exception commands share: readable times, durations, short cells and
//! not-found errors that name the command listing the right ids.

use std::collections::BTreeMap;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use posture_proto::v1::{
    EntityCounts, EntitySync, EntitySyncState, FailureReason, SyncRun, SyncRunState, WatchSyncRunResponse,
    watch_sync_run_response::Update,
};

use serde_json::json;

/// `2026-11-21 23:49 UTC`; "invalid time" rather than a panic on an out-of-range value.
pub fn ts(t: &prost_types::Timestamp) -> String {
    chrono::DateTime::from_timestamp(t.seconds, 0).map_or_else(
        || "invalid time".into(),
        |d| d.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

pub fn ts_opt(t: Option<&prost_types::Timestamp>) -> String {
    t.map_or_else(|| "-".into(), ts)
}

/// `850ms`, `42s`, `3m 05s`, `2h 03m`; `-` when unknown or negative.
pub fn duration_text(d: Option<&prost_types::Duration>) -> String {
    let Some(d) = d else { return "-".into() };
    if d.seconds < 0 || d.nanos < 0 {
        return "-".into();
    }
    let secs = d.seconds;
    match secs {
        0 => format!("{}ms", d.nanos / 1_000_000),
        1..=59 => format!("{secs}s"),
        60..=3599 => format!("{}m {:02}s", secs / 60, secs % 60),
        _ => format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60),
    }
}

/// RFC 3339 for scripts; null when unset or out of range.
pub fn timestamp_json(t: Option<&prost_types::Timestamp>) -> serde_json::Value {
    t.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .map_or(serde_json::Value::Null, |d| json!(d.to_rfc3339()))
}

pub fn duration_seconds(d: Option<&prost_types::Duration>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| {
        json!(d.seconds as f64 + f64::from(d.nanos) / 1e9)
    })
}

/// Like `status::explain`, but a NOT_FOUND names the command that lists what does exist (the
/// general hint is about tenant ids, and here the tenant is usually fine).
pub fn explain_missing(action: &str, status: tonic::Status, list_command: &str) -> anyhow::Error {
    if status.code() == tonic::Code::NotFound {
        return anyhow::anyhow!("{action} failed: {} (see `{list_command}`)", status.message());
    }
    super::status::explain(action, status)
}

/// Cuts long names and reasons so a table row stays on one line of a normal terminal.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

pub fn run_state_label(state: i32) -> &'static str {
    match SyncRunState::try_from(state).unwrap_or(SyncRunState::Unspecified) {
        SyncRunState::Unspecified => "unknown",
        SyncRunState::Pending => "pending",
        SyncRunState::Running => "running",
        SyncRunState::Succeeded => "succeeded",
        SyncRunState::PartiallySucceeded => "partially succeeded",
        SyncRunState::Failed => "failed",
        SyncRunState::Cancelled => "cancelled",
    }
}

pub fn entity_state_label(state: i32) -> &'static str {
    match EntitySyncState::try_from(state).unwrap_or(EntitySyncState::Unspecified) {
        EntitySyncState::Unspecified => "unknown",
        EntitySyncState::Pending => "pending",
        EntitySyncState::Running => "running",
        EntitySyncState::Succeeded => "succeeded",
        EntitySyncState::Failed => "failed",
        EntitySyncState::Skipped => "skipped",
    }
}

pub fn is_terminal(run_state: i32) -> bool {
    matches!(
        SyncRunState::try_from(run_state).unwrap_or(SyncRunState::Unspecified),
        SyncRunState::Succeeded
            | SyncRunState::PartiallySucceeded
            | SyncRunState::Failed
            | SyncRunState::Cancelled
    )
}

fn entity_done(state: i32) -> bool {
    matches!(
        EntitySyncState::try_from(state).unwrap_or(EntitySyncState::Unspecified),
        EntitySyncState::Succeeded | EntitySyncState::Failed | EntitySyncState::Skipped
    )
}

pub fn objects(c: &EntityCounts) -> u64 {
    c.added.saturating_add(c.changed).saturating_add(c.unchanged)
}

/// `+3 ~1 -0 =120`: added, changed, removed, unchanged.
pub fn counts_text(c: Option<&EntityCounts>) -> String {
    let c = c.copied().unwrap_or_default();
    format!("+{} ~{} -{} ={}", c.added, c.changed, c.removed, c.unchanged)
}

/// A reason that fits a table cell or a progress line: the code and the missing permissions, or
/// the code and the start of the message. `health::reason_text` has the full text.
pub fn short_reason(reason: &FailureReason) -> String {
    let head = if reason.code.is_empty() {
        "error"
    } else {
        reason.code.as_str()
    };
    if !reason.missing_permissions.is_empty() {
        return format!("{head}: missing {}", reason.missing_permissions.join(", "));
    }
    if reason.message.is_empty() {
        return head.to_owned();
    }
    shorten(&format!("{head}: {}", reason.message), 70)
}

/// One entity's progress: kind, state, pages, objects, counts, and the reason when there is one.
pub fn entity_line(e: &EntitySync) -> String {
    let counts = e.counts.unwrap_or_default();
    let mut line = format!(
        "{:<28} {:<9} {:>5} pages {:>8} objects  {}",
        e.entity_kind,
        entity_state_label(e.state),
        e.pages,
        objects(&counts),
        counts_text(Some(&counts)),
    );
    if e.attempt > 1 {
        line.push_str(&format!("  attempt {}", e.attempt));
    }
    if let Some(reason) = &e.error {
        line.push_str(&format!("  ({})", short_reason(reason)));
    }
    line
}

/// The run as known so far: the last snapshot with every later entity update applied.
#[derive(Debug, Default)]
pub struct RunView {
    pub run: SyncRun,
}

impl RunView {
    /// Folds one stream message in; returns the entities whose line should be redrawn.
    pub fn apply(&mut self, update: WatchSyncRunResponse) -> Vec<EntitySync> {
        if update.run_state != 0 {
            self.run.state = update.run_state;
        }
        match update.update {
            Some(Update::Snapshot(run)) => {
                self.run = run;
                self.run.entities.clone()
            }
            Some(Update::Entity(entity)) => {
                match self
                    .run
                    .entities
                    .iter_mut()
                    .find(|e| e.entity_kind == entity.entity_kind)
                {
                    Some(slot) => *slot = entity.clone(),
                    None => {
                        self.run.entities.push(entity.clone());
                        self.run
                            .entities
                            .sort_by(|a, b| a.entity_kind.cmp(&b.entity_kind));
                    }
                }
                vec![entity]
            }
            None => Vec::new(),
        }
    }

    pub fn finished(&self) -> bool {
        is_terminal(self.run.state)
    }
}

/// Where progress goes: live spinners on a terminal, one plain line per change otherwise (logs, CI).
pub enum ProgressDisplay {
    Bars {
        multi: MultiProgress,
        bars: BTreeMap<String, ProgressBar>,
    },
    Lines,
}

impl ProgressDisplay {
    pub fn new(terminal: bool) -> Self {
        if terminal {
            Self::Bars {
                multi: MultiProgress::new(),
                bars: BTreeMap::new(),
            }
        } else {
            Self::Lines
        }
    }

    pub fn show(&mut self, entities: &[EntitySync]) {
        match self {
            Self::Lines => entities.iter().for_each(|e| outln!("{}", entity_line(e))),
            Self::Bars { multi, bars } => {
                for e in entities {
                    let bar = bars.entry(e.entity_kind.clone()).or_insert_with(|| {
                        let style = ProgressStyle::with_template("{spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner());
                        let bar = multi.add(ProgressBar::new_spinner().with_style(style));
                        bar.enable_steady_tick(Duration::from_millis(120));
                        bar
                    });
                    if entity_done(e.state) {
                        bar.finish_with_message(entity_line(e));
                    } else {
                        bar.set_message(entity_line(e));
                    }
                }
            }
        }
    }

    /// Stops every spinner so the summary prints below them.
    pub fn finish(&mut self) {
        if let Self::Bars { bars, .. } = self {
            bars.values()
                .filter(|b| !b.is_finished())
                .for_each(ProgressBar::abandon);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(kind: &str, state: EntitySyncState, pages: u32) -> EntitySync {
        EntitySync {
            entity_kind: kind.into(),
            state: state as i32,
            pages,
            attempt: 1,
            counts: Some(EntityCounts {
                added: 10,
                changed: 2,
                removed: 1,
                unchanged: 88,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn durations_read_in_the_largest_sensible_unit() {
        let d = |seconds, nanos| Some(prost_types::Duration { seconds, nanos });
        assert_eq!(duration_text(d(0, 850_000_000).as_ref()), "850ms");
        assert_eq!(duration_text(d(42, 0).as_ref()), "42s");
        assert_eq!(duration_text(d(185, 0).as_ref()), "3m 05s");
        assert_eq!(duration_text(d(7380, 0).as_ref()), "2h 03m");
        assert_eq!(duration_text(d(-5, 0).as_ref()), "-");
        assert_eq!(duration_text(None), "-");
    }

    #[test]
    fn not_found_names_the_listing_command_and_other_codes_keep_the_general_hint() {
        let missing = tonic::Status::not_found("run `r1` not found");
        let text = explain_missing("watching the sync run", missing, "posture sync runs t1").to_string();
        assert_eq!(
            text,
            "watching the sync run failed: run `r1` not found (see `posture sync runs t1`)"
        );
        let denied = tonic::Status::unauthenticated("no key");
        let text = explain_missing("watching the sync run", denied, "posture sync runs t1").to_string();
        assert!(text.contains("POSTURE_API_KEY"), "{text}");
    }

    #[test]
    fn short_reason_prefers_missing_permissions_and_cuts_long_messages() {
        let throttled = FailureReason {
            code: "TooManyRequests".into(),
            message: "Microsoft kept throttling the calls after every retry; the next run picks up from the last page".into(),
            ..Default::default()
        };
        let text = short_reason(&throttled);
        assert!(
            text.starts_with("TooManyRequests: Microsoft kept") && text.ends_with('…'),
            "{text}"
        );
        assert_eq!(text.chars().count(), 70);
        assert_eq!(short_reason(&FailureReason::default()), "error");
    }

    #[test]
    fn shorten_cuts_on_characters_not_bytes() {
        assert_eq!(shorten("Zoë Müller", 20), "Zoë Müller");
        assert_eq!(shorten("Zoë Müller-Lüdenscheidt", 6), "Zoë M…");
        assert_eq!(shorten("abc", 0), "…");
    }

    #[test]
    fn timestamps_out_of_range_do_not_panic() {
        let t = prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert_eq!(ts(&t), "invalid time");
        let t = prost_types::Timestamp {
            seconds: 1_790_000_000,
            nanos: 0,
        };
        assert_eq!(ts(&t), "2026-09-21 14:13 UTC");
    }

    #[test]
    fn progress_line_shows_pages_objects_counts_and_the_failure_reason() {
        let mut e = entity("users", EntitySyncState::Failed, 3);
        e.attempt = 2;
        e.error = Some(FailureReason {
            code: "Authorization_RequestDenied".into(),
            message: "permission missing for GET /v1.0/users: needs User.Read.All".into(),
            missing_permissions: vec!["User.Read.All".into()],
            ..Default::default()
        });
        let line = entity_line(&e);
        assert!(line.starts_with("users "), "{line}");
        assert!(line.contains("failed"), "{line}");
        assert!(line.contains("3 pages"), "{line}");
        assert!(line.contains("100 objects"), "{line}");
        assert!(line.contains("+10 ~2 -1 =88"), "{line}");
        assert!(line.contains("attempt 2"), "{line}");
        assert!(
            line.ends_with("(Authorization_RequestDenied: missing User.Read.All)"),
            "{line}"
        );
    }

    #[test]
    fn entity_updates_replace_the_kind_in_the_snapshot_and_track_the_run_state() {
        let mut view = RunView::default();
        let snapshot = SyncRun {
            run_id: "r1".into(),
            state: SyncRunState::Running as i32,
            entities: vec![
                entity("groups", EntitySyncState::Pending, 0),
                entity("users", EntitySyncState::Running, 1),
            ],
            ..Default::default()
        };
        let changed = view.apply(WatchSyncRunResponse {
            update: Some(Update::Snapshot(snapshot)),
            run_state: SyncRunState::Running as i32,
            observed_at: None,
        });
        assert_eq!(changed.len(), 2);
        let changed = view.apply(WatchSyncRunResponse {
            update: Some(Update::Entity(entity("users", EntitySyncState::Succeeded, 7))),
            run_state: SyncRunState::Running as i32,
            observed_at: None,
        });
        assert_eq!(changed.len(), 1);
        assert_eq!(view.run.entities.len(), 2);
        assert_eq!(view.run.entities[1].pages, 7);
        assert!(!view.finished());
        view.apply(WatchSyncRunResponse {
            update: Some(Update::Entity(entity("devices", EntitySyncState::Failed, 1))),
            run_state: SyncRunState::PartiallySucceeded as i32,
            observed_at: None,
        });
        let kinds: Vec<_> = view.run.entities.iter().map(|e| e.entity_kind.as_str()).collect();
        assert_eq!(kinds, ["devices", "groups", "users"]);
        assert!(view.finished());
    }
}
