//! Defender's per-machine vulnerability rows name a CVE but not what makes it urgent: whether an
//! exploit is public, when the CVE was published, its CVSS score. Those facts live in the
//! vulnerability catalogue (`GET /api/vulnerabilities`, the same permission), read once when a pass
//! over `defender_vulnerabilities` starts and joined onto each row, so a row says on its own
//! whether its CVE has a public exploit.

use std::collections::HashMap;

use posture_graph::{ApiRequest, GraphClient, GraphError, Licence, PagingStyle, Resource, ServiceFamily};
use serde_json::{Map, Value};
use tokio_stream::StreamExt;

use super::fetch::Item;
use crate::kinds::KindDef;

/// The kind whose rows get the catalogue's facts.
const KIND: &str = "defender_vulnerabilities";

/// Catalogue fields joined onto a row, under the same names.
const FACTS: &[&str] = &["publicExploit", "exploitVerified", "publishedOn", "cvssV3"];

/// MDE's largest page of the catalogue.
const PAGE: u32 = 8_000;

/// The catalogue's facts per CVE id.
#[derive(Debug, Default)]
pub struct CveFacts(HashMap<String, Map<String, Value>>);

/// Whether `kind`'s rows are joined with the catalogue.
pub fn joins(kind: &KindDef) -> bool {
    kind.name == KIND
}

/// Reads the whole catalogue.
pub async fn read(client: &GraphClient) -> Result<CveFacts, GraphError> {
    let url = client.url(Resource::DefenderForEndpoint, "vulnerabilities")?;
    let mut req = ApiRequest::get(
        Resource::DefenderForEndpoint,
        url,
        ServiceFamily::DefenderForEndpoint,
    );
    req.needs = &["Vulnerability.Read.All"];
    req.licence = Some(Licence::DefenderForEndpointP2);
    let mut pages = std::pin::pin!(posture_graph::pages::<Value>(
        client.clone(),
        req,
        PagingStyle::TopSkip,
        PAGE
    ));
    let mut facts = HashMap::new();
    while let Some(page) = pages.next().await {
        for record in page?.records {
            let Some(id) = record.value.get("id").and_then(Value::as_str) else {
                continue;
            };
            let kept: Map<String, Value> = FACTS
                .iter()
                .filter_map(|f| record.value.get(*f).map(|v| ((*f).to_owned(), v.clone())))
                .collect();
            facts.insert(id.to_owned(), kept);
        }
    }
    Ok(CveFacts(facts))
}

impl CveFacts {
    /// Adds the facts of each row's CVE; a CVE the catalogue does not list leaves its row as is.
    pub fn join(&self, items: &mut [Item]) {
        for item in items {
            let Item::Upsert(Value::Object(row)) = item else {
                continue;
            };
            let Some(facts) = row
                .get("cveId")
                .and_then(Value::as_str)
                .and_then(|cve| self.0.get(cve))
            else {
                continue;
            };
            for (field, value) in facts {
                row.entry(field.clone()).or_insert_with(|| value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_get_their_cve_facts_and_keep_their_own_fields() {
        let mut facts = HashMap::new();
        facts.insert(
            "CVE-2024-21412".to_owned(),
            json!({"publicExploit": true, "publishedOn": "2024-02-13T00:00:00Z", "severity": "ignored"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let facts = CveFacts(facts);
        let mut items = vec![
            Item::Upsert(json!({"id": "m1-_-CVE-2024-21412", "cveId": "CVE-2024-21412", "severity": "High"})),
            Item::Upsert(json!({"id": "m1-_-CVE-1999-0001", "cveId": "CVE-1999-0001"})),
            Item::Removed("gone".into()),
        ];
        facts.join(&mut items);
        let Item::Upsert(known) = &items[0] else {
            panic!("an upsert")
        };
        assert_eq!(known["publicExploit"], true);
        assert_eq!(known["publishedOn"], "2024-02-13T00:00:00Z");
        assert_eq!(known["severity"], "High", "the row's own field wins");
        let Item::Upsert(unknown) = &items[1] else {
            panic!("an upsert")
        };
        assert!(unknown.get("publicExploit").is_none());
    }
}
