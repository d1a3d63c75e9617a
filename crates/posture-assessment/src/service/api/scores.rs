//! ScoreService: a tenant's Secure Score history and its Defender exposure and configuration
//! scores, read from the inventory the sync role keeps (`secure_scores`, one object per day,
//! days that fell out of Graph's 90-day window kept as removed objects; and the versions of the
//! `defender_exposure_score` and `defender_configuration_score` singletons, one version per
//! measurement). Drops are flagged with the tenant's own assessment parameters, so the history
//! and control `posture.securescore.drop` agree.

use chrono::{DateTime, Duration, Utc};
use posture_kit::ServiceError;
use posture_kit::error::page_size;
use posture_kit::ids::TenantId;
use posture_kit::paging::Keyset;
use posture_kit::time::{from_micros, from_optional_timestamp, micros, timestamp};
use posture_proto::v1 as pb;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::score_service_server::ScoreService;
use serde_json::Value;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

use super::validate;
use crate::service::store::AssessmentStore;

/// The inventory kinds scores are read from.
pub const SECURE_SCORES: &str = "secure_scores";
pub const EXPOSURE_SCORE: &str = "defender_exposure_score";
pub const CONFIGURATION_SCORE: &str = "defender_configuration_score";

/// Objects or versions per inventory call (the API's maximum).
const READ_PAGE: i32 = 1000;
/// Most pages read for one history: a guard against a sync role that never ends a listing.
const MAX_READ_PAGES: usize = 100;

#[derive(Clone)]
pub struct ScoreApi {
    pub store: AssessmentStore,
    pub sync: Channel,
    pub max_message_bytes: usize,
}

/// One measurement of a Defender score.
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    at: DateTime<Utc>,
    score: f64,
}

impl ScoreApi {
    fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.sync.clone()).max_decoding_message_size(self.max_message_bytes)
    }

    fn unavailable(what: &str, status: &Status) -> ServiceError {
        tracing::warn!(code = ?status.code(), message = status.message(), "reading {what} from the sync role failed");
        ServiceError::Unavailable {
            what: "the sync role".to_owned(),
        }
    }

    /// Every object of `kind`, removed ones included; empty when the sync role does not know the
    /// tenant or the kind.
    async fn objects(&self, tenant: &TenantId, kind: &str) -> Result<Vec<pb::InventoryObject>, ServiceError> {
        let mut client = self.inventory();
        let mut out = Vec::new();
        let mut token = String::new();
        for _ in 0..MAX_READ_PAGES {
            let reply = client
                .list_objects(pb::ListObjectsRequest {
                    tenant_id: tenant.to_string(),
                    entity_kind: kind.to_owned(),
                    include_removed: true,
                    view: pb::ObjectView::Full as i32,
                    page_size: READ_PAGE,
                    page_token: token,
                    as_of: None,
                })
                .await;
            let page = match reply {
                Ok(r) => r.into_inner(),
                Err(s) if matches!(s.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => {
                    return Ok(out);
                }
                Err(s) => return Err(Self::unavailable(kind, &s)),
            };
            out.extend(page.objects);
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
        Ok(out)
    }

    /// Every version of every object of a singleton kind, one per measurement, skipping versions
    /// the sync observed before `from` (a measurement is never observed before it is made).
    /// ListObjectVersions lists versions without their content; each one is read with
    /// GetObjectVersion.
    async fn measurements(
        &self,
        tenant: &TenantId,
        kind: &str,
        from: Option<DateTime<Utc>>,
    ) -> Result<Vec<Measurement>, ServiceError> {
        let mut client = self.inventory();
        let mut out = Vec::new();
        for object in self.objects(tenant, kind).await? {
            let Some(object_id) = object.r#ref.map(|r| r.object_id) else {
                continue;
            };
            let mut listed = Vec::new();
            let mut token = String::new();
            for _ in 0..MAX_READ_PAGES {
                let reply = client
                    .list_object_versions(pb::ListObjectVersionsRequest {
                        tenant_id: tenant.to_string(),
                        entity_kind: kind.to_owned(),
                        object_id: object_id.clone(),
                        page_size: READ_PAGE,
                        page_token: token,
                    })
                    .await
                    .map_err(|s| Self::unavailable(kind, &s))?
                    .into_inner();
                listed.extend(reply.versions);
                if reply.next_page_token.is_empty() {
                    break;
                }
                token = reply.next_page_token;
            }
            for version in listed.into_iter().filter(|v| !v.removed) {
                let observed = version
                    .observed_at
                    .as_ref()
                    .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)));
                if let (Some(from), Some(observed)) = (from, observed)
                    && observed < from
                {
                    continue;
                }
                let full = client
                    .get_object_version(pb::GetObjectVersionRequest {
                        tenant_id: tenant.to_string(),
                        entity_kind: kind.to_owned(),
                        object_id: object_id.clone(),
                        version: version.version,
                    })
                    .await
                    .map_err(|s| Self::unavailable(kind, &s))?
                    .into_inner()
                    .version;
                if let Some(full) = full
                    && let Some(m) = measurement(&full.content_json, full.observed_at.as_ref())
                {
                    out.push(m);
                }
            }
        }
        out.sort_by_key(|m| m.at);
        out.dedup_by(|a, b| a.at == b.at);
        Ok(out)
    }

    async fn secure_scores(
        &self,
        body: pb::ListSecureScoresRequest,
    ) -> Result<pb::ListSecureScoresResponse, ServiceError> {
        let window = Window::parse(
            "secure-scores",
            &body.tenant_id,
            body.page_size,
            body.measured,
            &body.page_token,
        )?;
        let tenant = window.tenant;
        let settings = self.store.settings(&tenant).await?;
        let parameters = validate::effective_parameters(&settings.parameters);
        let drop_points = parameters
            .get("secure_score_drop_points")
            .copied()
            .unwrap_or_default();
        let drop_days = parameters
            .get("secure_score_drop_days")
            .copied()
            .unwrap_or_default();

        let history = secure_score_history(
            &tenant,
            &self.objects(&tenant, SECURE_SCORES).await?,
            drop_points,
            Duration::days(drop_days as i64),
        );
        let (page, next_page_token) = window.page(history, |(at, _)| *at);
        Ok(pb::ListSecureScoresResponse {
            secure_scores: page.into_iter().map(|(_, s)| s).collect(),
            next_page_token,
        })
    }

    async fn exposure_scores(
        &self,
        body: pb::ListExposureScoresRequest,
    ) -> Result<pb::ListExposureScoresResponse, ServiceError> {
        let window = Window::parse(
            "exposure-scores",
            &body.tenant_id,
            body.page_size,
            body.measured,
            &body.page_token,
        )?;
        let tenant = window.tenant;
        let exposure = self.measurements(&tenant, EXPOSURE_SCORE, window.from).await?;
        // The configuration score in force at the first exposure measurement may be older.
        let configuration = self.measurements(&tenant, CONFIGURATION_SCORE, None).await?;
        let (exposure_scores, next_page_token) =
            window.page(exposure_history(&tenant, &exposure, &configuration), measured_at);
        Ok(pb::ListExposureScoresResponse {
            exposure_scores,
            next_page_token,
        })
    }
}

