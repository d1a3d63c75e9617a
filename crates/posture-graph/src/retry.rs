//! When to try again: `Retry-After` (seconds, possibly decimal, or an HTTP-date) when the service
//! sends one, exponential backoff with full jitter when it does not (Conditional Access and Intune
//! 429s), and a bounded number of attempts so one sick endpoint cannot hold a worker forever.

use std::time::Duration;

use chrono::{DateTime, Utc};
use http::HeaderMap;
use rand::Rng;

/// How many times and how patiently a request is retried.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total, the first one included.
    pub max_attempts: u32,
    /// First backoff step when the service gives no Retry-After.
    pub base_delay: Duration,
    /// Upper bound of one backoff step.
    pub max_delay: Duration,
    /// A Retry-After longer than this is not waited out; the request fails as throttled and the
    /// caller (the sync scheduler) reschedules instead of parking a worker.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Exponential backoff with full jitter for the given retry number (1 = first retry):
    /// a uniform pick in `[step/2, step]` where `step = min(base * 2^(n-1), max)`. The lower half
    /// bound keeps a retry from landing immediately after the failure.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let step = self.base_delay.saturating_mul(1u32 << exp).min(self.max_delay);
        let half = step / 2;
        let spread = step.saturating_sub(half).as_nanos() as u64;
        let extra = if spread == 0 {
            0
        } else {
            rand::thread_rng().gen_range(0..=spread)
        };
        half + Duration::from_nanos(extra)
    }
}

/// Parse a `Retry-After` header value: delta-seconds (integer or decimal, rounded up to the next
/// millisecond) or an HTTP-date, relative to `now`. A date in the past means "now".
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return None;
        }
        let millis = (secs * 1000.0).ceil();
        // Cap absurd values rather than overflow; a day is already "reschedule".
        let millis = millis.min(86_400_000.0) as u64;
        return Some(Duration::from_millis(millis));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?.with_timezone(&Utc);
    Some((when - now).to_std().unwrap_or(Duration::ZERO))
}

/// The `Retry-After` of a response, if present and readable.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(http::header::RETRY_AFTER)?.to_str().ok()?;
    parse_retry_after(value, Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    #[test]
    fn retry_after_accepts_integer_and_decimal_seconds() {
        assert_eq!(parse_retry_after("5", now()), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_retry_after("2.128", now()),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after(" 0.0001 ", now()),
            Some(Duration::from_millis(1))
        );
        assert_eq!(parse_retry_after("0", now()), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_accepts_http_dates() {
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 12:00:30 GMT", now()),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sat, 21 Nov 2026 11:00:00 GMT", now()),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn retry_after_rejects_garbage_and_negatives() {
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("-3", now()), None);
        assert_eq!(parse_retry_after("NaN", now()), None);
        assert_eq!(
            parse_retry_after("1e300", now()),
            Some(Duration::from_secs(86_400))
        );
    }

    #[test]
    fn backoff_grows_exponentially_within_jitter_bounds() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let capped = policy.backoff(30);
            assert!(capped >= Duration::from_secs(1) && capped <= Duration::from_secs(2));
        }
    }
}
