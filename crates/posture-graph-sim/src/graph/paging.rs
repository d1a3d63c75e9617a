//! Collection responses: `$top` limits, `$select`, `$filter`, `$search`, `$count` and opaque
//! `$skiptoken` paging with absolute next links. Virtual collections are scanned page by page
//! from a position, so pages may come back short or empty while a next link remains.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::query::{Filter, Query, parse_filter};
use super::select;
use crate::http::reply::{Ctx, Reply, graph_error};

/// How many positions a filtered page may scan before returning what it found.
pub const SCAN_BUDGET: u32 = 25_000;
const TOKEN_PREFIX: &str = "RFNwdAIAAQAAAD";

/// Maps an object id to its position.
pub type FindFn<'a> = Box<dyn Fn(&str) -> Option<u32> + 'a>;

/// Where collection items come from.
pub enum Source<'a> {
    /// `len` positions, each resolving to an object or nothing (deleted / not matching).
    Virtual {
        len: u32,
        get: Box<dyn Fn(u32) -> Option<Value> + 'a>,
        find: Option<FindFn<'a>>,
        count: Option<usize>,
    },
    Items(Vec<Value>),
}

/// Per-collection rules.
pub struct ListSpec<'a> {
    pub context: &'a str,
    pub schema_type: &'a str,
    pub max_top: u32,
    pub default_top: u32,
    pub default_select: Option<&'a [&'a str]>,
    pub directory: bool,
    pub supports_skip: bool,
    /// Users collection: some properties are single-object only (501).
    pub is_users: bool,
}

impl ListSpec<'_> {
    pub fn new<'a>(context: &'a str, schema_type: &'a str) -> ListSpec<'a> {
        ListSpec {
            context,
            schema_type,
            max_top: 999,
            default_top: 100,
            default_select: None,
            directory: true,
            supports_skip: false,
            is_users: false,
        }
    }
}

pub fn encode_token(kind: &str, payload: &str) -> String {
    format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(format!("{kind}|{payload}"))
    )
}

pub fn decode_token(kind: &str, token: &str) -> Option<String> {
    let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(TOKEN_PREFIX)?).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (k, payload) = text.split_once('|')?;
    (k == kind).then(|| payload.to_string())
}

pub fn bad_request(ctx: &Ctx, directory: bool, message: &str) -> Reply {
    graph_error(
        ctx,
        400,
        if directory {
            "Request_BadRequest"
        } else {
            "BadRequest"
        },
        message,
    )
}

/// Validated query pieces shared by lists and delta.
pub struct Checked {
    pub top: u32,
    pub select: Option<Vec<String>>,
    pub filter: Option<Filter>,
}

pub fn check_query(ctx: &Ctx, q: &Query, spec: &ListSpec, eventual: bool) -> Result<Checked, Reply> {
    let top = match &q.top {
        None => spec.default_top,
        Some(t) => match t.parse::<i64>() {
            Ok(n) if n >= 1 && n <= i64::from(spec.max_top) => n as u32,
            Ok(_) => {
                return Err(bad_request(
                    ctx,
                    spec.directory,
                    &format!(
                        "Invalid page size specified: '{t}'. Must be between 1 and {} inclusive.",
                        spec.max_top
                    ),
                ));
            }
            Err(_) => {
                return Err(bad_request(
                    ctx,
                    spec.directory,
                    &format!("Invalid value '{t}' for query option $top."),
                ));
            }
        },
    };
    if let Some(sel) = &q.select {
        if let Some(bad) = select::unknown_property(spec.schema_type, sel) {
            return Err(bad_request(
                ctx,
                spec.directory,
                &format!(
                    "Could not find a property named '{bad}' on type '{}'.",
                    spec.schema_type
                ),
            ));
        }
        if spec.is_users && sel.iter().any(|s| select::USER_SINGLE_ONLY.contains(&s.as_str())) {
            return Err(graph_error(
                ctx,
                501,
                "NotImplemented",
                "This operation target is not yet supported.",
            ));
        }
    }
    let filter = match &q.filter {
        None => None,
        Some(f) => match parse_filter(f) {
            Some(parsed) => {
                if spec.directory && parsed.needs_advanced() && !eventual {
                    return Err(graph_error(
                        ctx,
                        400,
                        "Request_UnsupportedQuery",
                        "Unsupported Query.",
                    ));
                }
                Some(parsed)
            }
            None => {
                let code = if spec.directory {
                    "Request_UnsupportedQuery"
                } else {
                    "BadRequest"
                };
                return Err(graph_error(
                    ctx,
                    400,
                    code,
                    &format!("Invalid filter clause: the expression '{f}' is not supported."),
                ));
            }
        },
    };
    if q.search.is_some() && spec.directory && !eventual {
        return Err(graph_error(
            ctx,
            400,
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        ));
    }
    Ok(Checked {
        top,
        select: q.select.clone(),
        filter,
    })
}

