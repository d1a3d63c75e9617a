//! The sim clock: a fixed epoch plus explicit advances (and, optionally, wall time elapsed).
//! Token lifetimes, delta token expiry, secret expiry and retention windows all read it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

#[derive(Debug)]
pub struct SimClock {
    epoch: DateTime<Utc>,
    runs: bool,
    started: Instant,
    advanced: Mutex<Duration>,
}

impl SimClock {
    pub fn new(epoch: DateTime<Utc>, runs: bool) -> Self {
        SimClock {
            epoch,
            runs,
            started: Instant::now(),
            advanced: Mutex::new(Duration::ZERO),
        }
    }

    pub fn epoch(&self) -> DateTime<Utc> {
        self.epoch
    }

    pub fn now(&self) -> DateTime<Utc> {
        let advanced = *self.advanced.lock().unwrap_or_else(|e| e.into_inner());
        let wall = if self.runs {
            self.started.elapsed()
        } else {
            Duration::ZERO
        };
        self.epoch + chrono::Duration::from_std(advanced + wall).unwrap_or_default()
    }

    pub fn advance(&self, by: Duration) {
        let mut guard = self.advanced.lock().unwrap_or_else(|e| e.into_inner());
        // An absurd advance saturates instead of overflowing.
        *guard = guard
            .checked_add(by)
            .unwrap_or(*guard)
            .min(Duration::from_secs(100 * 365 * 86_400));
    }
}

/// Graph's `innerError.date` form: no fractional seconds, no `Z`.
pub fn graph_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// ISO 8601 with `Z`, as Graph serialises DateTimeOffset values (hot path: no format parsing).
pub fn iso(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
