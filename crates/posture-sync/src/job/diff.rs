//! Comparing a fetched page with what the store holds: new objects, changed ones (by the hash
//! without volatile fields), removals, refreshes (only volatile fields moved: the stored content
//! is rewritten, no version, not a change) and the unchanged rest that causes no write. The known
//! map is loaded once per job and kept current as pages are written.

use std::collections::{HashMap, HashSet};

use posture_graph::{GraphError, PagingStyle};
use serde_json::Value;

use super::fetch::Item;
use crate::canonical::canonicalize;
use crate::kinds::KindDef;
use crate::store::{KnownObject, Upsert};

/// What one page changes.
#[derive(Debug, Default)]
pub struct PageDiff {
    pub upserts: Vec<Upsert>,
    /// Objects whose volatile fields alone changed; counted as unchanged.
    pub refreshes: Vec<Upsert>,
    pub removals: Vec<(String, i64)>,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
}

/// The job's view of the stored objects of its (tenant, kind).
#[derive(Debug)]
pub struct Inventory {
    kind: &'static KindDef,
    known: HashMap<String, KnownObject>,
    /// Ids seen in this pass, kept only when the pass is complete enough to sweep.
    seen: Option<HashSet<String>>,
}

fn next_version(kind: &KindDef, known: Option<&KnownObject>) -> i64 {
    if kind.configuration {
        known.map_or(1, |k| k.version + 1)
    } else {
        0
    }
}

fn display_name(value: &Value) -> String {
    [
        "displayName",
        "userPrincipalName",
        "userDisplayName",
        "skuPartNumber",
        // Exchange cmdlet output.
        "DisplayName",
        "Name",
    ]
    .iter()
    .find_map(|f| value.get(*f).and_then(Value::as_str))
    .unwrap_or_default()
    .chars()
    .take(256)
    .collect()
}

impl Inventory {
    pub fn new(kind: &'static KindDef, known: HashMap<String, KnownObject>, sweep: bool) -> Self {
        Self {
            kind,
            known,
            seen: sweep.then(HashSet::new),
        }
    }

    /// Diffs one page. Objects without a string `id` make the page unreadable.
    pub fn diff(&mut self, items: Vec<Item>, endpoint: &str) -> Result<PageDiff, GraphError> {
        let mut diff = PageDiff::default();
        // A page may name an object twice (delta); the last occurrence wins, one row per id, and
        // the row is a refresh only if every occurrence was.
        let mut writes: Vec<(Upsert, bool)> = Vec::new();
        let mut in_page: HashMap<String, usize> = HashMap::new();
        for item in items {
            match item {
                Item::Upsert(mut value) => {
                    // A singleton (authorizationPolicy) comes back as the whole response, whose
                    // `@odata.context` names the endpoint's base URL: metadata of the response,
                    // not of the object, and a new version on every change of endpoint if kept.
                    if let Value::Object(map) = &mut value {
                        map.remove("@odata.context");
                        // Some singletons (the cross-tenant access default) come without an id:
                        // there is one per tenant, stored under the kind's name.
                        if self.kind.spec().paging == PagingStyle::Singleton && !map.contains_key("id") {
                            map.insert("id".to_owned(), Value::String(self.kind.name.to_owned()));
                        }
                        // Exchange cmdlets name their objects by Guid (Identity where there is
                        // none, as for the one ExternalInOutlook setting).
                        if self.kind.spec().resource == posture_graph::Resource::ExchangeOnline
                            && !map.contains_key("id")
                            && let Some(id) = map.get("Guid").or_else(|| map.get("Identity")).cloned()
                        {
                            map.insert("id".to_owned(), id);
                        }
                    }
                    let Some(id) = value.get("id").and_then(Value::as_str).map(str::to_owned) else {
                        return Err(GraphError::BadResponse {
                            endpoint: endpoint.to_owned(),
                            reason: format!("a {} object has no string id", self.kind.name),
                            ids: Default::default(),
                        });
                    };
                    if let Some(seen) = &mut self.seen {
                        seen.insert(id.clone());
                    }
                    let canonical = canonicalize(&value, self.kind.volatile);
                    let known = self.known.get(&id);
                    let refresh = match known {
                        Some(k) if !k.removed && k.state_hash == canonical.state_hash => {
                            diff.unchanged += 1;
                            if k.content_hash() == canonical.content_hash {
                                continue;
                            }
                            true
                        }
                        Some(_) => {
                            diff.changed += 1;
                            false
                        }
                        None => {
                            diff.added += 1;
                            false
                        }
                    };
                    let version = match known {
                        Some(k) if refresh => k.version,
                        _ => next_version(self.kind, known),
                    };
                    let upsert = Upsert {
                        display_name: display_name(&value),
                        content: canonical.content,
                        content_hash: canonical.content_hash.clone(),
                        state_hash: canonical.state_hash.clone(),
                        version,
                        object_id: id.clone(),
                    };
                    let distinct_content_hash =
                        (canonical.content_hash != canonical.state_hash).then_some(canonical.content_hash);
                    self.known.insert(
                        id.clone(),
                        KnownObject {
                            state_hash: canonical.state_hash,
                            distinct_content_hash,
                            version,
                            removed: false,
                        },
                    );
                    match in_page.get(&id) {
                        Some(&at) => {
                            let was_refresh = writes[at].1;
                            writes[at] = (upsert, was_refresh && refresh);
                        }
                        None => {
                            in_page.insert(id, writes.len());
                            writes.push((upsert, refresh));
                        }
                    }
                }
                Item::Removed(id) => self.remove(&id, &mut diff),
            }
        }
        for (upsert, refresh) in writes {
            if refresh {
                diff.refreshes.push(upsert);
            } else {
                diff.upserts.push(upsert);
            }
        }
        Ok(diff)
    }

