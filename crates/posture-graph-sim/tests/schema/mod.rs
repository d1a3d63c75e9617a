//! A Rust port of graph_shape_check.py: checks JSON objects against the Graph v1.0 schema
//! subset in tests/data/graph-schema-v1.0.json with the same rules (unknown property names
//! with inheritance and @odata.type subtypes, JSON kinds of primitives, enum members with flags
//! enums as comma-separated lists, collections, nested complex types; annotations and
//! navigation properties allowed). One addition: a base type written with the CSDL namespace
//! alias (`graph.entity`) resolves to its full name (`microsoft.graph.entity`).

use std::collections::HashSet;
use std::sync::OnceLock;

use serde_json::{Map, Value};

pub struct Schema {
    types: Map<String, Value>,
}

fn re_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(n, p)| p.len() == *n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.chars().all(|c| c.is_ascii_digit())
}

fn re_date(s: &str) -> bool {
    s.len() == 10
        && digits(&s[0..4], 4)
        && &s[4..5] == "-"
        && digits(&s[5..7], 2)
        && &s[7..8] == "-"
        && digits(&s[8..10], 2)
}

fn re_datetime(s: &str) -> bool {
    // ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$
    if s.len() < 20 || !s.is_char_boundary(19) || !re_date(&s[0..10]) || &s[10..11] != "T" {
        return false;
    }
    let t = &s[11..19];
    if !(digits(&t[0..2], 2)
        && &t[2..3] == ":"
        && digits(&t[3..5], 2)
        && &t[5..6] == ":"
        && digits(&t[6..8], 2))
    {
        return false;
    }
    let mut rest = &s[19..];
    if let Some(r) = rest.strip_prefix('.') {
        let n = r.chars().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &r[n..];
    }
    rest == "Z"
        || (rest.len() == 6
            && (rest.starts_with('+') || rest.starts_with('-'))
            && digits(&rest[1..3], 2)
            && &rest[3..4] == ":"
            && digits(&rest[4..6], 2))
}

fn re_duration(s: &str) -> bool {
    // ^-?P(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some(mut r) = s.strip_prefix('P') else {
        return false;
    };
    let take_num = |r: &str| r.chars().take_while(|c| c.is_ascii_digit()).count();
    let n = take_num(r);
    if n > 0 && r[n..].starts_with('D') {
        r = &r[n + 1..];
    }
    if r.is_empty() {
        return true;
    }
    let Some(mut r) = r.strip_prefix('T') else {
        return false;
    };
    for unit in ['H', 'M'] {
        let n = take_num(r);
        if n > 0 && r[n..].starts_with(unit) {
            r = &r[n + 1..];
        }
    }
    if r.is_empty() {
        return true;
    }
    let n = take_num(r);
    if n == 0 {
        return false;
    }
    let mut rest = &r[n..];
    if let Some(f) = rest.strip_prefix('.') {
        let m = take_num(f);
        if m == 0 {
            return false;
        }
        rest = &f[m..];
    }
    rest == "S"
}

pub fn schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| {
        let text = include_str!("../data/graph-schema-v1.0.json");
        let v: Value = serde_json::from_str(text).expect("schema JSON");
        Schema {
            types: v["types"].as_object().cloned().expect("types"),
        }
    })
}

