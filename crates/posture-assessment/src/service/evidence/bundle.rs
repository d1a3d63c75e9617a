//! Gathering a bundle's files: the assessment and its findings, the HTML report, the raw
//! evidence (the inventory version of every object a finding names, as it was when the assessment
//! completed), the exceptions and drift decisions in force then, and the connection's permission
//! test. Everything is read through the role's own APIs and the sync and credentials roles' public
//! ones, the same reads a client could make, and written in a fixed order so the same assessment
//! gives the same files.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use posture_kit::ServiceError;
use posture_kit::evidence::BundleFile;
use posture_kit::ids::TenantId;
use posture_proto::v1 as pb;
use posture_proto::v1::assessment_service_server::AssessmentService;
use posture_proto::v1::drift_service_server::DriftService;
use posture_proto::v1::exception_service_server::ExceptionService;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use serde_json::{Value, json};
use tonic::{Code, Request};

use super::EvidenceApi;
use super::json;
use crate::service::render_html_from_api_with_drift;

/// Most raw evidence objects one bundle carries; findings list at most 1000 objects each.
pub const MAX_EVIDENCE_OBJECTS: usize = 50_000;
/// Inventory reads in flight at once while collecting raw evidence.
const CONCURRENT_READS: usize = 8;
/// Why an object named as evidence has no file: the inventory does not have it.
const NOT_IN_INVENTORY: &str = "not in the inventory (a derived object, or one since purged)";
/// Why an object named as evidence has no file: its kind keeps only the current state, which
/// changed after the assessment.
const CHANGED_SINCE: &str = "its kind keeps no versions and the object has changed since the assessment";
/// An object's version as judged, or why the bundle cannot carry it.
type Found = Result<pb::ObjectVersion, &'static str>;
/// Most pages read of one listing (exceptions, drift, findings, controls, versions).
const MAX_PAGES: usize = 1_000;

/// What a bundle documents and the files that document it.
pub struct Gathered {
    pub assessment: pb::Assessment,
    pub assessed_at: DateTime<Utc>,
    pub files: Vec<BundleFile>,
}

/// Every item of a paged listing: `page(token)` reads one page and returns its items and the next
/// token. Stops after [`MAX_PAGES`] pages.
async fn all_pages<T, Fut>(mut page: impl FnMut(String) -> Fut) -> Result<Vec<T>, tonic::Status>
where
    Fut: std::future::Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    let mut all = Vec::new();
    let mut token = String::new();
    for _ in 0..MAX_PAGES {
        let (items, next) = page(token).await?;
        all.extend(items);
        if next.is_empty() {
            break;
        }
        token = next;
    }
    Ok(all)
}

fn status(error: ServiceError) -> tonic::Status {
    error.into()
}

fn at(t: Option<&prost_types::Timestamp>) -> Option<DateTime<Utc>> {
    t.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
}

/// A path segment from an id: letters, digits, `.`, `-` and `_` stay; anything else becomes
/// `%XX`, so ids with `/` or `..` cannot leave their folder and distinct ids stay distinct.
pub fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' => out.push(char::from(byte)),
            b'.' if !out.is_empty() => out.push('.'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    out
}

