//! `posture.v1.NotificationService`: subscriptions and their delivery log. Creating one stores
//! its secret in the vault first (no subscription exists without its secret) and returns the
//! secret once; removing one removes its secret, deliveries included.

use posture_kit::ServiceError;
use posture_kit::grpc::principal;
use posture_kit::ids::TenantId;
use posture_kit::paging::Keyset;
use posture_kit::time::timestamp;
use posture_proto::v1::notification_service_server::NotificationService;
use posture_proto::v1::{
    CreateSubscriptionRequest, CreateSubscriptionResponse, DeleteSubscriptionRequest,
    DeleteSubscriptionResponse, Delivery, DeliveryState, ListDeliveriesRequest, ListDeliveriesResponse,
    ListSubscriptionsRequest, ListSubscriptionsResponse, NotificationEvent, Severity, Subscription,
    TestSubscriptionRequest, TestSubscriptionResponse, WebhookFormat,
};
use serde_json::json;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::deliver::Sender;
use super::payload::{Notification, render};
use super::signing::SigningSecret;
use super::store::{DeliveryRecord, SubscriptionRecord};
use super::target;
use crate::error::SchedulerError;

const MAX_NAME_LEN: usize = 200;
const MAX_EVENTS: usize = 16;
const MAX_SYNC_FAILURE_THRESHOLD: u32 = 100;
const MAX_CREDENTIAL_EXPIRY_DAYS: u32 = 365;
const DEFAULT_PAGE_SIZE: u32 = 50;
const MAX_PAGE_SIZE: u32 = 500;

/// The notification service; cheap to clone.
#[derive(Clone)]
pub struct NotificationApi {
    pub(crate) sender: Sender,
}

fn invalid(field: &str, reason: impl Into<String>) -> Status {
    SchedulerError::invalid(field, reason).into()
}

fn store_status(error: crate::store::StoreError) -> Status {
    SchedulerError::from(error).into()
}

fn subscription_id(value: &str) -> Result<Uuid, Status> {
    Uuid::parse_str(value.trim()).map_err(|_| invalid("subscription_id", "must be a UUID"))
}

fn optional_tenant(field: &str, value: &str) -> Result<Option<TenantId>, Status> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    crate::api::validate::tenant(field, value.trim())
        .map(Some)
        .map_err(Status::from)
}