impl Schema {
    pub fn has_type(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    fn base_of(&self, name: &str) -> Option<String> {
        let base = self.types.get(name)?.get("base")?.as_str()?;
        if self.types.contains_key(base) {
            Some(base.to_string())
        } else if let Some(rest) = base.strip_prefix("graph.") {
            Some(format!("microsoft.graph.{rest}"))
        } else {
            Some(base.to_string())
        }
    }

    fn all_props(&self, name: &str) -> (Map<String, Value>, HashSet<String>) {
        let mut props = Map::new();
        let mut nav = HashSet::new();
        let mut cur = Some(name.to_string());
        while let Some(n) = cur {
            let Some(t) = self.types.get(&n) else { break };
            if let Some(p) = t.get("properties").and_then(Value::as_object) {
                for (k, v) in p {
                    props.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            if let Some(list) = t.get("navigation").and_then(Value::as_array) {
                nav.extend(list.iter().filter_map(Value::as_str).map(str::to_string));
            }
            cur = self.base_of(&n);
        }
        (props, nav)
    }

    fn is_subtype(&self, name: &str, base: &str) -> bool {
        let mut cur = Some(name.to_string());
        while let Some(n) = cur {
            if n == base {
                return true;
            }
            cur = self.base_of(&n);
        }
        false
    }

    fn check_primitive(&self, ty: &str, v: &Value, path: &str, out: &mut Vec<String>) {
        let int = |x: &Value| x.is_i64() || x.is_u64();
        let ok = match ty {
            "Edm.String" | "Edm.TimeOfDay" | "Edm.Binary" => v.is_string(),
            "Edm.Boolean" => v.is_boolean(),
            "Edm.Int32" | "Edm.Int16" | "Edm.Byte" => int(v),
            "Edm.Int64" => {
                int(v)
                    || v.as_str().is_some_and(|s| {
                        let t = s.strip_prefix('-').unwrap_or(s);
                        !t.is_empty() && t.chars().all(|c| c.is_ascii_digit())
                    })
            }
            "Edm.Double" => v.is_number() || v.as_str().is_some_and(|s| ["NaN", "INF", "-INF"].contains(&s)),
            "Edm.Single" => v.is_number(),
            "Edm.Decimal" => v.is_number() || v.is_string(),
            "Edm.Guid" => v.as_str().is_some_and(re_guid),
            "Edm.DateTimeOffset" => v.as_str().is_some_and(re_datetime),
            "Edm.Date" => v.as_str().is_some_and(re_date),
            "Edm.Duration" => v.as_str().is_some_and(re_duration),
            _ => true,
        };
        if !ok {
            let text: String = v.to_string().chars().take(60).collect();
            out.push(format!("{path}: {text} is not a valid {ty}"));
        }
    }

    fn check_value(&self, ty: &str, v: &Value, nullable: bool, path: &str, out: &mut Vec<String>) {
        if v.is_null() {
            if !nullable {
                out.push(format!("{path}: null but the schema says not nullable"));
            }
            return;
        }
        if ty.starts_with("Edm.") {
            self.check_primitive(ty, v, path, out);
            return;
        }
        let Some(t) = self.types.get(ty) else { return };
        if t["kind"] == "EnumType" {
            let Some(s) = v.as_str() else {
                out.push(format!("{path}: enum {ty} must be a string"));
                return;
            };
            let members: Vec<&str> = t["members"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let flags = t.get("flags").and_then(Value::as_bool).unwrap_or(false);
            let vals: Vec<&str> = if flags {
                s.split(',').map(str::trim).collect()
            } else {
                vec![s]
            };
            for x in vals {
                if !x.is_empty() && !members.contains(&x) {
                    out.push(format!("{path}: '{x}' is not a member of {ty}"));
                }
            }
            return;
        }
        self.check_object(ty, v, path, out);
    }

    pub fn check_object(&self, ty: &str, obj: &Value, path: &str, out: &mut Vec<String>) {
        let Some(map) = obj.as_object() else {
            out.push(format!("{path}: expected an object of {ty}"));
            return;
        };
        let mut actual = ty.to_string();
        if let Some(odt) = map
            .get("@odata.type")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            let cand = odt.trim_start_matches('#');
            if !self.types.contains_key(cand) {
                out.push(format!("{path}: @odata.type {odt} is not in the schema subset"));
            } else if !self.is_subtype(cand, ty) {
                out.push(format!("{path}: @odata.type {odt} is not a subtype of {ty}"));
            } else {
                actual = cand.to_string();
            }
        }
        let (props, nav) = self.all_props(&actual);
        for (k, v) in map {
            if k.contains('@') || nav.contains(k) {
                continue;
            }
            let Some(p) = props.get(k) else {
                out.push(format!("{path}.{k}: not a property of {actual}"));
                continue;
            };
            let pty = p["type"].as_str().unwrap_or("");
            if p["collection"].as_bool().unwrap_or(false) {
                if v.is_null() {
                    continue;
                }
                let Some(items) = v.as_array() else {
                    out.push(format!("{path}.{k}: expected a collection"));
                    continue;
                };
                for (i, item) in items.iter().enumerate() {
                    self.check_value(pty, item, true, &format!("{path}.{k}[{i}]"), out);
                }
            } else {
                self.check_value(
                    pty,
                    v,
                    p["nullable"].as_bool().unwrap_or(true),
                    &format!("{path}.{k}"),
                    out,
                );
            }
        }
    }
}

#[test]
fn primitive_patterns_follow_the_python_checker() {
    assert!(re_datetime("2026-06-01T00:00:00Z") && re_datetime("2026-06-01T00:00:00.123+02:00"));
    assert!(!re_datetime("2026-06-01T00:00:00") && !re_datetime("2026-06-01 00:00:00Z"));
    assert!(
        re_duration("P180D") && re_duration("PT4H") && re_duration("-P1DT2H3M4.5S") && !re_duration("180D")
    );
    assert!(re_guid("62e90394-69f5-4237-9190-012177145e10") && !re_guid("62e90394"));
}
