//! Subjects and the streams they live in. A subject is `{prefix}.{stream}.{token}...`; tokens carry
//! the entity kind and the tenant, and are validated so that an id can never widen or split a subject.

use std::fmt;

use crate::error::SubjectError;

/// Longest token accepted; tenant ids and entity kinds are far shorter, and NATS subjects should stay small.
const MAX_TOKEN_LEN: usize = 128;

/// The subject namespace of one deployment (default `posture`); tests use a random prefix each so they
/// can share one NATS server. Stream names derive from it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Prefix(String);

impl Prefix {
    pub fn new(prefix: impl Into<String>) -> Result<Self, SubjectError> {
        let prefix = prefix.into();
        validate_token(&prefix)?;
        // Stream names are built from the prefix, and NATS allows fewer characters there than in subjects.
        if !prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(SubjectError::InvalidPrefix(prefix));
        }
        Ok(Self(prefix))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Name of the JetStream stream that holds `kind` under this prefix, e.g. `posture_jobs`.
    pub fn stream_name(&self, kind: StreamKind) -> String {
        format!("{}_{}", self.0, kind.token())
    }

    /// All subjects of one stream, e.g. `posture.jobs.>`.
    pub fn stream_subjects(&self, kind: StreamKind) -> String {
        format!("{}.{}.>", self.0, kind.token())
    }
}

impl Default for Prefix {
    fn default() -> Self {
        Self("posture".to_owned())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The three streams of the bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Work queue: each job goes to one member of the one consumer whose filter matches it.
    Jobs,
    /// Events with limited retention: every durable group sees every event.
    Events,
    /// Dead letters: messages that were terminated, with the reason.
    Dead,
}

impl StreamKind {
    pub const ALL: [StreamKind; 3] = [StreamKind::Jobs, StreamKind::Events, StreamKind::Dead];

    pub fn token(self) -> &'static str {
        match self {
            StreamKind::Jobs => "jobs",
            StreamKind::Events => "events",
            StreamKind::Dead => "dead",
        }
    }

    pub(crate) fn from_token(token: &str) -> Option<Self> {
        StreamKind::ALL.into_iter().find(|k| k.token() == token)
    }
}

/// A concrete subject below a stream, without the prefix: `Subject::jobs().token("sync")?.token(tenant)?`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Subject {
    kind: StreamKind,
    tokens: Vec<String>,
}

impl Subject {
    pub fn jobs() -> SubjectBuilder {
        SubjectBuilder {
            kind: StreamKind::Jobs,
            tokens: Vec::new(),
        }
    }

    pub fn events() -> SubjectBuilder {
        SubjectBuilder {
            kind: StreamKind::Events,
            tokens: Vec::new(),
        }
    }

    /// Builds a subject from its tokens in one call, validating each.
    pub fn new<I, T>(kind: StreamKind, tokens: I) -> Result<Self, SubjectError>
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let mut builder = SubjectBuilder {
            kind,
            tokens: Vec::new(),
        };
        for token in tokens {
            builder = builder.token(token)?;
        }
        builder.build()
    }

    /// A subject from tokens the caller has already validated (the crate's own topics).
    pub(crate) fn from_parts(kind: StreamKind, tokens: Vec<String>) -> Self {
        debug_assert!(!tokens.is_empty() && tokens.iter().all(|t| validate_token(t).is_ok()));
        Self { kind, tokens }
    }

    /// Parses a full subject as seen on the wire back into its parts, if it belongs to `prefix`.
    pub fn parse(prefix: &Prefix, full: &str) -> Result<Self, SubjectError> {
        let mut parts = full.split('.');
        if parts.next() != Some(prefix.as_str()) {
            return Err(SubjectError::ForeignSubject(full.to_owned()));
        }
        let kind = parts
            .next()
            .and_then(StreamKind::from_token)
            .ok_or_else(|| SubjectError::ForeignSubject(full.to_owned()))?;
        Subject::new(kind, parts)
    }

    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// The tokens after the stream token, e.g. `["sync", "users", "<tenant>"]`.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The subject on the wire: `{prefix}.{stream}.{tokens}`.
    pub fn render(&self, prefix: &Prefix) -> String {
        format!("{}.{}.{}", prefix, self.kind.token(), self.tokens.join("."))
    }

    /// The subject a dead letter for a message on this subject is written to: `dead.{stream}.{tokens}`.
    pub fn dead_letter(&self) -> Subject {
        let mut tokens = Vec::with_capacity(self.tokens.len() + 1);
        tokens.push(self.kind.token().to_owned());
        tokens.extend(self.tokens.iter().cloned());
        Subject {
            kind: StreamKind::Dead,
            tokens,
        }
    }
}

/// Builder that validates each token as it is added.
#[derive(Clone, Debug)]
pub struct SubjectBuilder {
    kind: StreamKind,
    tokens: Vec<String>,
}

impl SubjectBuilder {
    pub fn token(mut self, token: impl Into<String>) -> Result<Self, SubjectError> {
        let token = token.into();
        validate_token(&token)?;
        self.tokens.push(token);
        Ok(self)
    }

    pub fn build(self) -> Result<Subject, SubjectError> {
        if self.tokens.is_empty() {
            return Err(SubjectError::Empty);
        }
        Ok(Subject {
            kind: self.kind,
            tokens: self.tokens,
        })
    }
}

