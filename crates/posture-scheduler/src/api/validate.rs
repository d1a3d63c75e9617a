//! Request validation at the edge: tenant ids, update masks, cadences, windows, entity kinds and
//! page tokens. Every refusal names the field.

use posture_kit::ids::{PageToken, TenantId};
use posture_proto::v1::{Schedule, schedule};

use crate::cadence::{Cadence, MAX_WINDOW};
use crate::error::SchedulerError;
use crate::store::ListAfter;

const MAX_ENTITY_KINDS: usize = 64;
const MAX_KIND_LEN: usize = 64;

/// A tenant id as stored: the lower-case GUID.
pub fn tenant(field: &str, value: &str) -> Result<String, SchedulerError> {
    value
        .parse::<TenantId>()
        .map(|id| id.to_string())
        .map_err(|e| SchedulerError::invalid(field, format!("`{}` {}", e.value, e.reason)))
}

/// The changes an UpdateSchedule asks for, validated.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScheduleChange {
    pub enabled: Option<bool>,
    pub cadence: Option<Cadence>,
    pub window: Option<chrono::Duration>,
    pub entity_kinds: Option<Vec<String>>,
}

pub fn change(schedule: &Schedule, paths: &[String]) -> Result<ScheduleChange, SchedulerError> {
    if paths.is_empty() {
        return Err(SchedulerError::invalid(
            "update_mask",
            "must name at least one field",
        ));
    }
    let mut change = ScheduleChange::default();
    for path in paths {
        match path.as_str() {
            "enabled" => change.enabled = Some(schedule.enabled),
            "daily" | "interval" if change.cadence.is_some() => {
                return Err(SchedulerError::invalid(
                    "update_mask",
                    "`daily` and `interval` are exclusive: name one",
                ));
            }
            "daily" => change.cadence = Some(daily(schedule)?),
            "interval" => change.cadence = Some(interval(schedule)?),
            "window" => change.window = Some(window(schedule)?),
            "entity_kinds" => change.entity_kinds = Some(entity_kinds(&schedule.entity_kinds)?),
            other => {
                let shown: String = other.chars().take(64).collect();
                return Err(SchedulerError::invalid(
                    "update_mask",
                    format!(
                        "`{shown}` cannot be changed; allowed: enabled, daily, interval, window, entity_kinds"
                    ),
                ));
            }
        }
    }
    Ok(change)
}

fn daily(schedule: &Schedule) -> Result<Cadence, SchedulerError> {
    let Some(schedule::Cadence::Daily(daily)) = &schedule.cadence else {
        return Err(SchedulerError::invalid(
            "schedule.daily",
            "must be set when the mask names it",
        ));
    };
    if daily.hour_utc > 23 {
        return Err(SchedulerError::invalid(
            "schedule.daily.hour_utc",
            "must be 0 to 23",
        ));
    }
    Cadence::daily(daily.hour_utc, daily.minute_utc)
        .ok_or_else(|| SchedulerError::invalid("schedule.daily.minute_utc", "must be 0 to 59"))
}

fn interval(schedule: &Schedule) -> Result<Cadence, SchedulerError> {
    let every = match &schedule.cadence {
        Some(schedule::Cadence::Interval(interval)) => interval.every,
        _ => None,
    };
    let Some(every) = every else {
        return Err(SchedulerError::invalid(
            "schedule.interval.every",
            "must be set when the mask names `interval`",
        ));
    };
    let field = "schedule.interval.every";
    let every = whole_seconds(field, &every)?;
    Cadence::interval(every).ok_or_else(|| SchedulerError::invalid(field, "must be 15 minutes to 7 days"))
}

fn window(schedule: &Schedule) -> Result<chrono::Duration, SchedulerError> {
    let field = "schedule.window";
    let Some(window) = &schedule.window else {
        return Err(SchedulerError::invalid(
            field,
            "must be set when the mask names it",
        ));
    };
    let window = whole_seconds(field, window)?;
    if window < chrono::Duration::zero() || window > MAX_WINDOW {
        return Err(SchedulerError::invalid(field, "must be 0 to 12 hours"));
    }
    Ok(window)
}

fn whole_seconds(field: &str, span: &prost_types::Duration) -> Result<chrono::Duration, SchedulerError> {
    if span.nanos != 0 {
        return Err(SchedulerError::invalid(field, "must be whole seconds"));
    }
    // Bounded first so the conversion below cannot overflow on a hostile value.
    if !(-1_000_000_000..=1_000_000_000).contains(&span.seconds) {
        return Err(SchedulerError::invalid(field, "is out of range"));
    }
    Ok(chrono::Duration::seconds(span.seconds))
}

fn entity_kinds(kinds: &[String]) -> Result<Vec<String>, SchedulerError> {
    if kinds.len() > MAX_ENTITY_KINDS {
        return Err(SchedulerError::invalid(
            "schedule.entity_kinds",
            format!("must list at most {MAX_ENTITY_KINDS} kinds"),
        ));
    }
    let mut valid = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let lower_snake = !kind.is_empty()
            && kind.len() <= MAX_KIND_LEN
            && kind.starts_with(|c: char| c.is_ascii_lowercase())
            && kind
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !lower_snake {
            let shown: String = kind.chars().take(MAX_KIND_LEN).collect();
            return Err(SchedulerError::invalid(
                "schedule.entity_kinds",
                format!("`{shown}` is not an entity kind name (lower snake case, e.g. `users`)"),
            ));
        }
        valid.push(kind.clone());
    }
    valid.sort_unstable();
    valid.dedup();
    Ok(valid)
}

