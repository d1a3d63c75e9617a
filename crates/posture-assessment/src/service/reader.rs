//! Reads what an assessment judges through the sync role's public API: the run's per-entity
//! status says which collections are complete and, for the others, why not (the permission or
//! licence the sync reported); the objects come from InventoryService.ListObjects, page by page.

use futures::{StreamExt, TryStreamExt};
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::audit_service_client::AuditServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use serde_json::Value;
use tonic::transport::Channel;

use crate::document::{Collection, CollectionKind};

/// Objects per ListObjects call (the API's maximum).
const PAGE_SIZE: i32 = 1000;
/// Kinds read at once.
const PARALLEL_KINDS: usize = 4;
/// Earlier runs searched for kinds the judged run did not include.
const LOOKBACK_RUNS: i32 = 20;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The sync role answered with an error, or the call to it broke; see [`ReadError::is_transient`].
    #[error("reading {what} from the sync role failed: {status}")]
    Sync { what: String, status: tonic::Status },
    #[error("object {object_id} of {kind} is not valid JSON: {reason}")]
    Corrupt {
        kind: String,
        object_id: String,
        reason: String,
    },
}

impl ReadError {
    /// Worth another delivery. A sync role restarting mid-read cuts the call in ways tonic
    /// reports as Unavailable, Unknown (a broken connection), Internal (an h2 stream or body
    /// error) or Cancelled (the stream reset as the server stopped); deliveries are bounded, so
    /// a fault that persists still ends as FAILED. Answers a retry cannot change (the request
    /// was refused) and objects that do not parse are final.
    pub fn is_transient(&self) -> bool {
        match self {
            ReadError::Sync { status, .. } => matches!(
                status.code(),
                tonic::Code::Unavailable
                    | tonic::Code::Unknown
                    | tonic::Code::Internal
                    | tonic::Code::Cancelled
                    | tonic::Code::Aborted
                    | tonic::Code::DeadlineExceeded
                    | tonic::Code::ResourceExhausted
            ),
            ReadError::Corrupt { .. } => false,
        }
    }
}

fn sync_error(what: impl Into<String>) -> impl FnOnce(tonic::Status) -> ReadError {
    let what = what.into();
    move |status| ReadError::Sync { what, status }
}

/// The sync role's reason for a kind it could not read, as one line for the control's result:
/// the missing permissions when that is the cause (`the app lacks Policy.Read.All (admin consent
/// needed); Microsoft answered 403 Authorization_RequestDenied`), otherwise status, code, message
/// and endpoint.
pub fn describe_failure(reason: Option<&pb::FailureReason>, state: i32) -> String {
    let Some(r) = reason else {
        return match pb::EntitySyncState::try_from(state) {
            Ok(pb::EntitySyncState::Skipped) => "skipped by the sync".to_owned(),
            _ => "the sync could not read it".to_owned(),
        };
    };
    let mut answer = String::new();
    if r.http_status != 0 {
        answer.push_str(&r.http_status.to_string());
    }
    if !r.code.is_empty() {
        if !answer.is_empty() {
            answer.push(' ');
        }
        answer.push_str(&r.code);
    }
    // What an administrator acts on comes first: the permission to consent to.
    if !r.missing_permissions.is_empty() {
        let mut text = format!(
            "the app lacks {} (admin consent needed)",
            r.missing_permissions.join(", ")
        );
        if !answer.is_empty() {
            text.push_str(&format!("; Microsoft answered {answer}"));
        }
        return text;
    }
    let message = without_request_ids(&r.message);
    let message = if message.is_empty() {
        "failed"
    } else {
        message.as_str()
    };
    let mut text = if answer.is_empty() {
        message.to_owned()
    } else {
        format!("{answer}: {message}")
    };
    if !r.endpoint.is_empty() {
        text.push_str(&format!(" [{}]", r.endpoint));
    }
    text
}

/// Drops the `(Code; client-request-id …, request-id …)` trailer Graph errors carry: useful in a
/// log when asking Microsoft support, noise in a control's reason.
fn without_request_ids(message: &str) -> String {
    match message.find("client-request-id") {
        Some(at) => match message[..at].rfind(" (") {
            Some(open) => {
                let close = message[at..].find(')').map_or(message.len(), |c| at + c + 1);
                format!("{}{}", &message[..open], &message[close..])
                    .trim()
                    .to_owned()
            }
            None => message.trim().to_owned(),
        },
        None => message.trim().to_owned(),
    }
}

fn is_terminal(state: i32) -> bool {
    matches!(
        pb::EntitySyncState::try_from(state),
        Ok(pb::EntitySyncState::Succeeded | pb::EntitySyncState::Failed | pb::EntitySyncState::Skipped)
    )
}

