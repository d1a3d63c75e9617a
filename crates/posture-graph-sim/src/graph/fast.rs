//! The users list without `$filter`/`$search`, written straight to bytes: the hot path of every
//! sync. Same bytes as the general path (keys sorted as serde_json writes them), computing only
//! the selected properties and never building a JSON tree.

use serde_json::json;

use super::paging::{ListSpec, check_query, context_url, encode_token, start_position};
use super::query::Query;
use super::select::USER_DEFAULT;
use crate::http::reply::{Ctx, Reply};
use crate::tenant::Tenant;

pub fn users_page(
    ctx: &Ctx,
    t: &Tenant,
    q: &Query,
    spec: &ListSpec,
    self_path: &str,
    eventual: bool,
) -> Reply {
    let checked = match check_query(ctx, q, spec, eventual) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let start = match start_position(ctx, q, spec) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let mut keys: Vec<&str> = match &checked.select {
        Some(sel) => sel.iter().map(String::as_str).collect(),
        None => USER_DEFAULT.to_vec(),
    };
    keys.sort_unstable();
    keys.dedup();
    let len = t.user_positions();
    let mut body: Vec<u8> = Vec::with_capacity(checked.top as usize * (40 + 24 * keys.len()));
    body.extend_from_slice(b"{\"@odata.context\":");
    let _ = serde_json::to_writer(&mut body, &context_url(ctx, spec, &checked.select));
    if q.count && eventual && q.skiptoken.is_none() {
        let count = (len as usize).saturating_sub(t.overlay.deleted_users.len());
        body.extend_from_slice(format!(",\"@odata.count\":{count}").as_bytes());
    }
    let mut values: Vec<u8> = Vec::with_capacity(body.capacity());
    let mut pos = start;
    let mut n = 0;
    while pos < len && n < checked.top {
        if !values.is_empty() {
            values.push(b',');
        }
        if t.write_user(pos, &keys, &mut values) {
            n += 1;
        } else if values.last() == Some(&b',') {
            values.pop();
        }
        pos += 1;
    }
    if pos < len {
        let tok = encode_token(spec.context, &pos.to_string());
        let link = format!("{}{self_path}?{}", ctx.base, q.link_query(&[("$skiptoken", tok)]));
        body.extend_from_slice(b",\"@odata.nextLink\":");
        let _ = serde_json::to_writer(&mut body, &json!(link));
    }
    body.extend_from_slice(b",\"value\":[");
    body.extend_from_slice(&values);
    body.extend_from_slice(b"]}");
    let mut reply = Reply::odata(200, &serde_json::Value::Null);
    reply.body = bytes::Bytes::from(body);
    reply
}