/// Page tokens carry the filter they were issued for, so a token is refused with other filters.
pub fn page_token(token: &str, enabled_only: bool) -> Result<Option<ListAfter>, SchedulerError> {
    let invalid = || SchedulerError::invalid("page_token", "is not a page token of this listing");
    let Some(decoded) = PageToken::decode(token)? else {
        return Ok(None);
    };
    let PageToken::Cursor(cursor) = decoded else {
        return Err(invalid());
    };
    let mut parts = cursor.splitn(3, '/');
    let (Some(filter), Some(next), Some(tenant)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid());
    };
    if filter != filter_tag(enabled_only) {
        return Err(SchedulerError::invalid(
            "page_token",
            "was issued for other filters; start again without a token",
        ));
    }
    Ok(Some(ListAfter {
        next_run_at: next.parse().map_err(|_| invalid())?,
        tenant_id: tenant.to_owned(),
    }))
}

pub fn next_page_token(after: &ListAfter, enabled_only: bool) -> String {
    PageToken::Cursor(format!(
        "{}/{}/{}",
        filter_tag(enabled_only),
        after.next_run_at,
        after.tenant_id
    ))
    .encode()
}

fn filter_tag(enabled_only: bool) -> &'static str {
    if enabled_only { "enabled" } else { "all" }
}

#[cfg(test)]
mod tests {
    use super::*;
    use posture_proto::v1::{DailyCadence, IntervalCadence};

    fn with_cadence(cadence: schedule::Cadence) -> Schedule {
        Schedule {
            cadence: Some(cadence),
            ..Default::default()
        }
    }

    fn paths(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn update_mask_paths_outside_the_documented_set_are_refused() {
        let schedule = Schedule::default();
        for bad in [
            &[][..],
            &["tenant_id"],
            &["next_run_at"],
            &["enabled", "last_run_id"],
        ] {
            let err = change(&schedule, &paths(bad)).expect_err("refused");
            assert!(err.to_string().contains("update_mask"), "{err}");
        }
    }

    #[test]
    fn cadences_and_windows_outside_their_ranges_are_refused() {
        let daily = |h, m| {
            with_cadence(schedule::Cadence::Daily(DailyCadence {
                hour_utc: h,
                minute_utc: m,
            }))
        };
        assert!(change(&daily(24, 0), &paths(&["daily"])).is_err());
        assert!(change(&daily(3, 60), &paths(&["daily"])).is_err());
        assert!(change(&daily(3, 0), &paths(&["interval"])).is_err());
        assert!(change(&daily(3, 0), &paths(&["daily", "interval"])).is_err());
        let every = |seconds| {
            with_cadence(schedule::Cadence::Interval(IntervalCadence {
                every: Some(prost_types::Duration { seconds, nanos: 0 }),
            }))
        };
        assert!(change(&every(14 * 60), &paths(&["interval"])).is_err());
        assert!(change(&every(8 * 86_400), &paths(&["interval"])).is_err());
        assert!(change(&every(i64::MAX), &paths(&["interval"])).is_err());
        assert_eq!(
            change(&every(3600), &paths(&["interval"]))
                .expect("valid")
                .cadence,
            Cadence::interval(chrono::Duration::hours(1))
        );
        let window = |seconds| Schedule {
            window: Some(prost_types::Duration { seconds, nanos: 0 }),
            ..Default::default()
        };
        assert!(change(&window(-1), &paths(&["window"])).is_err());
        assert!(change(&window(12 * 3600 + 1), &paths(&["window"])).is_err());
        assert!(change(&Schedule::default(), &paths(&["window"])).is_err());
    }

    #[test]
    fn entity_kinds_must_be_lower_snake_case_names() {
        let kinds = |list: &[&str]| Schedule {
            entity_kinds: paths(list),
            ..Default::default()
        };
        for bad in [&["Users"][..], &["users.x"], &[""], &["a b"], &["1users"]] {
            assert!(change(&kinds(bad), &paths(&["entity_kinds"])).is_err(), "{bad:?}");
        }
        let ok = change(&kinds(&["users", "groups", "users"]), &paths(&["entity_kinds"])).expect("valid");
        assert_eq!(ok.entity_kinds, Some(paths(&["groups", "users"])));
    }

    #[test]
    fn page_tokens_round_trip_only_with_the_same_filter() {
        let after = ListAfter {
            next_run_at: 1_770_000_000,
            tenant_id: "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".to_owned(),
        };
        let token = next_page_token(&after, true);
        assert_eq!(page_token(&token, true).expect("valid"), Some(after));
        assert!(page_token(&token, false).is_err());
        assert!(page_token("garbage!", false).is_err());
        assert_eq!(page_token("", false).expect("first page"), None);
    }
}
