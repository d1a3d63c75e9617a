//! The Rego input each control sees. Converting a 100,000-user collection into regorus values costs
//! about a second, so the document is converted in parts: everything but the collection items once,
//! and each collection's items only when a control that reads them is evaluated (then shared).

use std::collections::HashMap;

use serde_json::Value as Json;

use crate::document::TenantDocument;

pub(crate) struct RegoInput<'a> {
    /// Top-level members other than `collections`, converted.
    shared: Vec<(regorus::Value, regorus::Value)>,
    /// Per collection: `{status, reason}` converted, and the raw items awaiting conversion.
    headers: Vec<(String, regorus::Value)>,
    items: HashMap<String, &'a Json>,
    converted: HashMap<String, Result<regorus::Value, String>>,
}

fn convert(value: &Json) -> Result<regorus::Value, String> {
    let text = serde_json::to_string(value).map_err(|e| e.to_string())?;
    regorus::Value::from_json_str(&text).map_err(|e| e.to_string())
}

fn key(name: &str) -> regorus::Value {
    regorus::Value::from(name)
}

impl<'a> RegoInput<'a> {
    pub(crate) fn new(document: &'a TenantDocument) -> Result<Self, String> {
        let Json::Object(top) = document.as_json() else {
            return Err("tenant document is not a JSON object".to_string());
        };
        let mut shared = Vec::new();
        let mut headers = Vec::new();
        let mut items = HashMap::new();
        for (name, value) in top {
            if name != "collections" {
                shared.push((key(name), convert(value)?));
                continue;
            }
            let Json::Object(collections) = value else {
                return Err("collections is not a JSON object".to_string());
            };
            for (kind, collection) in collections {
                // Only the small fields are copied; the items stay borrowed until converted.
                let header: serde_json::Map<String, Json> = match collection {
                    Json::Object(fields) => fields
                        .iter()
                        .filter(|(name, _)| name.as_str() != "items")
                        .map(|(name, value)| (name.clone(), value.clone()))
                        .collect(),
                    _ => serde_json::Map::new(),
                };
                if let Some(list) = collection.get("items") {
                    items.insert(kind.clone(), list);
                }
                headers.push((kind.clone(), convert(&Json::Object(header))?));
            }
        }
        Ok(RegoInput {
            shared,
            headers,
            items,
            converted: HashMap::new(),
        })
    }

    /// The input for one control: every collection's status and reason, items only for `reads`.
    pub(crate) fn for_control(&mut self, reads: &[String]) -> Result<regorus::Value, String> {
        let mut collections = regorus::Value::new_object();
        for (kind, header) in &self.headers {
            let mut entry = header.clone();
            let list = if reads.iter().any(|r| r == kind) {
                let raw = self.items.get(kind);
                self.converted
                    .entry(kind.clone())
                    .or_insert_with(|| {
                        raw.map_or_else(|| Ok(regorus::Value::new_array()), |raw| convert(raw))
                    })
                    .clone()
                    .map_err(|e| format!("collection {kind} cannot be converted: {e}"))?
            } else {
                regorus::Value::new_array()
            };
            if let Ok(fields) = entry.as_object_mut() {
                fields.insert(key("items"), list);
            }
            if let Ok(all) = collections.as_object_mut() {
                all.insert(key(kind), entry);
            }
        }
        let mut input = regorus::Value::new_object();
        if let Ok(fields) = input.as_object_mut() {
            for (name, value) in &self.shared {
                fields.insert(name.clone(), value.clone());
            }
            fields.insert(key("collections"), collections);
        }
        Ok(input)
    }
}
