//! Request validation at the edge: tenant ids, update masks, cadences, windows, entity kinds and
//! page tokens. Every refusal names the field.

use posture_kit::ids::TenantId;
use posture_kit::paging::Keyset;
use posture_proto::v1::{Schedule, schedule};

use crate::cadence::{Cadence, MAX_WINDOW};
use crate::error::SchedulerError;
use crate::store::{ListAfter, ScheduleRecord};

const MAX_ENTITY_KINDS: usize = 64;
const MAX_KIND_LEN: usize = 64;

/// A tenant id from a request or event; a refusal names `field` (e.g. `schedule.tenant_id`).
pub fn tenant(field: &str, value: &str) -> Result<TenantId, SchedulerError> {
    value
        .parse::<TenantId>()
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

/// The schedule listing with its filter: a page token issued for one filter is refused with
/// the other.
pub fn listing(enabled_only: bool) -> Keyset {
    Keyset::new("schedules", if enabled_only { "enabled" } else { "all" })
}

/// Where a listing page resumes: after the (next run, tenant) key of the previous page's last row.
pub fn page_start(listing: &Keyset, token: &str) -> Result<Option<ListAfter>, SchedulerError> {
    let Some(position) = listing.resume(token)? else {
        return Ok(None);
    };
    let tenant_id = position
        .text(1)?
        .parse()
        .map_err(|_| SchedulerError::invalid("page_token", "is not a page token returned by this API"))?;
    Ok(Some(ListAfter {
        next_run_at: position.int(0)?,
        tenant_id,
    }))
}

/// The key a page resumes after, as [`page_start`] reads it.
pub fn page_key(record: &ScheduleRecord) -> [String; 2] {
    [
        record.next_run_at.timestamp().to_string(),
        record.tenant_id.to_string(),
    ]
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
        let tenant: TenantId = "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("a GUID");
        let now = chrono::DateTime::from_timestamp(1_770_000_000, 0).expect("an instant");
        let record = ScheduleRecord::new(
            tenant,
            Cadence::Interval {
                every: chrono::Duration::hours(1),
            },
            chrono::Duration::zero(),
            now,
        );
        let token = listing(true).token_after(page_key(&record));
        let after = page_start(&listing(true), &token).expect("valid");
        assert_eq!(
            after,
            Some(ListAfter {
                next_run_at: record.next_run_at.timestamp(),
                tenant_id: tenant,
            })
        );
        assert!(page_start(&listing(false), &token).is_err());
        assert!(page_start(&listing(false), "garbage!").is_err());
        assert_eq!(page_start(&listing(false), "").expect("first page"), None);
        let not_a_tenant = listing(true).token_after(["1", "contoso"]);
        assert!(page_start(&listing(true), &not_a_tenant).is_err());
    }
}