/// One page of a score history: the tenant, the `measured` range, and where the previous page
/// ended, with a keyset token bound to those filters.
struct Window {
    tenant: TenantId,
    limit: usize,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    before: Option<DateTime<Utc>>,
    listing: Keyset,
}

impl Window {
    fn parse(
        scope: &'static str,
        tenant_id: &str,
        page_size: i32,
        measured: Option<pb::TimeRange>,
        page_token: &str,
    ) -> Result<Self, ServiceError> {
        let tenant = validate::tenant(tenant_id)?;
        let limit = page_size_of(page_size)?;
        let range = measured.unwrap_or_default();
        let from = from_optional_timestamp("measured.start_at", range.start_at.as_ref())?;
        let to = from_optional_timestamp("measured.end_at", range.end_at.as_ref())?;
        let listing = Keyset::new(
            scope,
            format!("{tenant}|{:?}|{:?}", from.map(micros), to.map(micros)),
        );
        let before = listing
            .resume(page_token)?
            .map(|p| p.int(0).map(from_micros))
            .transpose()?;
        Ok(Window {
            tenant,
            limit,
            from,
            to,
            before,
            listing,
        })
    }

    /// The entries of `newest_first` in the range after the previous page, at most a page of
    /// them, and the token of the next page.
    fn page<T>(&self, newest_first: Vec<T>, at: impl Fn(&T) -> DateTime<Utc>) -> (Vec<T>, String) {
        let mut page: Vec<T> = newest_first
            .into_iter()
            .filter(|entry| {
                let at = at(entry);
                self.from.is_none_or(|f| at >= f)
                    && self.to.is_none_or(|t| at < t)
                    && self.before.is_none_or(|b| at < b)
            })
            .take(self.limit + 1)
            .collect();
        let next = self
            .listing
            .page(&mut page, self.limit, |entry| [micros(at(entry)).to_string()]);
        (page, next)
    }
}

