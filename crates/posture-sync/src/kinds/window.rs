//! Event-like kinds read as "everything open, plus what was closed recently": Graph keeps months
//! of resolved alerts and incidents, and only the recent ones matter to the posture. The window
//! is a `$filter` computed when a pass starts, so it cannot be a static query pair of [`KindDef`].

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::Value;

use super::KindDef;

/// How long resolved alerts and incidents stay in the inventory after their last update.
pub const RESOLVED_WINDOW_DAYS: i64 = 30;

/// The kinds read through a window: (kind, the status value that means closed, the field that
/// holds the last update). Defender for Endpoint spells both its own way.
const WINDOWED: &[(&str, &str, &str)] = &[
    ("defender_alerts", "Resolved", "lastUpdateTime"),
    ("security_alerts", "resolved", "lastUpdateDateTime"),
    ("security_incidents", "resolved", "lastUpdateDateTime"),
];

/// The `$filter` that keeps every open object and the closed ones updated since
/// `now - RESOLVED_WINDOW_DAYS`, for a windowed kind.
pub fn filter(kind: &KindDef, now: DateTime<Utc>) -> Option<String> {
    let (_, closed, updated) = WINDOWED.iter().find(|(name, ..)| *name == kind.name)?;
    let since = (now - Duration::days(RESOLVED_WINDOW_DAYS)).to_rfc3339_opts(SecondsFormat::Secs, true);
    Some(format!("status ne '{closed}' or {updated} ge {since}"))
}

/// Whether a pass started at `now` reads `object` of `kind`: what [`filter`] asks Graph for
/// (every object of a kind without a window).
pub fn keeps(kind: &KindDef, object: &Value, now: DateTime<Utc>) -> bool {
    let Some((_, closed, updated)) = WINDOWED.iter().find(|(name, ..)| *name == kind.name) else {
        return true;
    };
    if object["status"].as_str() != Some(closed) {
        return true;
    }
    object[*updated]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| t >= now - Duration::days(RESOLVED_WINDOW_DAYS))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn alerts_and_incidents_keep_open_ones_and_recently_resolved_ones() {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
            .single()
            .expect("a valid instant");
        let alerts = super::super::find("security_alerts").expect("a registered kind");
        assert_eq!(
            filter(alerts, now).as_deref(),
            Some("status ne 'resolved' or lastUpdateDateTime ge 2026-05-02T12:00:00Z")
        );
        assert!(
            filter(
                super::super::find("security_incidents").expect("a registered kind"),
                now
            )
            .is_some()
        );
        assert!(
            filter(
                super::super::find("managed_devices").expect("a registered kind"),
                now
            )
            .is_none()
        );
        let resolved = |at: &str| serde_json::json!({"status": "resolved", "lastUpdateDateTime": at});
        assert!(keeps(alerts, &resolved("2026-05-10T00:00:00Z"), now));
        assert!(!keeps(alerts, &resolved("2026-04-10T00:00:00Z"), now));
        assert!(keeps(
            alerts,
            &serde_json::json!({"status": "new", "lastUpdateDateTime": "2025-01-01T00:00:00Z"}),
            now
        ));
        let mde = super::super::find("defender_alerts").expect("a registered kind");
        assert_eq!(
            filter(mde, now).as_deref(),
            Some("status ne 'Resolved' or lastUpdateTime ge 2026-05-02T12:00:00Z")
        );
        let mde_resolved = |at: &str| serde_json::json!({"status": "Resolved", "lastUpdateTime": at});
        assert!(keeps(mde, &mde_resolved("2026-05-10T00:00:00Z"), now));
        assert!(!keeps(mde, &mde_resolved("2026-04-10T00:00:00Z"), now));
    }
}
