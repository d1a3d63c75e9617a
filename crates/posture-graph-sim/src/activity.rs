//! The Office 365 Management Activity API: subscriptions per content type, content listing by
//! availability window (24 h max, 7 days back) with `NextPageUri` paging, and content blobs of
//! PascalCase audit records that expire after 7 days.

use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Timelike, Utc};
use serde_json::{Value, json};

use crate::http::auth::authenticate;
use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, Reply, manage_error};
use crate::ids;
use crate::permissions::{Resource, satisfies};
use crate::state::{SimState, read, write};
use crate::tenant::{ActivitySubscription, Tenant};
use crate::throttle::Family;

pub const CONTENT_TYPES: [&str; 5] = [
    "Audit.AzureActiveDirectory",
    "Audit.Exchange",
    "Audit.SharePoint",
    "Audit.General",
    "DLP.All",
];
const BLOBS_PER_PAGE: i64 = 12;
const RETENTION_HOURS: i64 = 7 * 24;

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('Z');
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(t)
}

fn content_id(hour: DateTime<Utc>, ctype: &str) -> String {
    format!(
        "{}${}${}",
        hour.format("%Y%m%d%H"),
        ctype.to_ascii_lowercase().replace('.', "_"),
        ctype.replace('.', "_")
    )
}

fn parse_content_id(id: &str) -> Option<(DateTime<Utc>, &'static str)> {
    let mut parts = id.split('$');
    let hour = NaiveDateTime::parse_from_str(&format!("{}0000", parts.next()?), "%Y%m%d%H%M%S")
        .ok()?
        .and_utc();
    let _ = parts.next()?;
    let ctype = parts.next()?.replace('_', ".");
    CONTENT_TYPES.iter().find(|c| **c == ctype).map(|c| (hour, *c))
}

pub fn handle(state: &SimState, ctx: &Ctx, req: &ApiRequest) -> Outcome {
    let segs: Vec<&str> = req
        .path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (url_tenant, op): (&str, Vec<&str>) = match segs.as_slice() {
        ["api", "v1.0", tenant, "activity", "feed", rest @ ..] => (tenant, rest.to_vec()),
        _ => {
            return Outcome::plain(manage_error(
                404,
                "AF20050",
                "The requested resource does not exist.",
            ));
        }
    };
    let (tenant, claims) = match authenticate(state, &req.headers, Resource::Manage) {
        Ok(a) => a,
        Err(_) => {
            return Outcome::plain(manage_error(
                401,
                "AF10001",
                "Authorization has been denied for this request: the access token is missing, invalid or expired.",
            ));
        }
    };
    let label = format!("manage {}", op.first().copied().unwrap_or(""));
    let plain = |reply: Reply| Outcome {
        tenant: Some(tenant.clone()),
        api_label: label.clone(),
        ..Outcome::plain(reply)
    };
    if uuid::Uuid::parse_str(url_tenant).is_err() {
        return plain(manage_error(
            400,
            "AF20013",
            &format!("The tenant ID passed in the URL ({url_tenant}) is not a valid GUID."),
        ));
    }
    if !url_tenant.eq_ignore_ascii_case(&claims.tenant.to_string()) {
        return plain(manage_error(
            403,
            "AF20010",
            &format!(
                "The tenant ID passed in the URL ({url_tenant}) does not match the tenant ID passed in the access token ({}).",
                claims.tenant
            ),
        ));
    }
    if !satisfies(&claims.roles, &["ActivityFeed.Read", "ActivityFeed.ReadDlp"]) {
        return plain(manage_error(
            401,
            "AF10001",
            &format!(
                "The permission set ({}) sent in the request does not include the expected permission.",
                claims.roles.join(",")
            ),
        ));
    }
    let (mode, users, tid) = {
        let t = read(&tenant);
        (t.throttling, t.layout.users, t.id.to_string())
    };
    if let Some(th) = state.throttle.lock().unwrap_or_else(|e| e.into_inner()).charge(
        mode,
        &tid,
        &claims.app_id,
        Family::Manage,
        1.0,
        users,
        Instant::now(),
    ) {
        let r = manage_error(
            429,
            "AF429",
            &format!(
                "Too many requests. Method={}, PublisherId={}",
                op.join("/"),
                claims.app_id
            ),
        );
        return plain(r.header("Retry-After", th.retry_after.unwrap_or(60).to_string()));
    }
    let decision = write(&tenant).faults.decide(
        req.method.as_str(),
        &format!("/api/v1.0/{{tenant}}/activity/feed/{}", op.join("/")),
    );
    if let Some(crate::faults::FaultAction::Error(status)) = decision.action {
        let r = manage_error(
            status,
            "AF50000",
            "An internal error occurred. Retry the request.",
        );
        return Outcome {
            latency: decision.latency,
            fault: decision.action,
            ..plain(r)
        };
    }
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let content_type = || -> Result<&'static str, Reply> {
        let c = param("contentType")
            .ok_or_else(|| manage_error(400, "AF20001", "Missing parameter: contentType."))?;
        CONTENT_TYPES
            .iter()
            .find(|t| t.eq_ignore_ascii_case(&c))
            .copied()
            .ok_or_else(|| {
                manage_error(
                    400,
                    "AF20020",
                    &format!("The specified content type is not valid: {c}."),
                )
            })
    };
    let now = ctx.now;
    let reply = match (req.method.as_str(), op.as_slice()) {
        ("POST", ["subscriptions", "start"]) => match content_type() {
            Err(r) => r,
            Ok(c) => {
                write(&tenant).subscriptions.insert(
                    c.to_string(),
                    ActivitySubscription {
                        enabled: true,
                        since: now,
                    },
                );
                Reply::json(
                    200,
                    &json!({ "contentType": c, "status": "enabled", "webhook": null }),
                )
            }
        },
        ("POST", ["subscriptions", "stop"]) => match content_type() {
            Err(r) => r,
            Ok(c) => {
                if let Some(s) = write(&tenant).subscriptions.get_mut(c) {
                    s.enabled = false;
                }
                Reply::empty(200)
            }
        },
        ("GET", ["subscriptions", "list"]) => {
            let t = read(&tenant);
            let list: Vec<Value> = t.subscriptions.iter().map(|(c, s)| json!({ "contentType": c, "status": if s.enabled { "enabled" } else { "disabled" }, "webhook": null })).collect();
            Reply::json(200, &Value::Array(list))
        }
        ("GET", ["subscriptions", "content"]) => match content_type() {
            Err(r) => r,
            Ok(c) => list_content(
                ctx,
                &read(&tenant),
                c,
                &param("startTime"),
                &param("endTime"),
                &param("nextPage"),
                req,
            ),
        },
        ("GET", ["audit", id]) | ("GET", ["dlp", id]) => blob(ctx, &read(&tenant), id),
        _ => manage_error(404, "AF20050", "The requested resource does not exist."),
    };
    Outcome {
        latency: decision.latency,
        fault: decision.action,
        ..plain(reply)
    }
}

