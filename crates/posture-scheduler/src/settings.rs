//! The role's settings: the default schedule from the `scheduler` configuration section, and how
//! often the active scheduler looks for due slots and renews its lease.

use std::time::Duration;

use posture_kit::config::SchedulerConfig;

use crate::cadence::{Cadence, MAX_WINDOW};
use crate::error::SchedulerError;
use crate::notify::DeliverySettings;

/// What a newly connected tenant's schedule looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleDefaults {
    pub cadence: Cadence,
    pub window: chrono::Duration,
}

impl ScheduleDefaults {
    /// Reads `scheduler.daily_at` (`HH:MM` UTC) and `scheduler.spread_minutes`.
    pub fn from_config(config: &SchedulerConfig) -> Result<Self, SchedulerError> {
        let bad = |reason: &str| SchedulerError::Config {
            key: "scheduler.daily_at",
            reason: format!(
                "`{}` {reason}",
                config.daily_at.chars().take(16).collect::<String>()
            ),
        };
        let (hour, minute) = config
            .daily_at
            .trim()
            .split_once(':')
            .ok_or_else(|| bad("is not HH:MM"))?;
        let hour: u32 = hour.parse().map_err(|_| bad("has no valid hour"))?;
        let minute: u32 = minute.parse().map_err(|_| bad("has no valid minute"))?;
        let cadence = Cadence::daily(hour, minute).ok_or_else(|| bad("is not a time of day"))?;
        let window = chrono::Duration::minutes(i64::from(config.spread_minutes));
        if window > MAX_WINDOW {
            return Err(SchedulerError::Config {
                key: "scheduler.spread_minutes",
                reason: format!("{} is more than 720 minutes", config.spread_minutes),
            });
        }
        Ok(Self { cadence, window })
    }
}

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    pub defaults: ScheduleDefaults,
    /// Time between looks for due slots; also the lease renewal period, so keep it well under the
    /// lease TTL (a third or less).
    pub tick: Duration,
    /// This scheduler's name in the lease (pod name, or a random id).
    pub holder: String,
    /// Most schedules fired in one tick; the rest wait for the next tick.
    pub batch: u32,
    /// How webhook notifications are sent and retried.
    pub notifications: DeliverySettings,
}

impl SchedulerSettings {
    pub fn from_config(config: &SchedulerConfig) -> Result<Self, SchedulerError> {
        Ok(Self {
            defaults: ScheduleDefaults::from_config(config)?,
            tick: Duration::from_secs(10),
            holder: format!("scheduler-{}", uuid::Uuid::new_v4()),
            batch: 500,
            notifications: DeliverySettings::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_schedule_comes_from_the_scheduler_section() {
        let config = SchedulerConfig {
            daily_at: "04:30".to_owned(),
            spread_minutes: 90,
        };
        let defaults = ScheduleDefaults::from_config(&config).expect("valid config");
        assert_eq!(defaults.cadence, Cadence::Daily { minute_of_day: 270 });
        assert_eq!(defaults.window, chrono::Duration::minutes(90));
    }

    #[test]
    fn malformed_daily_at_or_oversized_spread_is_refused() {
        for daily_at in ["4", "25:00", "03:60", "aa:bb", ""] {
            let config = SchedulerConfig {
                daily_at: daily_at.to_owned(),
                spread_minutes: 120,
            };
            assert!(ScheduleDefaults::from_config(&config).is_err(), "{daily_at}");
        }
        let config = SchedulerConfig {
            daily_at: "03:00".to_owned(),
            spread_minutes: 721,
        };
        assert!(ScheduleDefaults::from_config(&config).is_err());
    }
}
