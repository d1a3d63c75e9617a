//! Keyset paging for every listing over a store: a page is fetched with one row more than it
//! holds, and the next page starts after the last row's key. The token pins the listing and the
//! filters it was issued for, so a token replayed with other filters is refused, not misread.

use crate::error::ServiceError;
use crate::ids::PageToken;

const SEPARATOR: char = '\u{1f}';

/// One keyset listing: a short stable name and the filters of this request, rendered as text.
#[derive(Debug, Clone)]
pub struct Keyset {
    scope: &'static str,
    filters: String,
}

/// Where a page resumes: the key parts of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position(Vec<String>);

fn not_ours() -> ServiceError {
    ServiceError::invalid("page_token", "is not a page token returned by this API")
}

impl Position {
    /// Key part `index` as text.
    pub fn text(&self, index: usize) -> Result<&str, ServiceError> {
        self.0.get(index).map(String::as_str).ok_or_else(not_ours)
    }

    /// Key part `index` as an integer (an instant in microseconds, a sequence number).
    pub fn int(&self, index: usize) -> Result<i64, ServiceError> {
        self.text(index)?.parse().map_err(|_| not_ours())
    }
}

impl Keyset {
    pub fn new(scope: &'static str, filters: impl Into<String>) -> Self {
        Self {
            scope,
            filters: filters.into(),
        }
    }

    /// The position a client's `page_token` resumes after; `None` for the first page.
    pub fn resume(&self, token: &str) -> Result<Option<Position>, ServiceError> {
        let Some(token) = PageToken::decode(token)? else {
            return Ok(None);
        };
        let PageToken::Cursor(text) = token else {
            return Err(not_ours());
        };
        let mut parts = text.split(SEPARATOR);
        if parts.next() != Some(self.scope) {
            return Err(not_ours());
        }
        if parts.next() != Some(self.filters.as_str()) {
            return Err(ServiceError::invalid(
                "page_token",
                "was issued for other filters; repeat the request with the same filters or start without a token",
            ));
        }
        let key: Vec<String> = parts.map(str::to_owned).collect();
        if key.is_empty() || key.iter().any(String::is_empty) {
            return Err(not_ours());
        }
        Ok(Some(Position(key)))
    }

    /// The token of the page that starts after `key`.
    pub fn token_after<I, S>(&self, key: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut text = format!("{}{SEPARATOR}{}", self.scope, self.filters);
        for part in key {
            text.push(SEPARATOR);
            text.push_str(part.as_ref());
        }
        PageToken::Cursor(text).encode()
    }

    /// Cuts `rows` (fetched with a limit of `size + 1`) to one page and returns the next page's
    /// token, empty on the last page.
    pub fn page<T, I, S>(&self, rows: &mut Vec<T>, size: usize, key: impl Fn(&T) -> I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let more = rows.len() > size;
        rows.truncate(size);
        match rows.last() {
            Some(last) if more => self.token_after(key(last)),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_resumes_after_the_last_key_it_held() {
        let listing = Keyset::new("runs", "tenant-1|2");
        let mut rows: Vec<(i64, &str)> = vec![(30, "c"), (20, "b"), (10, "a")];
        let next = listing.page(&mut rows, 2, |(at, id)| [at.to_string(), (*id).to_owned()]);
        assert_eq!(rows, vec![(30, "c"), (20, "b")]);
        let position = listing.resume(&next).expect("own token").expect("a position");
        assert_eq!(position.int(0).ok(), Some(20));
        assert_eq!(position.text(1).ok(), Some("b"));
        assert!(position.text(2).is_err());
    }

    #[test]
    fn the_last_page_has_no_token_and_an_empty_token_is_the_first_page() {
        let listing = Keyset::new("runs", "");
        let mut rows = vec![1, 2];
        assert_eq!(listing.page(&mut rows, 2, |n| [n.to_string()]), "");
        assert_eq!(listing.resume("").ok(), Some(None));
    }

    #[test]
    fn a_token_for_other_filters_or_another_listing_is_refused() {
        let token = Keyset::new("runs", "tenant-1").token_after(["5", "x"]);
        let other_filters = Keyset::new("runs", "tenant-2")
            .resume(&token)
            .expect_err("filters");
        assert!(
            other_filters.to_string().contains("other filters"),
            "{other_filters}"
        );
        let other_listing = Keyset::new("keys", "tenant-1").resume(&token).expect_err("scope");
        assert!(
            other_listing.to_string().contains("not a page token"),
            "{other_listing}"
        );
        let offset = PageToken::Offset(3).encode();
        assert!(Keyset::new("runs", "tenant-1").resume(&offset).is_err());
        let no_key = PageToken::Cursor(format!("runs{SEPARATOR}tenant-1")).encode();
        assert!(Keyset::new("runs", "tenant-1").resume(&no_key).is_err());
    }

    #[test]
    fn a_non_numeric_part_read_as_a_number_is_invalid_argument() {
        let listing = Keyset::new("runs", "");
        let position = listing
            .resume(&listing.token_after(["not-a-number"]))
            .expect("decodes")
            .expect("position");
        let err = position.int(0).expect_err("not a number");
        assert_eq!(tonic::Status::from(err).code(), tonic::Code::InvalidArgument);
    }
}