fn window_error() -> Reply {
    manage_error(
        400,
        "AF20030",
        "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past.",
    )
}

fn list_content(
    ctx: &Ctx,
    t: &Tenant,
    ctype: &str,
    start: &Option<String>,
    end: &Option<String>,
    next_page: &Option<String>,
    req: &ApiRequest,
) -> Reply {
    if !t.subscriptions.get(ctype).is_some_and(|s| s.enabled) {
        return manage_error(
            400,
            "AF20022",
            &format!("No subscription found for the specified content type: {ctype}."),
        );
    }
    let now = ctx.now;
    let (from, to) = match (start.as_deref().map(parse_time), end.as_deref().map(parse_time)) {
        (None, None) => (now - Duration::hours(24), now),
        (Some(Some(s)), Some(Some(e))) => (s, e),
        (Some(None), _) | (_, Some(None)) => {
            return manage_error(
                400,
                "AF20002",
                "Invalid parameter type: startTime and endTime must be UTC date-times.",
            );
        }
        _ => return window_error(),
    };
    if to <= from || to - from > Duration::hours(24) || from < now - Duration::days(7) - Duration::minutes(1)
    {
        return window_error();
    }
    // Blobs become available once an hour (minute offset per tenant); [from, to).
    let offset = Duration::minutes((ids::hash3(t.seed, ctype, 0) % 50) as i64 + 5);
    let mut hour = hour_floor(from - offset);
    if let Some(np) = next_page {
        match NaiveDateTime::parse_from_str(&format!("{np}0000"), "%Y%m%d%H%M%S") {
            Ok(h) if h.and_utc() >= hour && h.and_utc() <= to => hour = h.and_utc(),
            Ok(_) => {
                return manage_error(
                    400,
                    "AF20031",
                    &format!("Invalid nextPage input: {np} is outside the requested window."),
                );
            }
            Err(_) => return manage_error(400, "AF20031", &format!("Invalid nextPage input: {np}.")),
        }
    }
    let mut out = Vec::new();
    let mut next = None;
    while hour + offset < to && hour + offset <= now {
        let created = hour + offset;
        if created >= from && created < now {
            if out.len() as i64 == BLOBS_PER_PAGE {
                next = Some(hour);
                break;
            }
            let id = content_id(hour, ctype);
            out.push(json!({
                "contentType": ctype, "contentId": id,
                "contentUri": format!("{}/api/v1.0/{}/activity/feed/audit/{id}", ctx.base, t.id),
                "contentCreated": created.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                "contentExpiration": (created + Duration::days(7)).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            }));
        }
        hour += Duration::hours(1);
    }
    let mut reply = Reply::json(200, &Value::Array(out));
    if let Some(h) = next {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in url::form_urlencoded::parse(req.query.as_deref().unwrap_or("").as_bytes()) {
            if !k.eq_ignore_ascii_case("nextPage") {
                ser.append_pair(&k, &v);
            }
        }
        ser.append_pair("nextPage", &h.format("%Y%m%d%H").to_string());
        reply = reply.header(
            "NextPageUri",
            format!("{}{}?{}", ctx.base, req.path, ser.finish()),
        );
    }
    reply
}

