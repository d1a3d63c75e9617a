//! The Rego input each control sees. Converting a 100,000-user collection into regorus values costs
//! about a second, so the document is converted in parts: everything but the collection items once,
//! and each collection's items only when a control that reads them is evaluated (then shared).

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use crate::document::TenantDocument;

pub(crate) struct RegoInput<'a> {
    /// Top-level members other than `collections`, converted.
    shared: Vec<(regorus::Value, regorus::Value)>,
    /// Per collection: `{status, reason}` converted, and the raw items awaiting conversion.
    headers: Vec<(String, regorus::Value)>,
    items: HashMap<String, Cow<'a, Json>>,
    converted: HashMap<String, Result<regorus::Value, String>>,
}

/// Converts JSON into regorus values directly, without printing and re-parsing it. Owned JSON is
/// consumed as it is converted, so the two forms of a large array do not both exist in full.
fn convert(value: Cow<'_, Json>) -> Result<regorus::Value, String> {
    Converter::default().value(value)
}

/// Object keys are shared: 100,000 account facts with the same seven keys hold seven key
/// strings, as regorus's own JSON parser does.
#[derive(Default)]
struct Converter {
    keys: HashMap<String, regorus::Value>,
}

impl Converter {
    fn key(&mut self, name: Cow<'_, str>) -> regorus::Value {
        if let Some(shared) = self.keys.get(name.as_ref()) {
            return shared.clone();
        }
        let shared = key(&name);
        self.keys.insert(name.into_owned(), shared.clone());
        shared
    }

    fn value(&mut self, value: Cow<'_, Json>) -> Result<regorus::Value, String> {
        let scalar = |value: &Json| -> Result<regorus::Value, String> {
            Ok(match value {
                Json::Bool(b) => regorus::Value::Bool(*b),
                Json::Number(n) => {
                    // The same variants regorus's parser picks for the same JSON text.
                    if let Some(u) = n.as_u64() {
                        regorus::Value::from(u)
                    } else if let Some(i) = n.as_i64() {
                        regorus::Value::from(i)
                    } else {
                        match n.as_f64() {
                            Some(f) if f.is_finite() => regorus::Value::from(f),
                            _ => return Err(format!("number {n} is not finite")),
                        }
                    }
                }
                Json::String(s) => regorus::Value::from(s.as_str()),
                _ => regorus::Value::Null,
            })
        };
        let mut object = std::collections::BTreeMap::new();
        match value {
            Cow::Owned(Json::Array(items)) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(self.value(Cow::Owned(item))?);
                }
                Ok(regorus::Value::from(list))
            }
            Cow::Borrowed(Json::Array(items)) => Ok(regorus::Value::from(
                items
                    .iter()
                    .map(|item| self.value(Cow::Borrowed(item)))
                    .collect::<Result<Vec<_>, _>>()?,
            )),
            Cow::Owned(Json::Object(fields)) => {
                for (name, field) in fields {
                    let name = self.key(Cow::Owned(name));
                    object.insert(name, self.value(Cow::Owned(field))?);
                }
                Ok(regorus::Value::from(object))
            }
            Cow::Borrowed(Json::Object(fields)) => {
                for (name, field) in fields {
                    let name = self.key(Cow::Borrowed(name));
                    object.insert(name, self.value(Cow::Borrowed(field))?);
                }
                Ok(regorus::Value::from(object))
            }
            other => scalar(&other),
        }
    }
}

fn key(name: &str) -> regorus::Value {
    regorus::Value::from(name)
}

impl<'a> RegoInput<'a> {
    /// From a borrowed document: items are converted from the caller's JSON when first read.
    pub(crate) fn new(document: &'a TenantDocument) -> Result<Self, String> {
        let Json::Object(top) = document.as_json() else {
            return Err("tenant document is not a JSON object".to_string());
        };
        Self::from_members(
            top.iter()
                .map(|(name, value)| (name.clone(), Cow::Borrowed(value))),
            None,
        )
    }

    /// From an owned document: each member's JSON is dropped as soon as it is converted, so the
    /// JSON and regorus forms of the derived facts do not outlive each other.
    /// The items of collections outside `read` (no control reads them) are dropped at once:
    /// `collections` is the document's first member, so a large tenant's users are freed before
    /// the derived facts are converted.
    pub(crate) fn owned(document: TenantDocument, read: &HashSet<&str>) -> Result<Self, String> {
        let Json::Object(top) = document.into_json() else {
            return Err("tenant document is not a JSON object".to_string());
        };
        Self::from_members(
            top.into_iter().map(|(name, value)| (name, Cow::Owned(value))),
            Some(read),
        )
    }

    fn from_members(
        members: impl Iterator<Item = (String, Cow<'a, Json>)>,
        read: Option<&HashSet<&str>>,
    ) -> Result<Self, String> {
        let mut shared = Vec::new();
        let mut headers = Vec::new();
        let mut items = HashMap::new();
        for (name, value) in members {
            if name != "collections" {
                shared.push((key(&name), convert(value)?));
                continue;
            }
            for (kind, collection) in collection_members(value)? {
                // Only the small fields are converted now; the items wait until a control reads them.
                let mut header = serde_json::Map::new();
                let mut list = None;
                for (field, value) in collection {
                    if field == "items" {
                        list = Some(value);
                    } else {
                        header.insert(field, value.into_owned());
                    }
                }
                let wanted = read.is_none_or(|read| read.contains(kind.as_str()));
                if let Some(list) = list.filter(|_| wanted) {
                    items.insert(kind.clone(), list);
                }
                headers.push((kind, convert(Cow::Owned(Json::Object(header)))?));
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
                let items = &mut self.items;
                self.converted
                    .entry(kind.clone())
                    .or_insert_with(|| {
                        // Converted once and shared: the JSON is not needed again.
                        items
                            .remove(kind)
                            .map_or_else(|| Ok(regorus::Value::new_array()), convert)
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

/// The `(kind, fields)` of every collection, each field borrowed or owned like the document.
#[allow(clippy::type_complexity)]
fn collection_members<'a>(
    collections: Cow<'a, Json>,
) -> Result<Vec<(String, Vec<(String, Cow<'a, Json>)>)>, String> {
    let not_object = || "collections is not a JSON object".to_string();
    let fields_of = |collection: Cow<'a, Json>| match collection {
        Cow::Borrowed(Json::Object(fields)) => fields
            .iter()
            .map(|(name, value)| (name.clone(), Cow::Borrowed(value)))
            .collect(),
        Cow::Owned(Json::Object(fields)) => fields
            .into_iter()
            .map(|(name, value)| (name, Cow::Owned(value)))
            .collect(),
        _ => Vec::new(),
    };
    match collections {
        Cow::Borrowed(Json::Object(all)) => Ok(all
            .iter()
            .map(|(kind, c)| (kind.clone(), fields_of(Cow::Borrowed(c))))
            .collect()),
        Cow::Owned(Json::Object(all)) => Ok(all
            .into_iter()
            .map(|(kind, c)| (kind, fields_of(Cow::Owned(c))))
            .collect()),
        _ => Err(not_object()),
    }
}
