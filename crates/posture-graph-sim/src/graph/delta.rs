//! Delta queries for users and groups: an initial round over every object, then rounds over
//! the change log since the token's sequence number. Tokens expire after 7 days of sim time;
//! a fault can force 410 Gone with a Location for a full resync.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::paging::{ListSpec, check_query, decode_token, encode_token, shape};
use super::query::Query;
use super::select::USER_DEFAULT;
use crate::http::reply::{Ctx, Reply, graph_error};
use crate::state::SimState;
use crate::tenant::{ChangeKind, Tenant};

const USER_PAGE: u32 = 200;
const GROUP_PAGE: u32 = 100;
const MEMBER_CHUNK: u32 = 1000;
const TOKEN_LIFETIME_SECS: i64 = 7 * 24 * 3600;

struct RoundState {
    changes: bool,
    seq_from: u64,
    seq_to: u64,
    issued: i64,
    pos: u32,
}

fn encode_round(kind: &str, r: &RoundState) -> String {
    encode_token(
        kind,
        &format!(
            "{}|{}|{}|{}|{}",
            if r.changes { "c" } else { "i" },
            r.seq_from,
            r.seq_to,
            r.issued,
            r.pos
        ),
    )
}

fn decode_round(kind: &str, tok: &str) -> Option<RoundState> {
    let p = decode_token(kind, tok)?;
    let f: Vec<&str> = p.split('|').collect();
    if f.len() != 5 {
        return None;
    }
    Some(RoundState {
        changes: f[0] == "c",
        seq_from: f[1].parse().ok()?,
        seq_to: f[2].parse().ok()?,
        issued: f[3].parse().ok()?,
        pos: f[4].parse().ok()?,
    })
}

fn sync_state_not_found(ctx: &Ctx) -> Reply {
    graph_error(
        ctx,
        400,
        "syncStateNotFound",
        "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
    )
}

pub fn run(
    _state: &SimState,
    ctx: &Ctx,
    t: &Tenant,
    groups: bool,
    q: &Query,
    self_path: &str,
    delta_gone: bool,
) -> Reply {
    let (context, ty) = if groups {
        ("groups", "microsoft.graph.group")
    } else {
        ("users", "microsoft.graph.user")
    };
    let kind = if groups { "groups-delta" } else { "users-delta" };
    let spec = ListSpec {
        default_select: if groups { None } else { Some(&USER_DEFAULT) },
        ..ListSpec::new(context, ty)
    };
    let mut q_checked = q.clone();
    q_checked.top = None;
    let checked = match check_query(ctx, &q_checked, &spec, false) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let now = ctx.now.timestamp();
    let current_seq = t.next_seq - 1;
    let latest = q
        .deltatoken
        .as_deref()
        .is_some_and(|d| d.eq_ignore_ascii_case("latest"));
    let round = if latest {
        RoundState {
            changes: true,
            seq_from: current_seq,
            seq_to: current_seq,
            issued: now,
            pos: 0,
        }
    } else if let Some(tok) = q.deltatoken.as_deref().or(q.skiptoken.as_deref()) {
        let Some(r) = decode_round(kind, tok) else {
            return graph_error(
                ctx,
                400,
                "badRequest",
                "The delta or skip token is not valid for this request.",
            );
        };
        if now.saturating_sub(r.issued) > TOKEN_LIFETIME_SECS {
            return sync_state_not_found(ctx);
        }
        if delta_gone && q.deltatoken.is_some() {
            let location = format!("{}{self_path}?{}", ctx.base, q.link_query(&[]));
            return graph_error(
                ctx,
                410,
                "resyncRequired",
                "The delta token is no longer valid; a full resynchronization is required.",
            )
            .header("Location", location);
        }
        if q.deltatoken.is_some() {
            // A delta link starts a new round over the changes since its sequence number.
            RoundState {
                changes: true,
                seq_from: r.seq_to,
                seq_to: current_seq,
                issued: now,
                pos: 0,
            }
        } else {
            r
        }
    } else {
        RoundState {
            changes: false,
            seq_from: 0,
            seq_to: current_seq,
            issued: now,
            pos: 0,
        }
    };
    let include_members = groups
        && checked
            .select
            .as_ref()
            .is_none_or(|s| s.iter().any(|p| p == "members"));
    let select = checked.select.as_ref().map(|s| {
        s.iter()
            .filter(|p| p.as_str() != "members")
            .cloned()
            .collect::<Vec<_>>()
    });
    // Delta accepts only `id eq '...'` filters (or-ed, up to 50 ids).
    let ids: Option<Vec<String>> = match &checked.filter {
        None => None,
        Some(f) => match f.id_equalities() {
            Some(ids) if ids.len() <= 50 => Some(ids.iter().map(|i| i.to_ascii_lowercase()).collect()),
            _ => {
                return graph_error(
                    ctx,
                    400,
                    "Request_UnsupportedQuery",
                    "Delta query only supports $filter on id (up to 50 ids).",
                );
            }
        },
    };
    let (items, next_pos, total) = if latest {
        (Vec::new(), 0, 0)
    } else if round.changes {
        let (mut items, next, total) = changes_page(t, groups, &round, include_members, &select, &spec);
        if let Some(ids) = &ids {
            items.retain(|v| {
                v["id"]
                    .as_str()
                    .is_some_and(|i| ids.contains(&i.to_ascii_lowercase()))
            });
        }
        (items, next, total)
    } else if let Some(ids) = &ids {
        let items: Vec<Value> = ids
            .iter()
            .filter_map(|id| {
                let mut v = if groups {
                    t.group_index(id).and_then(|g| t.group_json(g))
                } else {
                    t.user_pos(id).and_then(|p| t.user_json(p))
                }?;
                shape(&mut v, &select, &spec);
                Some(v)
            })
            .collect();
        (items, 0, 0)
    } else if groups {
        initial_groups(t, &round, include_members, &select, &spec)
    } else {
        initial_users(t, &round, &select, &spec)
    };
    let mut body = Map::new();
    body.insert(
        "@odata.context".into(),
        json!(format!("{}/v1.0/$metadata#{context}", ctx.base)),
    );
    if next_pos < total {
        let tok = encode_round(
            kind,
            &RoundState {
                pos: next_pos,
                ..round
            },
        );
        body.insert(
            "@odata.nextLink".into(),
            json!(format!(
                "{}{self_path}?{}",
                ctx.base,
                q.link_query(&[("$skiptoken", tok)])
            )),
        );
    } else {
        let tok = encode_round(
            kind,
            &RoundState {
                changes: true,
                seq_from: round.seq_to,
                seq_to: round.seq_to,
                issued: now,
                pos: 0,
            },
        );
        body.insert(
            "@odata.deltaLink".into(),
            json!(format!(
                "{}{self_path}?{}",
                ctx.base,
                q.link_query(&[("$deltatoken", tok)])
            )),
        );
    }
    body.insert("value".into(), Value::Array(items));
    Reply::odata(200, &Value::Object(body))
}