impl EvidenceApi {
    /// The assessment a request names: `assessment_id` (which must have succeeded), or the latest
    /// succeeded one completed by `as_of` (now when unset).
    pub(super) async fn resolve(
        &self,
        tenant: &TenantId,
        assessment_id: &str,
        as_of: Option<&prost_types::Timestamp>,
    ) -> Result<pb::Assessment, tonic::Status> {
        if !assessment_id.is_empty() {
            let found = self
                .assessments
                .get_assessment(Request::new(pb::GetAssessmentRequest {
                    tenant_id: tenant.to_string(),
                    assessment_id: assessment_id.to_owned(),
                }))
                .await?
                .into_inner()
                .assessment
                .unwrap_or_default();
            if found.state != pb::AssessmentState::Succeeded as i32 {
                return Err(status(ServiceError::FailedPrecondition {
                    reason: format!(
                        "assessment {assessment_id} has not succeeded (it is {}); only a succeeded \
                         assessment has evidence to export",
                        pb::AssessmentState::try_from(found.state)
                            .map(|s| s.as_str_name())
                            .unwrap_or("unknown")
                    ),
                }));
            }
            return Ok(found);
        }
        let Some(as_of) = as_of else {
            return Ok(self
                .assessments
                .get_latest_assessment(Request::new(pb::GetLatestAssessmentRequest {
                    tenant_id: tenant.to_string(),
                }))
                .await?
                .into_inner()
                .assessment
                .unwrap_or_default());
        };
        let as_of = posture_kit::time::from_timestamp("as_of", as_of).map_err(status)?;
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .assessments
                .list_assessments(Request::new(pb::ListAssessmentsRequest {
                    tenant_id: tenant.to_string(),
                    page_size: 500,
                    page_token: page_token.clone(),
                    ..Default::default()
                }))
                .await?
                .into_inner();
            // Newest requested first; the first succeeded one completed by `as_of` is the one.
            if let Some(found) = page.assessments.into_iter().find(|a| {
                a.state == pb::AssessmentState::Succeeded as i32
                    && at(a.completed_at.as_ref()).is_some_and(|done| done <= as_of)
            }) {
                return Ok(found);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        Err(status(ServiceError::NotFound {
            what: "succeeded assessment completed by as_of of tenant",
            id: tenant.to_string(),
        }))
    }

    async fn findings(&self, a: &pb::Assessment) -> Result<Vec<pb::Finding>, tonic::Status> {
        let mut all = all_pages(|page_token| async move {
            let page = self
                .assessments
                .list_findings(Request::new(pb::ListFindingsRequest {
                    tenant_id: a.tenant_id.clone(),
                    assessment_id: a.assessment_id.clone(),
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                }))
                .await?
                .into_inner();
            Ok((page.findings, page.next_page_token))
        })
        .await?;
        all.sort_by(|x, y| x.control_id.cmp(&y.control_id));
        Ok(all)
    }

    async fn controls(&self) -> Result<Vec<pb::Control>, tonic::Status> {
        all_pages(|page_token| async move {
            let page = self
                .assessments
                .list_controls(Request::new(pb::ListControlsRequest {
                    page_size: 1000,
                    page_token,
                    ..Default::default()
                }))
                .await?
                .into_inner();
            Ok((page.controls, page.next_page_token))
        })
        .await
    }

    /// Exceptions in force when the assessment completed: created by then and not yet expired.
    async fn exceptions(
        &self,
        tenant: &TenantId,
        assessed_at: DateTime<Utc>,
    ) -> Result<Vec<Value>, tonic::Status> {
        let mut all = all_pages(|page_token| async move {
            let page = self
                .exceptions
                .list_exceptions(Request::new(pb::ListExceptionsRequest {
                    tenant_id: tenant.to_string(),
                    include_expired: true,
                    page_size: 500,
                    page_token,
                    ..Default::default()
                }))
                .await?
                .into_inner();
            Ok((page.exceptions, page.next_page_token))
        })
        .await?;
        all.retain(|e| {
            at(e.created_at.as_ref()).is_none_or(|created| created <= assessed_at)
                && at(e.expires_at.as_ref()).is_none_or(|expires| expires > assessed_at)
        });
        all.sort_by(|x, y| x.exception_id.cmp(&y.exception_id));
        Ok(all.iter().map(json::exception).collect())
    }

    /// Drift detected by the time the assessment completed, with its decision (new, accepted,
    /// denied) as it stands.
    async fn drift(
        &self,
        tenant: &TenantId,
        assessed_at: DateTime<Utc>,
    ) -> Result<Vec<pb::Drift>, tonic::Status> {
        let mut all = all_pages(|page_token| async move {
            let page = self
                .drift
                .list_drift(Request::new(pb::ListDriftRequest {
                    tenant_id: tenant.to_string(),
                    page_size: 500,
                    page_token,
                    ..Default::default()
                }))
                .await?
                .into_inner();
            Ok((page.drift, page.next_page_token))
        })
        .await?;
        all.retain(|d| at(d.detected_at.as_ref()).is_none_or(|detected| detected <= assessed_at));
        all.sort_by(|x, y| x.drift_id.cmp(&y.drift_id));
        Ok(all)
    }

    async fn connection(&self, tenant: &TenantId) -> Result<Option<pb::Connection>, tonic::Status> {
        let reply = TenantConnectionServiceClient::new(self.credentials.clone())
            .get_connection(pb::GetConnectionRequest {
                tenant_id: tenant.to_string(),
            })
            .await;
        match reply {
            Ok(reply) => Ok(reply.into_inner().connection),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(tonic::Status::unavailable(format!(
                "cannot read the tenant's connection from the credentials role: {}",
                status.message()
            ))),
        }
    }

    /// The version of an object that was current when the assessment completed, or why there is
    /// none: configuration kinds keep every version; other kinds keep only the current object,
    /// which is that version only if it has not changed since.
    async fn version_at(
        &self,
        tenant: &TenantId,
        object: &pb::ObjectRef,
        assessed_at: DateTime<Utc>,
    ) -> Result<Found, tonic::Status> {
        let unavailable = |s: tonic::Status| {
            tonic::Status::unavailable(format!(
                "cannot read the inventory from the sync role: {}",
                s.message()
            ))
        };
        let mut client = self.reader.inventory();
        let mut chosen: Option<u64> = None;
        let mut page_token = String::new();
        for _ in 0..MAX_PAGES {
            let page = client
                .list_object_versions(pb::ListObjectVersionsRequest {
                    tenant_id: tenant.to_string(),
                    entity_kind: object.entity_kind.clone(),
                    object_id: object.object_id.clone(),
                    page_size: 1000,
                    page_token: page_token.clone(),
                })
                .await;
            let page = match page {
                Ok(page) => page.into_inner(),
                Err(s) if matches!(s.code(), Code::NotFound | Code::InvalidArgument) => {
                    return Ok(Err(NOT_IN_INVENTORY));
                }
                // A kind that keeps no versions: its current object, if unchanged since.
                Err(s) if s.code() == Code::FailedPrecondition => {
                    return self.current_object(tenant, object, assessed_at).await;
                }
                Err(s) => return Err(unavailable(s)),
            };
            for v in &page.versions {
                if at(v.observed_at.as_ref()).is_some_and(|seen| seen <= assessed_at)
                    && chosen.is_none_or(|c| v.version > c)
                {
                    chosen = Some(v.version);
                }
            }
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let Some(version) = chosen else {
            return Ok(Err(NOT_IN_INVENTORY));
        };
        let reply = client
            .get_object_version(pb::GetObjectVersionRequest {
                tenant_id: tenant.to_string(),
                entity_kind: object.entity_kind.clone(),
                object_id: object.object_id.clone(),
                version,
            })
            .await
            .map_err(unavailable)?;
        Ok(reply.into_inner().version.ok_or(NOT_IN_INVENTORY))
    }

    async fn current_object(
        &self,
        tenant: &TenantId,
        object: &pb::ObjectRef,
        assessed_at: DateTime<Utc>,
    ) -> Result<Found, tonic::Status> {
        let reply = self
            .reader
            .inventory()
            .get_object(pb::GetObjectRequest {
                tenant_id: tenant.to_string(),
                entity_kind: object.entity_kind.clone(),
                object_id: object.object_id.clone(),
            })
            .await;
        let current = match reply {
            Ok(reply) => reply.into_inner().object,
            Err(s) if matches!(s.code(), Code::NotFound | Code::InvalidArgument) => None,
            Err(s) => {
                return Err(tonic::Status::unavailable(format!(
                    "cannot read the inventory from the sync role: {}",
                    s.message()
                )));
            }
        };
        let Some(current) = current else {
            return Ok(Err(NOT_IN_INVENTORY));
        };
        let changed = at(current.changed_at.as_ref()).or_else(|| at(current.first_seen_at.as_ref()));
        if changed.is_none_or(|changed| changed > assessed_at) {
            return Ok(Err(CHANGED_SINCE));
        }
        Ok(Ok(pb::ObjectVersion {
            version: current.version,
            content_hash: current.content_hash,
            observed_at: current.changed_at.or(current.first_seen_at),
            removed: current.removed,
            run_id: current.last_run_id,
            content_json: current.content_json,
            ..Default::default()
        }))
    }

    /// The raw evidence files and their index (which object is in which file, or why it is not).
    async fn raw_evidence(
        &self,
        tenant: &TenantId,
        findings: &[pb::Finding],
        assessed_at: DateTime<Utc>,
    ) -> Result<Vec<BundleFile>, tonic::Status> {
        let objects: BTreeSet<(String, String)> = findings
            .iter()
            .flat_map(|f| {
                f.evidence
                    .iter()
                    .chain(f.framework_results.iter().flat_map(|r| r.evidence.iter()))
            })
            .filter_map(|e| e.object.as_ref())
            .filter(|o| !o.entity_kind.is_empty() && !o.object_id.is_empty())
            .map(|o| (o.entity_kind.clone(), o.object_id.clone()))
            .take(MAX_EVIDENCE_OBJECTS)
            .collect();
        let read: Vec<((String, String), Found)> = futures::stream::iter(objects)
            .map(|(kind, id)| async move {
                let object = pb::ObjectRef {
                    entity_kind: kind.clone(),
                    object_id: id.clone(),
                    display_name: String::new(),
                };
                let version = self.version_at(tenant, &object, assessed_at).await?;
                Ok::<_, tonic::Status>(((kind, id), version))
            })
            .buffered(CONCURRENT_READS)
            .try_collect()
            .await?;
        let mut files = Vec::new();
        let mut index = Vec::new();
        for ((kind, id), version) in read {
            match version {
                Ok(v) => {
                    let path = format!(
                        "evidence/{}/{}@v{}.json",
                        path_segment(&kind),
                        path_segment(&id),
                        v.version
                    );
                    index.push(
                        json!({"entity_kind": kind, "object_id": id, "version": v.version, "path": path}),
                    );
                    files.push(BundleFile::json(path, &json::object_version(&kind, &id, &v)));
                }
                Err(note) => index.push(json!({
                    "entity_kind": kind,
                    "object_id": id,
                    "version": Value::Null,
                    "path": Value::Null,
                    "note": note,
                })),
            }
        }
        files.push(BundleFile::json("evidence/index.json", &Value::Array(index)));
        Ok(files)
    }

    /// Every file of the bundle of `assessment` (the manifest and signature excepted).
    pub(super) async fn gather(
        &self,
        tenant: &TenantId,
        assessment: pb::Assessment,
        exclude_raw_evidence: bool,
    ) -> Result<Gathered, tonic::Status> {
        let assessed_at = at(assessment.completed_at.as_ref())
            .ok_or_else(|| tonic::Status::failed_precondition("the assessment has no completion time"))?;
        let findings = self.findings(&assessment).await?;
        let controls = self.controls().await?;
        let exceptions = self.exceptions(tenant, assessed_at).await?;
        let drift = self.drift(tenant, assessed_at).await?;
        let connection = self.connection(tenant).await?;
        let display_name = connection
            .as_ref()
            .map(|c| c.display_name.clone())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| tenant.to_string());
        let open_drift: Vec<pb::Drift> = drift
            .iter()
            .filter(|d| d.state == pb::DriftState::New as i32)
            .cloned()
            .collect();
        let report = render_html_from_api_with_drift(
            &assessment,
            &findings,
            &controls,
            &display_name,
            Some(&open_drift),
        );
        let mut files = vec![
            BundleFile::json("results/assessment.json", &json::assessment(&assessment)),
            BundleFile::json(
                "results/findings.json",
                &Value::Array(findings.iter().map(json::finding).collect()),
            ),
            BundleFile {
                path: "report.html".to_owned(),
                bytes: report.into_bytes(),
                media_type: "text/html",
            },
            BundleFile::json("exceptions.json", &Value::Array(exceptions)),
            BundleFile::json("drift.json", &Value::Array(drift.iter().map(json::drift).collect())),
            BundleFile::json(
                "connection/permission-test.json",
                &connection
                    .as_ref()
                    .map(json::permission_test)
                    .unwrap_or_else(|| json!({"tenant_id": tenant.to_string(), "state": null, "note": "the tenant has no connection"})),
            ),
        ];
        if !exclude_raw_evidence {
            files.extend(self.raw_evidence(tenant, &findings, assessed_at).await?);
        }
        Ok(Gathered {
            assessment,
            assessed_at,
            files,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::path_segment;

    #[test]
    fn object_ids_become_path_segments_that_stay_in_their_folder() {
        assert_eq!(
            path_segment("6f1c8a1e-0000-4000-8000-00000000000a"),
            "6f1c8a1e-0000-4000-8000-00000000000a"
        );
        assert_eq!(path_segment("../etc/passwd"), "%2E.%2Fetc%2Fpasswd");
        assert_eq!(path_segment("a/b"), "a%2Fb");
        assert_eq!(path_segment("a%2Fb"), "a%252Fb");
        assert_eq!(path_segment(""), "%00");
        assert_eq!(path_segment("x.json"), "x.json");
    }
}
