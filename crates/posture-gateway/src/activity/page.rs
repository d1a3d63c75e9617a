//! One page of the activity log, merged from two sources ordered alike: recorded calls and secret
//! reads, newest first by `(instant, source, id)`. The page token holds the last shown entry's
//! key, from which each source resumes on its own terms.

use posture_kit::ServiceError;
use posture_kit::paging::{Keyset, Position};
use posture_proto::v1;

/// Where an entry comes from. At the same instant calls sort before secret reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    SecretRead,
    Call,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::SecretRead => "secret-read",
            Source::Call => "call",
        }
    }

    fn parse(value: &str) -> Option<Self> {
        match value {
            "secret-read" => Some(Source::SecretRead),
            "call" => Some(Source::Call),
            _ => None,
        }
    }
}

/// An entry with its sort key.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Microseconds since the epoch.
    pub at: i64,
    pub source: Source,
    /// The id within its source.
    pub id: i64,
    pub activity: v1::Activity,
}

impl Entry {
    fn key(&self) -> (i64, Source, i64) {
        (self.at, self.source, self.id)
    }
}

/// The last entry a page showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub source: Source,
    pub id: i64,
}

impl Cursor {
    pub fn resume(position: &Position) -> Result<Self, ServiceError> {
        let not_ours = || ServiceError::invalid("page_token", "is not a page token returned by this API");
        Ok(Cursor {
            at: position.int(0)?,
            source: Source::parse(position.text(1)?).ok_or_else(not_ours)?,
            id: position.int(2)?,
        })
    }

    /// Where `source` resumes: before `(instant, id bound)`, exclusive. The cursor's own source
    /// resumes before its id; at the same instant, a source sorting before it has shown nothing
    /// yet (bound above every id), one sorting after it everything (bound below every id).
    pub fn before(&self, source: Source) -> (i64, i64) {
        let bound = match source.cmp(&self.source) {
            std::cmp::Ordering::Equal => self.id,
            std::cmp::Ordering::Less => i64::MAX,
            std::cmp::Ordering::Greater => i64::MIN,
        };
        (self.at, bound)
    }
}

/// Merges the two sources' candidates (each newest first, each at most `size + 1`) into a page of
/// `size` and the token of the next page.
pub fn merge(
    listing: &Keyset,
    calls: Vec<Entry>,
    reads: Vec<Entry>,
    size: usize,
) -> (Vec<v1::Activity>, String) {
    let mut all: Vec<Entry> = calls.into_iter().chain(reads).collect();
    all.sort_by_key(|entry| std::cmp::Reverse(entry.key()));
    let token = listing.page(&mut all, size, |entry| {
        [
            entry.at.to_string(),
            entry.source.as_str().to_owned(),
            entry.id.to_string(),
        ]
    });
    (all.into_iter().map(|entry| entry.activity).collect(), token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(at: i64, source: Source, id: i64) -> Entry {
        Entry {
            at,
            source,
            id,
            activity: v1::Activity {
                activity_id: format!("{}-{id}", source.as_str()),
                ..Default::default()
            },
        }
    }

    #[test]
    fn pages_interleave_both_sources_by_time_and_resume_after_the_last_shown() {
        let listing = Keyset::new("activity", "");
        let calls = vec![
            entry(30, Source::Call, 3),
            entry(20, Source::Call, 2),
            entry(10, Source::Call, 1),
        ];
        let reads = vec![entry(30, Source::SecretRead, 9), entry(25, Source::SecretRead, 8)];
        let (page, token) = merge(&listing, calls, reads, 3);
        let ids: Vec<_> = page.iter().map(|a| a.activity_id.as_str()).collect();
        assert_eq!(ids, ["call-3", "secret-read-9", "secret-read-8"]);
        let position = listing.resume(&token).expect("own token").expect("a position");
        let cursor = Cursor::resume(&position).expect("cursor");
        assert_eq!(
            cursor,
            Cursor {
                at: 25,
                source: Source::SecretRead,
                id: 8
            }
        );
        // Reads resume before their own id; calls at 25 would come before the read, so all shown.
        assert_eq!(cursor.before(Source::SecretRead), (25, 8));
        assert_eq!(cursor.before(Source::Call), (25, i64::MIN));
        let at_a_call = Cursor {
            at: 30,
            source: Source::Call,
            id: 3,
        };
        assert_eq!(at_a_call.before(Source::SecretRead), (30, i64::MAX));
    }

    #[test]
    fn the_last_page_has_no_token() {
        let listing = Keyset::new("activity", "");
        let (page, token) = merge(&listing, vec![entry(1, Source::Call, 1)], Vec::new(), 5);
        assert_eq!(page.len(), 1);
        assert!(token.is_empty());
    }
}
