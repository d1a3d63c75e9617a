//! Comparing a fetched page with what the store holds: new objects, changed ones (by the hash
//! without volatile fields), removals, and the unchanged rest that causes no write. The known map
//! is loaded once per job and kept current as pages are written.

use std::collections::{HashMap, HashSet};

use posture_graph::GraphError;
use serde_json::Value;

use super::fetch::Item;
use crate::canonical::{canonical_json, sha256_hex, state_hash};
use crate::kinds::KindDef;
use crate::store::{KnownObject, Upsert};

/// What one page changes.
#[derive(Debug, Default)]
pub struct PageDiff {
    pub upserts: Vec<Upsert>,
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
        // A page may name an object twice (delta); the last occurrence wins, one row per id.
        let mut in_page: HashMap<String, usize> = HashMap::new();
        for item in items {
            match item {
                Item::Upsert(value) => {
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
                    let hash = state_hash(&value, self.kind.volatile);
                    let known = self.known.get(&id);
                    match known {
                        Some(k) if !k.removed && k.state_hash == hash => {
                            diff.unchanged += 1;
                            continue;
                        }
                        Some(_) => diff.changed += 1,
                        None => diff.added += 1,
                    }
                    let content = canonical_json(&value);
                    let upsert = Upsert {
                        display_name: display_name(&value),
                        content_hash: sha256_hex(&content),
                        content,
                        state_hash: hash.clone(),
                        version: next_version(self.kind, known),
                        object_id: id.clone(),
                    };
                    self.known.insert(
                        id.clone(),
                        KnownObject {
                            state_hash: hash,
                            version: upsert.version,
                            removed: false,
                        },
                    );
                    match in_page.get(&id) {
                        Some(&at) => diff.upserts[at] = upsert,
                        None => {
                            in_page.insert(id, diff.upserts.len());
                            diff.upserts.push(upsert);
                        }
                    }
                }
                Item::Removed(id) => self.remove(&id, &mut diff),
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