fn initial_users(
    t: &Tenant,
    r: &RoundState,
    select: &Option<Vec<String>>,
    spec: &ListSpec,
) -> (Vec<Value>, u32, u32) {
    let len = t.user_positions();
    let mut out = Vec::new();
    let mut pos = r.pos;
    while pos < len && out.len() < USER_PAGE as usize {
        if let Some(mut u) = t.user_json(pos) {
            shape(&mut u, select, spec);
            out.push(u);
        }
        pos += 1;
    }
    (out, pos, len)
}

/// Initial group round: each group appears once per chunk of up to 1000 members.
fn initial_groups(
    t: &Tenant,
    r: &RoundState,
    include_members: bool,
    select: &Option<Vec<String>>,
    spec: &ListSpec,
) -> (Vec<Value>, u32, u32) {
    let mut slots: Vec<(u32, u32)> = Vec::new();
    for g in 0..t.layout.groups {
        let chunks = if include_members {
            t.member_slots(g).div_ceil(MEMBER_CHUNK).max(1)
        } else {
            1
        };
        for c in 0..chunks {
            slots.push((g, c));
        }
    }
    let total = slots.len() as u32;
    let mut out = Vec::new();
    let mut pos = r.pos;
    while pos < total && out.len() < GROUP_PAGE as usize {
        let (g, c) = slots[pos as usize];
        if let Some(mut v) = t.group_json(g) {
            shape(&mut v, select, spec);
            if include_members {
                let start = c * MEMBER_CHUNK;
                let end = (start + MEMBER_CHUNK).min(t.member_slots(g));
                let members: Vec<Value> = (start..end)
                    .filter_map(|i| t.member_at(g, i))
                    .map(|m| t.member_ref_json(&m))
                    .collect();
                v["members@delta"] = Value::Array(members);
            }
            out.push(v);
        }
        pos += 1;
    }
    (out, pos, total)
}

fn changes_page(
    t: &Tenant,
    groups: bool,
    r: &RoundState,
    include_members: bool,
    select: &Option<Vec<String>>,
    spec: &ListSpec,
) -> (Vec<Value>, u32, u32) {
    let window = t
        .changes
        .iter()
        .filter(|c| c.seq > r.seq_from && c.seq <= r.seq_to);
    let mut entries: Vec<Value> = Vec::new();
    if groups {
        // Net member changes per group, in first-change order.
        let mut order: Vec<u32> = Vec::new();
        let mut net: BTreeMap<u32, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
        for c in window {
            if let ChangeKind::GroupMembers {
                group,
                added,
                removed,
            } = &c.kind
            {
                if !net.contains_key(group) {
                    order.push(*group);
                }
                let e = net.entry(*group).or_default();
                for a in added {
                    e.1.remove(a);
                    e.0.insert(a.clone());
                }
                for d in removed {
                    e.0.remove(d);
                    e.1.insert(d.clone());
                }
            }
        }
        for g in order {
            let Some(mut v) = t.group_json(g) else { continue };
            shape(&mut v, select, spec);
            if include_members {
                let (added, removed) = net.remove(&g).unwrap_or_default();
                let mut members: Vec<Value> = added
                    .iter()
                    .map(|id| t.member_ref_json(&t.resolve_member(id)))
                    .collect();
                for id in removed {
                    let mut m = t.member_ref_json(&t.resolve_member(&id));
                    m["@removed"] = json!({ "reason": "deleted" });
                    members.push(m);
                }
                v["members@delta"] = Value::Array(members);
            }
            entries.push(v);
        }
    } else {
        let mut seen = BTreeSet::new();
        let mut ids = Vec::new();
        for c in window {
            if let ChangeKind::User { id, .. } = &c.kind
                && seen.insert(id.clone())
            {
                ids.push(id.clone());
            }
        }
        for id in ids {
            match t.user_pos(&id).and_then(|p| t.user_json(p)) {
                Some(mut u) => {
                    shape(&mut u, select, spec);
                    entries.push(u);
                }
                // Deleted users are soft-deleted (restorable): reason "changed".
                None => entries.push(json!({ "id": id, "@removed": { "reason": "changed" } })),
            }
        }
    }
    let total = entries.len() as u32;
    let page = if groups { GROUP_PAGE } else { USER_PAGE };
    let start = r.pos.min(total);
    let end = (start + page).min(total);
    (entries[start as usize..end as usize].to_vec(), end, total)
}