fn page_size(requested: i32) -> Result<u32, Status> {
    posture_kit::error::page_size(requested, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        .map_err(|e| Status::from(SchedulerError::from(e)))
}

/// Where a page resumes: (created at in ms, id) of the previous page's last row.
fn position(keyset: &Keyset, token: &str) -> Result<Option<(i64, String)>, Status> {
    let Some(position) = keyset
        .resume(token)
        .map_err(|e| Status::from(SchedulerError::from(e)))?
    else {
        return Ok(None);
    };
    let at = position
        .int(0)
        .map_err(|e| Status::from(SchedulerError::from(e)))?;
    let id = position
        .text(1)
        .map_err(|e| Status::from(SchedulerError::from(e)))?;
    Ok(Some((at, id.to_owned())))
}

pub(crate) fn subscription_message(record: &SubscriptionRecord) -> Subscription {
    Subscription {
        subscription_id: record.subscription_id.to_string(),
        display_name: record.display_name.clone(),
        url: record.url.clone(),
        format: record.format as i32,
        tenant_id: record.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        events: record.events.iter().map(|e| *e as i32).collect(),
        sync_failure_threshold: record.sync_failure_threshold,
        created_by: record.created_by.clone(),
        created_at: Some(timestamp(record.created_at)),
        credential_expiry_days: record.credential_expiry_days,
        min_severity: record.min_severity as i32,
    }
}

pub(crate) fn delivery_message(record: &DeliveryRecord) -> Delivery {
    Delivery {
        delivery_id: record.delivery_id.clone(),
        subscription_id: record.subscription_id.to_string(),
        tenant_id: record.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
        event: record.event as i32,
        state: record.state as i32,
        attempts: record.attempts,
        last_error: record.last_error.clone(),
        last_status: record.last_status,
        created_at: Some(timestamp(record.created_at)),
        next_attempt_at: (record.state == DeliveryState::Pending).then(|| timestamp(record.next_attempt_at)),
        delivered_at: record.delivered_at.map(timestamp),
    }
}

impl NotificationApi {
    fn validated(
        &self,
        subscription: &Subscription,
        created_by: String,
    ) -> Result<SubscriptionRecord, Status> {
        let display_name = subscription.display_name.trim();
        if display_name.is_empty() || display_name.chars().count() > MAX_NAME_LEN {
            return Err(invalid(
                "subscription.display_name",
                format!("must be 1 to {MAX_NAME_LEN} characters"),
            ));
        }
        let url = target::validate(&subscription.url, self.sender.settings.allow_http_loopback)
            .map_err(|e| invalid("subscription.url", e.to_string()))?;
        let format = WebhookFormat::try_from(subscription.format)
            .map_err(|_| invalid("subscription.format", "is not a known format"))?;
        let format = if format == WebhookFormat::Unspecified {
            WebhookFormat::Json
        } else {
            format
        };
        if subscription.events.len() > MAX_EVENTS {
            return Err(invalid(
                "subscription.events",
                format!("must name at most {MAX_EVENTS} events"),
            ));
        }
        let mut events = Vec::new();
        for value in &subscription.events {
            match NotificationEvent::try_from(*value) {
                Ok(NotificationEvent::Unspecified | NotificationEvent::Test) | Err(_) => {
                    return Err(invalid(
                        "subscription.events",
                        "must name events to send (connection health, sync failing, assessment completed, drift detected, secret expiring, control failing, secure score dropped)",
                    ));
                }
                Ok(event) if !events.contains(&event) => events.push(event),
                Ok(_) => {}
            }
        }
        if subscription.credential_expiry_days > MAX_CREDENTIAL_EXPIRY_DAYS {
            return Err(invalid(
                "subscription.credential_expiry_days",
                format!("must be at most {MAX_CREDENTIAL_EXPIRY_DAYS}"),
            ));
        }
        if subscription.sync_failure_threshold > MAX_SYNC_FAILURE_THRESHOLD {
            return Err(invalid(
                "subscription.sync_failure_threshold",
                format!("must be at most {MAX_SYNC_FAILURE_THRESHOLD}"),
            ));
        }
        Ok(SubscriptionRecord {
            subscription_id: Uuid::new_v4(),
            display_name: display_name.to_owned(),
            url: url.to_string(),
            format,
            tenant_id: optional_tenant("subscription.tenant_id", &subscription.tenant_id)?,
            events,
            sync_failure_threshold: subscription.sync_failure_threshold,
            created_by,
            created_at: self.sender.clock_now(),
            credential_expiry_days: subscription.credential_expiry_days,
            min_severity: Severity::try_from(subscription.min_severity)
                .map_err(|_| invalid("subscription.min_severity", "is not a known severity"))?,
        })
    }

    async fn existing(&self, id: Uuid) -> Result<SubscriptionRecord, Status> {
        self.sender
            .store
            .subscription(id)
            .await
            .map_err(store_status)?
            .ok_or_else(|| ServiceError::not_found("subscription", id).into())
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn create_subscription(
        &self,
        request: Request<CreateSubscriptionRequest>,
    ) -> Result<Response<CreateSubscriptionResponse>, Status> {
        let created_by = principal(request.metadata());
        let Some(subscription) = request.into_inner().subscription else {
            return Err(invalid("subscription", "is required"));
        };
        let record = self.validated(&subscription, created_by)?;
        let (_, secret) = SigningSecret::generate();
        self.sender
            .secrets
            .put(record.subscription_id, &secret)
            .await
            .map_err(|e| {
                Status::unavailable(format!(
                    "the vault could not store the signing secret: {}",
                    e.reason
                ))
            })?;
        if let Err(error) = self.sender.store.insert_subscription(&record).await {
            // No secret without its subscription.
            if let Err(cleanup) = self.sender.secrets.delete(record.subscription_id).await {
                tracing::warn!(subscription_id = %record.subscription_id, error = %cleanup, "orphaned webhook secret left in the vault");
            }
            return Err(store_status(error));
        }
        tracing::info!(subscription_id = %record.subscription_id, created_by = %record.created_by, tenant = ?record.tenant_id, "webhook subscription created");
        Ok(Response::new(CreateSubscriptionResponse {
            subscription: Some(subscription_message(&record)),
            secret: secret.to_string(),
        }))
    }

    async fn list_subscriptions(
        &self,
        request: Request<ListSubscriptionsRequest>,
    ) -> Result<Response<ListSubscriptionsResponse>, Status> {
        let request = request.into_inner();
        let tenant = optional_tenant("tenant_id", &request.tenant_id)?;
        let limit = page_size(request.page_size)?;
        let keyset = Keyset::new("subscriptions", tenant.map(|t| t.to_string()).unwrap_or_default());
        let after = position(&keyset, &request.page_token)?;
        let mut records = self
            .sender
            .store
            .subscriptions(tenant.as_ref(), after, limit + 1)
            .await
            .map_err(store_status)?;
        let next_page_token = keyset.page(&mut records, limit as usize, |r| {
            [
                r.created_at.timestamp_millis().to_string(),
                r.subscription_id.to_string(),
            ]
        });
        Ok(Response::new(ListSubscriptionsResponse {
            subscriptions: records.iter().map(subscription_message).collect(),
            next_page_token,
        }))
    }

    async fn delete_subscription(
        &self,
        request: Request<DeleteSubscriptionRequest>,
    ) -> Result<Response<DeleteSubscriptionResponse>, Status> {
        let by = principal(request.metadata());
        let id = subscription_id(&request.get_ref().subscription_id)?;
        self.existing(id).await?;
        // The secret first: a subscription left without one only dead-letters, never signs.
        self.sender.secrets.delete(id).await.map_err(|e| {
            Status::unavailable(format!(
                "the vault could not remove the signing secret: {}",
                e.reason
            ))
        })?;
        if !self
            .sender
            .store
            .delete_subscription(id)
            .await
            .map_err(store_status)?
        {
            return Err(ServiceError::not_found("subscription", id).into());
        }
        tracing::info!(subscription_id = %id, removed_by = %by, "webhook subscription removed");
        Ok(Response::new(DeleteSubscriptionResponse {}))
    }

    async fn test_subscription(
        &self,
        request: Request<TestSubscriptionRequest>,
    ) -> Result<Response<TestSubscriptionResponse>, Status> {
        let by = principal(request.metadata());
        let id = subscription_id(&request.get_ref().subscription_id)?;
        let subscription = self.existing(id).await?;
        let now = self.sender.clock_now();
        let notification = Notification {
            event: NotificationEvent::Test,
            tenant_id: None,
            occurred_at: now,
            title: format!("Test from Posture: {}", subscription.display_name),
            summary: format!("A test notification sent by {by}; this subscription is set up."),
            facts: vec![(
                "Subscription".to_owned(),
                subscription.subscription_id.to_string(),
            )],
            data: json!({ "subscription_id": subscription.subscription_id.to_string(), "requested_by": by }),
        };
        let body = render(&notification, subscription.format);
        // Each test is its own message.
        let record = DeliveryRecord::new(
            &subscription,
            &Uuid::new_v4().to_string(),
            NotificationEvent::Test,
            None,
            body,
            now,
        );
        self.sender
            .store
            .insert_delivery(&record)
            .await
            .map_err(store_status)?;
        self.sender
            .claim_and_attempt(record.clone())
            .await
            .map_err(store_status)?;
        let after = self
            .sender
            .store
            .delivery(&record.delivery_id)
            .await
            .map_err(store_status)?
            .unwrap_or(record);
        Ok(Response::new(TestSubscriptionResponse {
            delivery: Some(delivery_message(&after)),
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<ListDeliveriesRequest>,
    ) -> Result<Response<ListDeliveriesResponse>, Status> {
        let request = request.into_inner();
        let id = subscription_id(&request.subscription_id)?;
        let state = match DeliveryState::try_from(request.state) {
            Ok(DeliveryState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => return Err(invalid("state", "is not a known delivery state")),
        };
        let limit = page_size(request.page_size)?;
        let keyset = Keyset::new("deliveries", format!("{id}/{}", request.state));
        let before = position(&keyset, &request.page_token)?;
        self.existing(id).await?;
        let mut records = self
            .sender
            .store
            .deliveries(id, state, before, limit + 1)
            .await
            .map_err(store_status)?;
        let next_page_token = keyset.page(&mut records, limit as usize, |r| {
            [r.created_at.timestamp_millis().to_string(), r.delivery_id.clone()]
        });
        Ok(Response::new(ListDeliveriesResponse {
            deliveries: records.iter().map(delivery_message).collect(),
            next_page_token,
        }))
    }
}
