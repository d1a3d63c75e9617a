//! Secret-safe rendering of configuration values. Connection URLs keep scheme, user, host and
//! database (what an operator needs to debug) and lose passwords, in userinfo or in the query.

use secrecy::{ExposeSecret, SecretString};
use serde::Serializer;

const MASK: &str = "****";

/// `postgres://posture:s3cret@db:5432/posture?password=x` → `postgres://posture:****@db:5432/posture?password=****`.
pub fn redact_connection_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            // Split at the last `@` so a password containing `/` or `@` is masked whole.
            Some((userinfo, host_and_path)) => match userinfo.split_once(':') {
                Some((user, _password)) => format!("{scheme}://{user}:{MASK}@{host_and_path}"),
                // A lone userinfo part may itself be a token (`nats://token@host`).
                None if scheme.starts_with("nats") || scheme == "tls" => {
                    format!("{scheme}://{MASK}@{host_and_path}")
                }
                None => format!("{scheme}://{userinfo}@{host_and_path}"),
            },
            None => before_query.to_owned(),
        },
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if is_secret_param(key) => format!("{key}={MASK}"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
}

fn is_secret_param(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pass", "secret", "token", "key"]
        .iter()
        .any(|word| key.contains(word))
}

pub(crate) fn redact_url<S: Serializer>(url: &SecretString, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&redact_connection_url(url.expose_secret()))
}

pub(crate) fn redact_optional_url<S: Serializer>(
    url: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match url {
        Some(url) => redact_url(url, serializer),
        None => serializer.serialize_none(),
    }
}

/// A secret that is no URL (an access key): shown only as set or not.
pub(crate) fn redact_optional_secret<S: Serializer>(
    secret: &Option<SecretString>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => serializer.serialize_str(MASK),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_userinfo_and_query_are_masked() {
        assert_eq!(
            redact_connection_url("postgres://posture:s3cret@db:5432/posture?sslmode=require&password=x"),
            "postgres://posture:****@db:5432/posture?sslmode=require&password=****"
        );
        assert_eq!(
            redact_connection_url("nats://tok3n@nats:4222"),
            "nats://****@nats:4222"
        );
        assert_eq!(
            redact_connection_url("nats://u:p@nats:4222"),
            "nats://u:****@nats:4222"
        );
        assert_eq!(
            redact_connection_url("postgres://u:a/b@c@db/posture"),
            "postgres://u:****@db/posture"
        );
    }

    #[test]
    fn urls_without_secrets_are_unchanged() {
        for url in [
            "sqlite://posture-data/posture.db",
            "postgres://postgres@127.0.0.1:5432/posture",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_connection_url(url), url);
        }
    }
}