/// `"displayName:adele"` terms, AND-ed, substring match.
fn search_matches(search: &str, obj: &Value) -> bool {
    search.split(" AND ").all(|term| {
        let term = term.trim().trim_matches('"');
        match term.split_once(':') {
            Some((prop, needle)) => obj
                .get(prop)
                .and_then(Value::as_str)
                .is_some_and(|v| v.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())),
            None => true,
        }
    })
}

pub fn shape(obj: &mut Value, select: &Option<Vec<String>>, spec: &ListSpec) {
    match (select, spec.default_select) {
        // A directoryObject collection (members) holds derived types: each keeps the selected
        // properties its own type has.
        (Some(sel), _) if spec.schema_type.is_empty() => select::project_derived(obj, sel),
        (Some(sel), _) => select::project(obj, sel),
        (None, Some(def)) => select::project(obj, def),
        (None, None) => {}
    }
}

pub fn context_url(ctx: &Ctx, spec: &ListSpec, select: &Option<Vec<String>>) -> String {
    match select {
        Some(sel) => format!("{}/v1.0/$metadata#{}({})", ctx.base, spec.context, sel.join(",")),
        None => format!("{}/v1.0/$metadata#{}", ctx.base, spec.context),
    }
}

/// Where a page starts: the `$skiptoken` position, `$skip` where supported, else 0.
pub fn start_position(ctx: &Ctx, q: &Query, spec: &ListSpec) -> Result<u32, Reply> {
    match (&q.skiptoken, &q.skip) {
        (Some(tok), _) => decode_token(spec.context, tok)
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| {
                bad_request(
                    ctx,
                    spec.directory,
                    "The specified page token value is not valid for this request.",
                )
            }),
        (None, Some(s)) if spec.supports_skip => Ok(s.parse().unwrap_or(0)),
        (None, Some(_)) if spec.directory => {
            Err(bad_request(ctx, true, "'$skip' is not supported by the service."))
        }
        _ => Ok(0),
    }
}

/// One page of a collection.
pub fn list(ctx: &Ctx, self_path: &str, q: &Query, spec: &ListSpec, source: Source, eventual: bool) -> Reply {
    let checked = match check_query(ctx, q, spec, eventual) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let start = match start_position(ctx, q, spec) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let keep = |v: &Value| {
        checked.filter.as_ref().is_none_or(|f| f.matches(v))
            && q.search.as_deref().is_none_or(|s| search_matches(s, v))
    };
    let mut items = Vec::new();
    let mut next: Option<u32> = None;
    let mut count: Option<usize> = None;
    let want_count = q.count && (eventual || !spec.directory) && q.skiptoken.is_none();
    match source {
        Source::Items(all) => {
            let matching: Vec<Value> = all.into_iter().filter(|v| keep(v)).collect();
            if want_count {
                count = Some(matching.len());
            }
            let s = start as usize;
            let end = (s + checked.top as usize).min(matching.len());
            if s < matching.len() {
                items.extend(matching[s..end].iter().cloned());
            }
            if end < matching.len() {
                next = Some(end as u32);
            }
        }
        Source::Virtual {
            len,
            get,
            find,
            count: known_count,
        } => {
            let ids = checked.filter.as_ref().and_then(Filter::id_equalities);
            if let (Some(ids), Some(find)) = (ids, find.as_ref()) {
                for id in ids {
                    if let Some(v) = find(&id).and_then(&get) {
                        items.push(v);
                    }
                }
                count = Some(items.len());
            } else {
                if want_count {
                    count = match (known_count, &checked.filter, &q.search) {
                        (Some(c), None, None) => Some(c),
                        _ => Some((0..len).filter_map(&get).filter(|v| keep(v)).count()),
                    };
                }
                let mut pos = start;
                let budget_end = if checked.filter.is_some() || q.search.is_some() {
                    start.saturating_add(SCAN_BUDGET)
                } else {
                    u32::MAX
                };
                while pos < len && items.len() < checked.top as usize && pos < budget_end {
                    if let Some(v) = get(pos)
                        && keep(&v)
                    {
                        items.push(v);
                    }
                    pos += 1;
                }
                if pos < len {
                    next = Some(pos);
                }
            }
        }
    }
    for v in &mut items {
        shape(v, &checked.select, spec);
    }
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(context_url(ctx, spec, &checked.select)),
    );
    if let Some(c) = count.filter(|_| want_count) {
        body.insert("@odata.count".into(), json!(c));
    }
    if let Some(n) = next {
        let tok = encode_token(spec.context, &n.to_string());
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{self_path}?{}",
                ctx.base,
                q.link_query(&[("$skiptoken", tok)])
            )),
        );
    }
    body.insert("value".into(), Value::Array(items));
    Reply::odata(200, &Value::Object(body))
}

/// A single entity response.
pub fn entity(ctx: &Ctx, context: &str, mut obj: Value, select: &Option<Vec<String>>) -> Reply {
    if let Some(sel) = select {
        select::project(&mut obj, sel);
    }
    if let Value::Object(map) = &mut obj {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#{context}/$entity", ctx.base)),
        );
    }
    Reply::odata(200, &obj)
}