    fn remove(&mut self, id: &str, diff: &mut PageDiff) {
        let Some(known) = self.known.get_mut(id) else {
            return;
        };
        if known.removed {
            return;
        }
        known.removed = true;
        if self.kind.configuration {
            known.version += 1;
        }
        diff.removals.push((id.to_owned(), known.version));
    }

    /// Removals for every stored object the complete pass did not see; nothing when the pass was
    /// not complete (a resumed job cannot know what earlier pages listed).
    pub fn sweep(&mut self) -> PageDiff {
        let mut diff = PageDiff::default();
        let Some(seen) = self.seen.take() else {
            return diff;
        };
        let gone: Vec<String> = self
            .known
            .iter()
            .filter(|(id, k)| !k.removed && !seen.contains(*id))
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            self.remove(&id, &mut diff);
        }
        diff
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds;
    use serde_json::json;

    fn sign_in(id: &str, last: &str) -> Item {
        Item::Upsert(json!({"id": id, "signInActivity": {"lastSignInDateTime": last}}))
    }

    fn known_from(first: &PageDiff) -> HashMap<String, KnownObject> {
        first
            .upserts
            .iter()
            .map(|u| {
                let known = KnownObject {
                    state_hash: u.state_hash.clone(),
                    distinct_content_hash: Some(u.content_hash.clone()),
                    version: u.version,
                    removed: false,
                };
                (u.object_id.clone(), known)
            })
            .collect()
    }

    #[test]
    fn a_new_sign_in_time_refreshes_the_object_without_counting_a_change() -> Result<(), GraphError> {
        let kind = kinds::find("user_sign_in_activity").ok_or_else(|| GraphError::Config {
            reason: "the sign-in kind is registered".into(),
        })?;
        let first = Inventory::new(kind, HashMap::new(), true).diff(
            vec![
                sign_in("a", "2026-01-01T00:00:00Z"),
                sign_in("b", "2026-01-01T00:00:00Z"),
            ],
            "GET /v1.0/users",
        )?;
        assert_eq!((first.added, first.upserts.len()), (2, 2));

        let mut inventory = Inventory::new(kind, known_from(&first), true);
        let second = inventory.diff(
            vec![
                sign_in("a", "2026-03-01T00:00:00Z"),
                sign_in("b", "2026-01-01T00:00:00Z"),
            ],
            "GET /v1.0/users",
        )?;
        assert_eq!((second.added, second.changed, second.unchanged), (0, 0, 2));
        assert!(second.upserts.is_empty());
        let refreshed: Vec<&str> = second.refreshes.iter().map(|u| u.object_id.as_str()).collect();
        assert_eq!(refreshed, ["a"]);
        assert!(second.refreshes[0].content.contains("2026-03-01"));
        assert_eq!(second.refreshes[0].version, 0);
        assert_eq!(second.refreshes[0].state_hash, first.upserts[0].state_hash);

        // The same times again are nothing at all.
        let third = inventory.diff(vec![sign_in("a", "2026-03-01T00:00:00Z")], "GET /v1.0/users")?;
        assert!(third.upserts.is_empty() && third.refreshes.is_empty());
        assert_eq!(third.unchanged, 1);
        Ok(())
    }

    #[test]
    fn a_page_naming_an_object_twice_writes_one_row_that_is_a_change_if_either_was() -> Result<(), GraphError>
    {
        let kind = kinds::find("user_sign_in_activity").ok_or_else(|| GraphError::Config {
            reason: "the sign-in kind is registered".into(),
        })?;
        let first = Inventory::new(kind, HashMap::new(), false)
            .diff(vec![sign_in("a", "2026-01-01T00:00:00Z")], "GET /v1.0/users")?;
        let mut inventory = Inventory::new(kind, known_from(&first), false);
        let page = inventory.diff(
            vec![
                Item::Upsert(json!({"id": "a", "accountEnabled": false, "signInActivity": {}})),
                Item::Upsert(json!({"id": "a", "accountEnabled": false, "signInActivity": {"lastSignInDateTime": "2026-05-01T00:00:00Z"}})),
            ],
            "GET /v1.0/users",
        )?;
        assert_eq!((page.changed, page.unchanged), (1, 1));
        assert!(page.refreshes.is_empty());
        assert_eq!(page.upserts.len(), 1);
        assert!(page.upserts[0].content.contains("2026-05-01"));
        Ok(())
    }
}