/// 0 means 90 (a quarter of daily scores); above 1000 is 1000.
fn page_size_of(requested: i32) -> Result<usize, ServiceError> {
    Ok(page_size(requested, 90, 1000)? as usize)
}

fn measured_at(s: &pb::ExposureScore) -> DateTime<Utc> {
    s.measured_at
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
        .unwrap_or_default()
}

fn parse_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    value
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A Defender score object (`{"time": …, "score": …}`); its `time`, or when the sync saw it.
fn measurement(content: &str, observed: Option<&prost_types::Timestamp>) -> Option<Measurement> {
    let value: Value = serde_json::from_str(content).ok()?;
    let score = value.get("score").and_then(Value::as_f64)?;
    let at = parse_time(value.get("time")).or_else(|| {
        observed.and_then(|t| DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap_or(0)))
    })?;
    Some(Measurement { at, score })
}

fn number(value: &Value, field: &str) -> f64 {
    value.get(field).and_then(Value::as_f64).unwrap_or(0.0)
}

/// The Secure Scores in `objects`, newest first, each with its change over `window` and whether
/// that change is a fall of more than `drop_points`. Objects that do not parse are skipped: the
/// history shows what it can.
fn secure_score_history(
    tenant: &TenantId,
    objects: &[pb::InventoryObject],
    drop_points: f64,
    window: Duration,
) -> Vec<(DateTime<Utc>, pb::SecureScore)> {
    let mut days: Vec<(DateTime<Utc>, Value)> = objects
        .iter()
        .filter_map(|o| serde_json::from_str::<Value>(&o.content_json).ok())
        .filter_map(|v| parse_time(v.get("createdDateTime")).map(|at| (at, v)))
        .collect();
    days.sort_by_key(|(at, _)| *at);
    days.dedup_by(|a, b| a.0 == b.0);
    let mut out: Vec<(DateTime<Utc>, pb::SecureScore)> = days
        .iter()
        .map(|(at, v)| {
            let current = number(v, "currentScore");
            let max = number(v, "maxScore");
            // The score of the latest day at or before `at - window`, as the control compares.
            let bound = *at - window;
            let earlier = days.iter().rev().find(|(t, _)| *t <= bound);
            let change = earlier.map(|(_, e)| round2(current - number(e, "currentScore")));
            let score = pb::SecureScore {
                tenant_id: tenant.to_string(),
                measured_at: Some(timestamp(*at)),
                current_score: current,
                max_score: max,
                percentage: if max > 0.0 {
                    round2(current * 100.0 / max)
                } else {
                    0.0
                },
                active_user_count: count(v, "activeUserCount"),
                licensed_user_count: count(v, "licensedUserCount"),
                comparisons: v
                    .get("averageComparativeScores")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|c| pb::ComparativeScore {
                                basis: text(c, "basis"),
                                average_score: number(c, "averageScore"),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                controls: v
                    .get("controlScores")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|c| pb::SecureScoreControl {
                                control_name: text(c, "controlName"),
                                category: text(c, "controlCategory"),
                                score: number(c, "score"),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                change_points: change,
                dropped: change.is_some_and(|c| -c > drop_points),
            };
            (*at, score)
        })
        .collect();
    out.reverse();
    out
}

/// Each exposure measurement, newest first, with the configuration score in force at that time
/// (the newest measured at or before it) and the changes since the previous measurement.
fn exposure_history(
    tenant: &TenantId,
    exposure: &[Measurement],
    configuration: &[Measurement],
) -> Vec<pb::ExposureScore> {
    let config_at = |at: DateTime<Utc>| configuration.iter().rev().find(|m| m.at <= at).map(|m| m.score);
    let mut out = Vec::with_capacity(exposure.len());
    let mut previous: Option<(f64, Option<f64>)> = None;
    for m in exposure {
        let configuration_score = config_at(m.at);
        let exposure_change = previous.map(|(e, _)| round2(m.score - e));
        let configuration_change = previous
            .and_then(|(_, c)| c)
            .zip(configuration_score)
            .map(|(before, now)| round2(now - before));
        out.push(pb::ExposureScore {
            tenant_id: tenant.to_string(),
            measured_at: Some(timestamp(m.at)),
            exposure_score: m.score,
            configuration_score,
            exposure_change,
            configuration_change,
            worsened: exposure_change.is_some_and(|c| c > 0.0)
                || configuration_change.is_some_and(|c| c < 0.0),
        });
        previous = Some((m.score, configuration_score));
    }
    out.reverse();
    out
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn count(value: &Value, field: &str) -> u32 {
    value
        .get(field)
        .and_then(Value::as_u64)
        .map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn text(value: &Value, field: &str) -> String {
    value
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[tonic::async_trait]
impl ScoreService for ScoreApi {
    async fn list_secure_scores(
        &self,
        request: Request<pb::ListSecureScoresRequest>,
    ) -> Result<Response<pb::ListSecureScoresResponse>, Status> {
        Ok(Response::new(self.secure_scores(request.into_inner()).await?))
    }

    async fn list_exposure_scores(
        &self,
        request: Request<pb::ListExposureScoresRequest>,
    ) -> Result<Response<pb::ListExposureScoresResponse>, Status> {
        Ok(Response::new(self.exposure_scores(request.into_inner()).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(content: Value) -> pb::InventoryObject {
        pb::InventoryObject {
            content_json: content.to_string(),
            ..Default::default()
        }
    }

    fn day(d: u32, score: f64) -> pb::InventoryObject {
        object(json!({
            "createdDateTime": format!("2026-11-{d:02}T00:00:00Z"),
            "currentScore": score, "maxScore": 200.0, "activeUserCount": 10,
            "controlScores": [{"controlName": "AdminMFAV2", "controlCategory": "Identity", "score": 10.0}],
        }))
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&Utc))
            .expect("time")
    }

    #[test]
    fn a_secure_score_fall_beyond_the_tenants_points_over_its_window_is_flagged() {
        let tenant = TenantId::new_random();
        let objects: Vec<_> = (1..=10)
            .map(|d| day(d, if d >= 9 { 90.0 } else { 100.0 }))
            .collect();
        let history = secure_score_history(&tenant, &objects, 5.0, Duration::days(7));
        assert_eq!(history.len(), 10);
        let (newest_at, newest) = &history[0];
        assert_eq!(*newest_at, at("2026-11-10T00:00:00Z"), "newest first");
        assert_eq!(newest.change_points, Some(-10.0));
        assert!(newest.dropped);
        assert_eq!(newest.percentage, 45.0);
        assert_eq!(newest.controls[0].control_name, "AdminMFAV2");
        // 8 Nov compares with 1 Nov: no change. 7 Nov has nothing 7 days before it.
        assert_eq!(history[2].1.change_points, Some(0.0));
        assert!(!history[2].1.dropped);
        assert_eq!(history[3].1.change_points, None);
        // A fall of exactly the threshold passes, as in the control.
        let lenient = secure_score_history(&tenant, &objects, 10.0, Duration::days(7));
        assert!(!lenient[0].1.dropped);
    }

    #[test]
    fn objects_that_do_not_parse_are_left_out_of_the_history() {
        let tenant = TenantId::new_random();
        let objects = vec![
            day(1, 50.0),
            object(json!({"currentScore": 3})),
            object(json!("x")),
        ];
        assert_eq!(
            secure_score_history(&tenant, &objects, 5.0, Duration::days(7)).len(),
            1
        );
    }

    #[test]
    fn exposure_history_pairs_each_measurement_with_the_configuration_score_in_force() {
        let tenant = TenantId::new_random();
        let m = |t: &str, score| Measurement { at: at(t), score };
        let exposure = [m("2026-11-01T00:00:00Z", 30.0), m("2026-11-02T00:00:00Z", 42.0)];
        let configuration = [m("2026-11-01T00:00:00Z", 700.0), m("2026-11-01T12:00:00Z", 650.0)];
        let history = exposure_history(&tenant, &exposure, &configuration);
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].exposure_score, 42.0);
        assert_eq!(history[0].configuration_score, Some(650.0));
        assert_eq!(history[0].exposure_change, Some(12.0));
        assert_eq!(history[0].configuration_change, Some(-50.0));
        assert!(history[0].worsened);
        assert_eq!(history[1].exposure_change, None);
        assert!(!history[1].worsened);
    }

    #[test]
    fn a_defender_score_is_read_at_its_own_time_or_when_the_sync_saw_it() {
        let seen = timestamp(at("2026-11-03T05:00:00Z"));
        let own =
            measurement(r#"{"time":"2026-11-02T00:00:00Z","score":12.5}"#, Some(&seen)).expect("parses");
        assert_eq!(own.at, at("2026-11-02T00:00:00Z"));
        let untimed = measurement(r#"{"score":7}"#, Some(&seen)).expect("parses");
        assert_eq!(untimed.at, at("2026-11-03T05:00:00Z"));
        assert!(measurement(r#"{"time":"2026-11-02T00:00:00Z"}"#, None).is_none());
    }
}
