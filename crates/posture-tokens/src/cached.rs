//! An access token as the broker keeps it: the secret value, when it expires (from the authority's
//! `expires_in`), when to refresh it (expiry minus the lead and a random jitter, fixed when it was
//! issued so every replica agrees), its roles and the credential version it was issued with.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use posture_graph::{AccessToken, Resource};
use rand::Rng;
use secrecy::SecretString;

#[derive(Clone)]
pub struct CachedToken {
    pub value: SecretString,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_at: DateTime<Utc>,
    pub roles: Vec<String>,
    pub credential_version: u64,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("value", &"[redacted]")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("refresh_at", &self.refresh_at)
            .field("roles", &self.roles)
            .field("credential_version", &self.credential_version)
            .finish()
    }
}

/// When cached tokens are refreshed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh this long before expiry.
    pub lead: Duration,
    /// Up to this much more lead, drawn per token, so tenants and replicas spread out.
    pub jitter: Duration,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        RefreshPolicy {
            lead: Duration::from_secs(300),
            jitter: Duration::from_secs(60),
        }
    }
}

impl RefreshPolicy {
    pub fn from_config(config: &posture_kit::config::TokensConfig) -> RefreshPolicy {
        RefreshPolicy {
            lead: Duration::from_secs(config.refresh_ahead_secs),
            jitter: Duration::from_secs(config.jitter_secs),
        }
    }

    /// The refresh instant of a token issued at `issued_at` that expires at `expires_at`. Never
    /// before the middle of its life, so a short-lived token is not refreshed on every call.
    pub fn refresh_at(&self, issued_at: DateTime<Utc>, expires_at: DateTime<Utc>) -> DateTime<Utc> {
        let jitter_ms = u64::try_from(self.jitter.as_millis()).unwrap_or(u64::MAX);
        let extra = if jitter_ms == 0 {
            0
        } else {
            rand::thread_rng().gen_range(0..=jitter_ms)
        };
        let lead = chrono::Duration::from_std(self.lead).unwrap_or(chrono::Duration::zero())
            + chrono::Duration::milliseconds(i64::try_from(extra).unwrap_or(i64::MAX));
        let halfway = issued_at + (expires_at - issued_at) / 2;
        (expires_at - lead).max(halfway)
    }
}

impl CachedToken {
    /// Wraps a token fresh from the authority. `now` is the broker's clock; the lifetime is taken
    /// from the token (which measured it from `expires_in`) against the wall clock, so a test clock
    /// can move the broker's time without the authority knowing.
    pub fn issued(
        token: &AccessToken,
        now: DateTime<Utc>,
        credential_version: u64,
        policy: &RefreshPolicy,
    ) -> CachedToken {
        let lifetime = (token.expires_at() - Utc::now()).max(chrono::Duration::zero());
        let expires_at = now + lifetime;
        CachedToken {
            value: token.secret().clone(),
            issued_at: now,
            expires_at,
            refresh_at: policy.refresh_at(now, expires_at),
            roles: token.roles().to_vec(),
            credential_version,
        }
    }

    /// Good to hand out at `now` to a caller that needs `min_valid` of remaining life.
    pub fn serves(&self, now: DateTime<Utc>, min_valid: Duration) -> bool {
        let min_valid = chrono::Duration::from_std(min_valid).unwrap_or(chrono::Duration::MAX);
        now < self.refresh_at && self.expires_at - now >= min_valid
    }

    /// Still usable at all (not expired).
    pub fn alive_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// The token as posture-graph's clients take it, with the remaining lifetime measured at `now`.
    pub fn to_access_token(&self, resource: Resource, now: DateTime<Utc>) -> AccessToken {
        let remaining = (self.expires_at - now).to_std().unwrap_or(Duration::ZERO);
        AccessToken::new(self.value.clone(), resource, remaining, Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_780_000_000 + secs, 0).expect("valid time")
    }

    #[test]
    fn refresh_happens_lead_plus_jitter_before_expiry() {
        let policy = RefreshPolicy {
            lead: Duration::from_secs(300),
            jitter: Duration::from_secs(60),
        };
        for _ in 0..50 {
            let refresh = policy.refresh_at(at(0), at(3600));
            assert!(refresh <= at(3300), "{refresh}");
            assert!(refresh >= at(3240), "{refresh}");
        }
    }

    #[test]
    fn short_lived_tokens_are_kept_for_half_their_life() {
        let policy = RefreshPolicy::default();
        assert_eq!(policy.refresh_at(at(0), at(120)), at(60));
    }

    #[test]
    fn a_token_serves_until_its_refresh_time_and_only_with_enough_life_left() {
        let token = CachedToken {
            value: SecretString::from("eyJ.secret-token-value.sig"),
            issued_at: at(0),
            expires_at: at(3600),
            refresh_at: at(3300),
            roles: vec![],
            credential_version: 1,
        };
        assert!(token.serves(at(10), Duration::from_secs(300)));
        assert!(!token.serves(at(3300), Duration::from_secs(0)));
        assert!(!token.serves(at(100), Duration::from_secs(3550)));
        assert!(token.alive_at(at(3599)));
        assert!(!format!("{token:?}").contains("secret-token-value"));
    }
}