/// One position of a filter: a literal token, `*` (any one token) or `>` (the rest).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FilterToken {
    Literal(String),
    AnyOne,
    Rest,
}

/// What a consumer takes from its stream, e.g. `jobs.sync.users.*` or `events.>`.
/// One filter per consumer, because nats-server 2.9 allows only one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubjectFilter {
    kind: StreamKind,
    tokens: Vec<FilterToken>,
}

impl SubjectFilter {
    /// A filter over `kind` that starts with the given literal tokens; finish with `any`, `rest` or
    /// more `token`s. With no further tokens it matches the literal subject only.
    pub fn new<I, T>(kind: StreamKind, literals: I) -> Result<Self, SubjectError>
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        let mut filter = SubjectFilter {
            kind,
            tokens: Vec::new(),
        };
        for token in literals {
            filter = filter.token(token)?;
        }
        Ok(filter)
    }

    /// `{stream}.{literals...}.*` from literals the caller has already validated.
    pub(crate) fn literal_then_any(kind: StreamKind, literals: &[&str]) -> Self {
        debug_assert!(literals.iter().all(|t| validate_token(t).is_ok()));
        let mut tokens: Vec<FilterToken> = literals
            .iter()
            .map(|t| FilterToken::Literal((*t).to_owned()))
            .collect();
        tokens.push(FilterToken::AnyOne);
        SubjectFilter { kind, tokens }
    }

    /// Everything in the stream: `{stream}.>`.
    pub fn all(kind: StreamKind) -> Self {
        SubjectFilter {
            kind,
            tokens: vec![FilterToken::Rest],
        }
    }

    pub fn token(mut self, token: impl Into<String>) -> Result<Self, SubjectError> {
        let token = token.into();
        validate_token(&token)?;
        self.ensure_open()?;
        self.tokens.push(FilterToken::Literal(token));
        Ok(self)
    }

    /// Matches any one token at this position (`*`).
    pub fn any(mut self) -> Result<Self, SubjectError> {
        self.ensure_open()?;
        self.tokens.push(FilterToken::AnyOne);
        Ok(self)
    }

    /// Matches one or more remaining tokens (`>`); nothing may follow it.
    pub fn rest(mut self) -> Result<Self, SubjectError> {
        self.ensure_open()?;
        self.tokens.push(FilterToken::Rest);
        Ok(self)
    }

    fn ensure_open(&self) -> Result<(), SubjectError> {
        if self.tokens.last() == Some(&FilterToken::Rest) {
            return Err(SubjectError::TokenAfterRest);
        }
        Ok(())
    }

    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// A filter without tokens matches nothing and NATS refuses it.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn render(&self, prefix: &Prefix) -> Result<String, SubjectError> {
        if self.tokens.is_empty() {
            return Err(SubjectError::Empty);
        }
        let tokens: Vec<&str> = self
            .tokens
            .iter()
            .map(|t| match t {
                FilterToken::Literal(s) => s.as_str(),
                FilterToken::AnyOne => "*",
                FilterToken::Rest => ">",
            })
            .collect();
        Ok(format!("{}.{}.{}", prefix, self.kind.token(), tokens.join(".")))
    }

    pub fn matches(&self, subject: &Subject) -> bool {
        if subject.kind != self.kind {
            return false;
        }
        let mut subject_tokens = subject.tokens.iter();
        for filter_token in &self.tokens {
            match filter_token {
                FilterToken::Rest => return subject_tokens.next().is_some(),
                FilterToken::AnyOne => {
                    if subject_tokens.next().is_none() {
                        return false;
                    }
                }
                FilterToken::Literal(lit) => {
                    if subject_tokens.next() != Some(lit) {
                        return false;
                    }
                }
            }
        }
        subject_tokens.next().is_none() && !self.tokens.is_empty()
    }

    /// Whether some subject could match both filters (a work queue forbids overlapping consumers).
    pub fn overlaps(&self, other: &SubjectFilter) -> bool {
        if self.kind != other.kind {
            return false;
        }
        let (a, b) = (&self.tokens, &other.tokens);
        let mut i = 0;
        loop {
            match (a.get(i), b.get(i)) {
                (Some(FilterToken::Rest), Some(_)) | (Some(_), Some(FilterToken::Rest)) => return true,
                (None, None) => return true,
                (None, Some(_)) | (Some(_), None) => return false,
                (Some(FilterToken::Literal(x)), Some(FilterToken::Literal(y))) if x != y => return false,
                _ => i += 1,
            }
        }
    }
}

/// A token is one non-empty subject segment without separators, wildcards, whitespace or control
/// characters. Ids from outside (tenant ids, entity kinds) pass through here before reaching NATS.
pub fn validate_token(token: &str) -> Result<(), SubjectError> {
    if token.is_empty() {
        return Err(SubjectError::EmptyToken);
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(SubjectError::TokenTooLong {
            len: token.len(),
            max: MAX_TOKEN_LEN,
        });
    }
    if let Some(bad) = token
        .chars()
        .find(|c| matches!(c, '.' | '*' | '>') || c.is_whitespace() || c.is_control())
    {
        return Err(SubjectError::InvalidToken {
            token: token.escape_debug().to_string(),
            bad,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests;