/// Runs the tenant's inventory can be judged from: some entity read.
pub fn is_assessable(run: &pb::SyncRun) -> bool {
    matches!(
        pb::SyncRunState::try_from(run.state),
        Ok(pb::SyncRunState::Succeeded | pb::SyncRunState::PartiallySucceeded)
    )
}

#[derive(Clone)]
pub struct InventoryReader {
    channel: Channel,
    max_message_bytes: usize,
}

impl InventoryReader {
    pub fn new(channel: Channel, max_message_bytes: usize) -> Self {
        Self {
            channel,
            max_message_bytes,
        }
    }

    fn sync(&self) -> SyncServiceClient<Channel> {
        SyncServiceClient::new(self.channel.clone()).max_decoding_message_size(self.max_message_bytes)
    }

    /// The sync role's AuditService (who changed what, for drift).
    pub fn audit(&self) -> AuditServiceClient<Channel> {
        AuditServiceClient::new(self.channel.clone()).max_decoding_message_size(self.max_message_bytes)
    }

    pub(crate) fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel.clone()).max_decoding_message_size(self.max_message_bytes)
    }

    async fn recent_runs(&self, tenant_id: &TenantId) -> Result<Vec<pb::SyncRun>, ReadError> {
        let response = self
            .sync()
            .list_sync_runs(pb::ListSyncRunsRequest {
                tenant_id: tenant_id.to_string(),
                page_size: LOOKBACK_RUNS,
                ..Default::default()
            })
            .await;
        match response {
            Ok(r) => Ok(r.into_inner().runs),
            // The sync role has never heard of the tenant.
            Err(status) if status.code() == tonic::Code::NotFound => Ok(Vec::new()),
            Err(status) => Err(sync_error("the sync runs")(status)),
        }
    }

    /// The tenant's newest run that read something, for a manual assessment.
    pub async fn latest_assessable_run(
        &self,
        tenant_id: &TenantId,
    ) -> Result<Option<pb::SyncRun>, ReadError> {
        Ok(self.recent_runs(tenant_id).await?.into_iter().find(is_assessable))
    }

    /// Every document collection the sync knows, from `run` and, for kinds the run did not
    /// include, from the newest earlier run that finished them.
    pub async fn collections(
        &self,
        tenant_id: &TenantId,
        run: &pb::SyncRun,
    ) -> Result<Vec<(CollectionKind, Collection)>, ReadError> {
        let mut statuses: Vec<pb::EntitySync> = run
            .entities
            .iter()
            .filter(|e| is_terminal(e.state))
            .cloned()
            .collect();
        let covered =
            |statuses: &[pb::EntitySync], kind: &str| statuses.iter().any(|e| e.entity_kind == kind);
        let needs_lookback = CollectionKind::ALL.iter().any(|k| !covered(&statuses, k.key()));
        if needs_lookback {
            for earlier in self.recent_runs(tenant_id).await? {
                if earlier.run_id == run.run_id {
                    continue;
                }
                for entity in earlier.entities {
                    if is_terminal(entity.state) && !covered(&statuses, &entity.entity_kind) {
                        statuses.push(entity);
                    }
                }
            }
        }
        futures::stream::iter(
            statuses
                .into_iter()
                .filter_map(|e| CollectionKind::from_key(&e.entity_kind).map(|kind| (kind, e))),
        )
        .map(|(kind, entity)| async move {
            if entity.state == pb::EntitySyncState::Succeeded as i32 {
                let items = self.objects(tenant_id, kind).await?;
                Ok((kind, Collection::ok(items)))
            } else {
                Ok((
                    kind,
                    Collection::missing(describe_failure(entity.error.as_ref(), entity.state)),
                ))
            }
        })
        .buffer_unordered(PARALLEL_KINDS)
        .try_collect()
        .await
    }

    /// Every current object of one kind, as the document keeps it: the Graph JSON the sync
    /// stored, projected for the per-user kinds while each page is parsed. The next page is
    /// requested before the current one is parsed, so the sync role reads it meanwhile.
    async fn objects(&self, tenant_id: &TenantId, kind: CollectionKind) -> Result<Vec<Value>, ReadError> {
        let key = kind.key();
        let mut items = Vec::new();
        let mut pending = Some(self.page(tenant_id, key, String::new()));
        while let Some(request) = pending.take() {
            let page = request
                .await
                .map_err(|e| ReadError::Sync {
                    what: format!("the {key} inventory"),
                    status: tonic::Status::internal(format!("the page read stopped: {e}")),
                })?
                .map_err(sync_error(format!("the {key} inventory")))?;
            if !page.next_page_token.is_empty() {
                pending = Some(self.page(tenant_id, key, page.next_page_token));
            }
            items.reserve(page.objects.len());
            for object in page.objects {
                let value = kind
                    .parse_object(&object.content_json)
                    .map_err(|e| ReadError::Corrupt {
                        kind: key.to_owned(),
                        object_id: object.r#ref.map(|r| r.object_id).unwrap_or_default(),
                        reason: e.to_string(),
                    })?;
                items.push(value);
            }
        }
        Ok(items)
    }

    /// The names of the configuration kinds the sync keeps versions of (what drift compares).
    pub async fn configuration_kinds(&self) -> Result<Vec<String>, ReadError> {
        let kinds = self
            .inventory()
            .list_entity_kinds(pb::ListEntityKindsRequest {})
            .await
            .map_err(sync_error("the entity kinds"))?
            .into_inner()
            .entity_kinds;
        Ok(kinds
            .into_iter()
            .filter(|k| k.configuration)
            .map(|k| k.name)
            .collect())
    }

    /// Every current object of one kind as the inventory keeps it, content included.
    pub async fn current_objects(
        &self,
        tenant_id: &TenantId,
        kind: &str,
    ) -> Result<Vec<pb::InventoryObject>, ReadError> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        loop {
            let page = self
                .page(tenant_id, kind, page_token)
                .await
                .map_err(|e| ReadError::Sync {
                    what: format!("the {kind} inventory"),
                    status: tonic::Status::internal(format!("the page read stopped: {e}")),
                })?
                .map_err(sync_error(format!("the {kind} inventory")))?;
            out.extend(page.objects);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            page_token = page.next_page_token;
        }
    }

    /// Starts reading one page of current objects in the background.
    fn page(
        &self,
        tenant_id: &TenantId,
        kind: &str,
        page_token: String,
    ) -> tokio::task::JoinHandle<Result<pb::ListObjectsResponse, tonic::Status>> {
        let mut client = self.inventory();
        let request = pb::ListObjectsRequest {
            tenant_id: tenant_id.to_string(),
            entity_kind: kind.to_owned(),
            include_removed: false,
            view: pb::ObjectView::Full as i32,
            page_size: PAGE_SIZE,
            page_token,
            as_of: None,
        };
        tokio::spawn(async move {
            client
                .list_objects(request)
                .await
                .map(tonic::Response::into_inner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(code: &str, message: &str, missing: &[&str]) -> pb::FailureReason {
        pb::FailureReason {
            code: code.into(),
            message: message.into(),
            missing_permissions: missing.iter().map(|p| (*p).to_owned()).collect(),
            endpoint: "GET /graph/v1.0/identity/conditionalAccess/policies".into(),
            http_status: 403,
            ..Default::default()
        }
    }

    fn cut(code: tonic::Code) -> ReadError {
        ReadError::Sync {
            what: "the users inventory".into(),
            status: tonic::Status::new(code, "the sync role went away"),
        }
    }

    #[test]
    fn a_read_cut_by_a_sync_restart_is_transient_and_a_refused_request_is_not() {
        for code in [
            tonic::Code::Unavailable,
            tonic::Code::Unknown,
            tonic::Code::Internal,
            tonic::Code::Cancelled,
            tonic::Code::Aborted,
            tonic::Code::DeadlineExceeded,
        ] {
            assert!(cut(code).is_transient(), "{code:?}");
        }
        for code in [
            tonic::Code::InvalidArgument,
            tonic::Code::NotFound,
            tonic::Code::PermissionDenied,
            tonic::Code::Unauthenticated,
            tonic::Code::Unimplemented,
        ] {
            assert!(!cut(code).is_transient(), "{code:?}");
        }
        let corrupt = ReadError::Corrupt {
            kind: "users".into(),
            object_id: "u1".into(),
            reason: "not JSON".into(),
        };
        assert!(!corrupt.is_transient());
    }

    #[test]
    fn a_missing_permission_is_named_first_without_request_ids() {
        let r = reason(
            "Authorization_RequestDenied",
            "permission missing: needs Policy.Read.All (Authorization_RequestDenied; client-request-id 6463, request-id 6438)",
            &["Policy.Read.All"],
        );
        let text = describe_failure(Some(&r), 0);
        assert_eq!(
            text,
            "the app lacks Policy.Read.All (admin consent needed); Microsoft answered 403 Authorization_RequestDenied"
        );
    }

    #[test]
    fn other_failures_keep_code_message_and_endpoint_but_drop_request_ids() {
        let r = reason(
            "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "the tenant has no Entra ID P2 licence (Authentication_RequestFromNonPremiumTenantOrB2CTenant; client-request-id 1, request-id 2)",
            &[],
        );
        let text = describe_failure(Some(&r), 0);
        assert_eq!(
            text,
            "403 Authentication_RequestFromNonPremiumTenantOrB2CTenant: the tenant has no Entra ID P2 licence \
             [GET /graph/v1.0/identity/conditionalAccess/policies]"
        );
        assert_eq!(
            describe_failure(None, pb::EntitySyncState::Skipped as i32),
            "skipped by the sync"
        );
    }
}