fn blob(ctx: &Ctx, t: &Tenant, id: &str) -> Reply {
    let Some((hour, ctype)) = parse_content_id(id) else {
        return manage_error(400, "AF20052", &format!("Content ID {id} in the URL is invalid."));
    };
    if hour < ctx.now - Duration::hours(RETENTION_HOURS + 1) {
        return manage_error(
            400,
            "AF20051",
            &format!(
                "Content requested with the key {id} has already expired. Content older than 7 days cannot be retrieved."
            ),
        );
    }
    if hour > ctx.now {
        return manage_error(
            404,
            "AF20050",
            &format!("The specified content ({id}) does not exist."),
        );
    }
    Reply::json(200, &Value::Array(blob_records(t, hour, ctype, id)))
}

/// The records of the blob `id` (its hour and content type): the same every time it is fetched.
fn blob_records(t: &Tenant, hour: DateTime<Utc>, ctype: &str, id: &str) -> Vec<Value> {
    let key = ids::hash3(t.seed, id, 0);
    let n = t.layout.audit_records_per_blob.map_or(3 + key % 6, u64::from);
    (0..n)
        .map(|k| {
            let user = t
                .user_facts((key.wrapping_add(k) % u64::from(t.layout.users)) as u32)
                .or_else(|| t.user_facts(2));
            let (upn, uid) = user.map(|u| (u.upn, u.id)).unwrap_or_default();
            let at = hour + Duration::seconds((ids::hash3(key, "rec", k) % 3600) as i64);
            let (workload, record_type, operation) = match ctype {
                "Audit.AzureActiveDirectory" => ("AzureActiveDirectory", 15, "UserLoggedIn"),
                "Audit.Exchange" => ("Exchange", 2, "MailItemsAccessed"),
                "Audit.SharePoint" => ("SharePoint", 6, "FileAccessed"),
                "DLP.All" => ("Exchange", 13, "DlpRuleMatch"),
                _ => ("MicrosoftTeams", 25, "MemberAdded"),
            };
            json!({
                "CreationTime": at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "Id": ids::object_id(key, "record", k as u32).to_string(),
                "Operation": operation, "OrganizationId": t.id.to_string(), "RecordType": record_type,
                "ResultStatus": if k % 7 == 3 { "Failed" } else { "Succeeded" },
                "UserKey": uid, "UserType": 0, "Version": 1, "Workload": workload,
                "ClientIP": format!("198.51.100.{}", k * 11 % 250), "ObjectId": upn, "UserId": upn,
            })
        })
        .collect()
}

/// Every record of `ctype` in the blobs created within `[from, to)` (and before `now`): what a
/// reader that lists those windows and fetches every blob must end up with.
pub fn records_created_between(
    t: &Tenant,
    ctype: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Value> {
    let offset = Duration::minutes((ids::hash3(t.seed, ctype, 0) % 50) as i64 + 5);
    let mut hour = hour_floor(from - offset);
    let mut out = Vec::new();
    while hour + offset < to && hour + offset < now {
        if hour + offset >= from {
            out.extend(blob_records(t, hour, ctype, &content_id(hour, ctype)));
        }
        hour += Duration::hours(1);
    }
    out
}
