//! Reading a per-group kind (`group_transitive_members`): the groups whose members grant or scope
//! privilege are listed first (the role-assignable groups, from the kind's own listing, and every
//! group a Conditional Access policy includes or excludes), then each one's
//! `groups/{id}/transitiveMembers` is paged through and stored as one object per group. Only
//! role-assignable groups can hold a directory role, so they cover the groups role assignments
//! name. Membership is read whole on every run: a nested group's change never shows in the
//! parent's delta, and `members@delta` carries only the changes of a round.

use std::collections::BTreeMap;

use posture_graph::paging::parse_odata_page;
use posture_graph::{EntityKind, GraphClient, GraphError};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use url::Url;

use super::fetch::{FetchedPage, Item};
use crate::kinds::KindDef;

/// The member properties kept: enough to tell a user from a group or service principal and to
/// judge an administrator without the users kind (synced from on-premises, guest).
pub const MEMBER_SELECT: &[&str] = &[
    "id",
    "displayName",
    "userPrincipalName",
    "userType",
    "onPremisesSyncEnabled",
];

/// Why a group's members are read.
#[derive(Debug, Default, Clone)]
struct Target {
    display_name: Option<String>,
    role_assignable: bool,
    conditional_access: bool,
}

/// One page of an OData collection at `url`, read with `spec`'s budget, cost and permissions.
async fn list_page(
    client: &GraphClient,
    spec: &posture_graph::EntitySpec,
    url: Url,
) -> Result<(Vec<Value>, Option<Url>), GraphError> {
    let req = spec.request_at(url);
    let endpoint = req.endpoint();
    let (page, _) = client
        .fetch(&req, |resp| {
            parse_odata_page::<Value>(&resp.body, &endpoint, &resp.ids)
        })
        .await?;
    let next = page
        .next_link
        .map(|l| {
            Url::parse(&l).map_err(|e| GraphError::BadResponse {
                endpoint: endpoint.clone(),
                reason: format!("link is not an absolute URL: {e}"),
                ids: Default::default(),
            })
        })
        .transpose()?;
    Ok((page.records.into_iter().map(|r| r.value).collect(), next))
}

/// Every object of a paged collection.
async fn list_all(
    client: &GraphClient,
    spec: &posture_graph::EntitySpec,
    start: Url,
) -> Result<Vec<Value>, GraphError> {
    let mut out = Vec::new();
    let mut url = Some(start);
    while let Some(u) = url {
        let (items, next) = list_page(client, spec, u).await?;
        out.extend(items);
        url = next;
    }
    Ok(out)
}

fn str_list<'a>(value: &'a Value, pointer: &str) -> impl Iterator<Item = &'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// The groups to read, by id (lower case, so a policy and a listing naming one group agree).
async fn targets(client: &GraphClient, start: Url) -> Result<BTreeMap<String, Target>, GraphError> {
    let spec = EntityKind::GroupTransitiveMembers.spec();
    let mut out: BTreeMap<String, Target> = BTreeMap::new();
    for group in list_all(client, &spec, start).await? {
        let Some(id) = group.get("id").and_then(Value::as_str) else {
            continue;
        };
        let target = out.entry(id.to_ascii_lowercase()).or_default();
        target.role_assignable = group.get("isAssignableToRole") == Some(&Value::Bool(true));
        target.display_name = group
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::to_owned);
    }
    let ca = EntityKind::ConditionalAccessPolicies.spec();
    match list_all(client, &ca, ca.first_page_url(client)?).await {
        Ok(policies) => {
            for policy in &policies {
                for pointer in [
                    "/conditions/users/includeGroups",
                    "/conditions/users/excludeGroups",
                ] {
                    for id in str_list(policy, pointer) {
                        out.entry(id.to_ascii_lowercase()).or_default().conditional_access = true;
                    }
                }
            }
        }
        // Without the policies (no Policy.Read.All, no Entra ID P1) their own kind fails with the
        // reason and no control reads their groups; the role-assignable ones are still read.
        Err(e @ (GraphError::Permission { .. } | GraphError::LicenceMissing { .. })) => {
            tracing::info!(error = %e, "Conditional Access policies unreadable; reading role-assignable groups only");
        }
        Err(e) => return Err(e),
    }
    Ok(out)
}

/// The first page of one group's transitive members.
fn members_url(client: &GraphClient, group_id: &str) -> Result<Url, GraphError> {
    let spec = EntityKind::GroupTransitiveMembers.spec();
    let mut url = spec.url_for(client, &format!("groups/{group_id}/transitiveMembers"))?;
    url.query_pairs_mut()
        .append_pair("$select", &MEMBER_SELECT.join(","))
        .append_pair("$top", "999");
    Ok(url)
}

/// One group's stored object, or `None` when the group is gone (deleted after a policy named it).
async fn group_object(client: &GraphClient, id: &str, target: &Target) -> Result<Option<Value>, GraphError> {
    let spec = EntityKind::GroupTransitiveMembers.spec();
    let members = match list_all(client, &spec, members_url(client, id)?).await {
        Ok(members) => members,
        Err(GraphError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let members: Vec<Value> = members
        .into_iter()
        .filter_map(|m| {
            let Value::Object(map) = m else { return None };
            map.get("id")?.as_str()?;
            let kept: Map<String, Value> = map
                .into_iter()
                .filter(|(k, v)| (k == "@odata.type" || MEMBER_SELECT.contains(&k.as_str())) && !v.is_null())
                .collect();
            Some(Value::Object(kept))
        })
        .collect();
    let mut named_by = Vec::new();
    if target.role_assignable {
        named_by.push("role_assignable");
    }
    if target.conditional_access {
        named_by.push("conditional_access");
    }
    Ok(Some(json!({
        "id": id,
        "displayName": target.display_name,
        "isAssignableToRole": target.role_assignable,
        "namedBy": named_by,
        "members": members,
    })))
}

/// Runs the per-group read from `start` (the role-assignable groups' listing): one page per group,
/// the last one without a next link. At most `buffer` pages wait for the writer.
pub fn spawn_group_reader(
    _kind: &'static KindDef,
    client: GraphClient,
    start: Url,
    buffer: usize,
    stop: CancellationToken,
) -> mpsc::Receiver<Result<FetchedPage, GraphError>> {
    let (tx, rx) = mpsc::channel(buffer.max(1));
    tokio::spawn(async move {
        let read = async {
            let targets = match targets(&client, start).await {
                Ok(t) => t,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            if targets.is_empty() {
                let _ = tx
                    .send(Ok(FetchedPage {
                        items: Vec::new(),
                        next: None,
                        delta_link: None,
                    }))
                    .await;
                return;
            }
            let ids: Vec<&String> = targets.keys().collect();
            for (i, (id, target)) in targets.iter().enumerate() {
                let page = group_object(&client, id, target).await.and_then(|object| {
                    let next = match ids.get(i + 1) {
                        Some(next_id) => Some(members_url(&client, next_id)?),
                        None => None,
                    };
                    Ok(FetchedPage {
                        items: object.map(Item::Upsert).into_iter().collect(),
                        next,
                        delta_link: None,
                    })
                });
                let failed = page.is_err();
                if tx.send(page).await.is_err() || failed {
                    return;
                }
            }
        };
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = read => {}
        }
    });
    rx
}
