//! `posture notify …`: webhook subscriptions (add, list, remove, test) and their delivery log.
//! `add` prints the signing secret once; receivers verify each delivery with it (Standard
//! Webhooks: headers webhook-id, webhook-timestamp, webhook-signature).

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use posture_proto::v1::notification_service_client::NotificationServiceClient;
use posture_proto::v1::{
    CreateSubscriptionRequest, DeleteSubscriptionRequest, Delivery, DeliveryState, ListDeliveriesRequest,
    ListSubscriptionsRequest, NotificationEvent, Severity, Subscription, TestSubscriptionRequest,
    WebhookFormat,
};
use serde_json::json;

use super::output::{OutputFormat, Table, details, print_json};
use super::progress::{shorten, timestamp_json, ts_opt};
use super::{GatewayArgs, status::explain};

#[derive(Subcommand, Debug)]
pub enum NotifyCommand {
    /// Subscribe a webhook; prints its signing secret, shown only this once.
    Add(AddArgs),
    /// Every subscription, oldest first.
    List {
        /// Only this tenant's subscriptions (id or display name).
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Remove a subscription, its secret and its deliveries.
    Remove { subscription_id: String },
    /// Send a test notification now and show how it went.
    Test { subscription_id: String },
    /// A subscription's deliveries, newest first (dead letters with their last error).
    Deliveries {
        subscription_id: String,
        /// Only deliveries in this state.
        #[arg(long, value_enum)]
        state: Option<StateArg>,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 50)]
        limit: i32,
    },
}

#[derive(Args, Debug)]
pub struct AddArgs {
    /// Where to post: https (http to localhost only when the server allows it).
    pub url: String,
    /// A name for people.
    #[arg(long)]
    pub name: String,
    /// Body format.
    #[arg(long, value_enum, default_value_t = FormatArg::Json)]
    pub format: FormatArg,
    /// Only this tenant's events (id or display name); every tenant when left out.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Events to send, comma separated; every event when left out.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub events: Vec<EventArg>,
    /// Failed syncs in a row before `sync-failing` is sent (default 3).
    #[arg(long)]
    pub sync_failures: Option<u32>,
    /// Days before a credential expires when `secret-expiring` is sent (default 14).
    #[arg(long)]
    pub credential_expiry_days: Option<u32>,
    /// Lowest severity of a newly failing control that sends `control-failing` (default high).
    #[arg(long, value_enum)]
    pub min_severity: Option<SeverityArg>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Informational,
}

fn severity_of(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Critical => Severity::Critical,
        SeverityArg::High => Severity::High,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Informational => Severity::Informational,
    }
}

fn severity_name(value: i32) -> &'static str {
    match Severity::try_from(value) {
        Ok(Severity::Critical) => "critical",
        Ok(Severity::Medium) => "medium",
        Ok(Severity::Low) => "low",
        Ok(Severity::Informational) => "informational",
        _ => "high",
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatArg {
    Json,
    Slack,
    Teams,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventArg {
    ConnectionHealth,
    SyncFailing,
    AssessmentCompleted,
    DriftDetected,
    SecretExpiring,
    /// A control started failing at or above --min-severity.
    ControlFailing,
    /// The tenant's Secure Score dropped past its threshold.
    SecureScoreDropped,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateArg {
    Pending,
    Delivered,
    Dead,
}

impl super::resolve::TenantArgument for NotifyCommand {
    fn tenant_argument(&mut self) -> Option<(&mut String, Option<&mut String>)> {
        match self {
            NotifyCommand::Add(AddArgs {
                tenant: Some(tenant), ..
            })
            | NotifyCommand::List { tenant: Some(tenant) } => Some((tenant, None)),
            _ => None,
        }
    }
}

fn format_of(arg: FormatArg) -> WebhookFormat {
    match arg {
        FormatArg::Json => WebhookFormat::Json,
        FormatArg::Slack => WebhookFormat::Slack,
        FormatArg::Teams => WebhookFormat::Teams,
    }
}

fn event_of(arg: EventArg) -> NotificationEvent {
    match arg {
        EventArg::ConnectionHealth => NotificationEvent::ConnectionHealthChanged,
        EventArg::SyncFailing => NotificationEvent::SyncFailing,
        EventArg::AssessmentCompleted => NotificationEvent::AssessmentCompleted,
        EventArg::DriftDetected => NotificationEvent::DriftDetected,
        EventArg::SecretExpiring => NotificationEvent::SecretExpiring,
        EventArg::ControlFailing => NotificationEvent::ControlFailing,
        EventArg::SecureScoreDropped => NotificationEvent::SecureScoreDropped,
    }
}

fn event_name(value: i32) -> &'static str {
    match NotificationEvent::try_from(value) {
        Ok(NotificationEvent::ConnectionHealthChanged) => "connection-health",
        Ok(NotificationEvent::SyncFailing) => "sync-failing",
        Ok(NotificationEvent::AssessmentCompleted) => "assessment-completed",
        Ok(NotificationEvent::DriftDetected) => "drift-detected",
        Ok(NotificationEvent::SecretExpiring) => "secret-expiring",
        Ok(NotificationEvent::ControlFailing) => "control-failing",
        Ok(NotificationEvent::SecureScoreDropped) => "secure-score-dropped",
        Ok(NotificationEvent::Test) => "test",
        _ => "unknown",
    }
}

fn format_name(value: i32) -> &'static str {
    match WebhookFormat::try_from(value) {
        Ok(WebhookFormat::Slack) => "slack",
        Ok(WebhookFormat::Teams) => "teams",
        _ => "json",
    }
}

fn state_name(value: i32) -> &'static str {
    match DeliveryState::try_from(value) {
        Ok(DeliveryState::Pending) => "pending",
        Ok(DeliveryState::Delivered) => "delivered",
        Ok(DeliveryState::Dead) => "dead",
        _ => "unknown",
    }
}

fn events_text(s: &Subscription) -> String {
    if s.events.is_empty() {
        "all".to_owned()
    } else {
        s.events
            .iter()
            .map(|e| event_name(*e))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn subscription_json(s: &Subscription) -> serde_json::Value {
    json!({
        "subscription_id": s.subscription_id,
        "display_name": s.display_name,
        "url": s.url,
        "format": format_name(s.format),
        "tenant_id": if s.tenant_id.is_empty() { None } else { Some(&s.tenant_id) },
        "events": s.events.iter().map(|e| event_name(*e)).collect::<Vec<_>>(),
        "sync_failure_threshold": s.sync_failure_threshold,
        "credential_expiry_days": s.credential_expiry_days,
        "min_severity": severity_name(s.min_severity),
        "created_by": s.created_by,
        "created_at": timestamp_json(s.created_at.as_ref()),
    })
}

fn delivery_json(d: &Delivery) -> serde_json::Value {
    json!({
        "delivery_id": d.delivery_id,
        "subscription_id": d.subscription_id,
        "tenant_id": if d.tenant_id.is_empty() { None } else { Some(&d.tenant_id) },
        "event": event_name(d.event),
        "state": state_name(d.state),
        "attempts": d.attempts,
        "last_status": d.last_status,
        "last_error": d.last_error,
        "created_at": timestamp_json(d.created_at.as_ref()),
        "next_attempt_at": timestamp_json(d.next_attempt_at.as_ref()),
        "delivered_at": timestamp_json(d.delivered_at.as_ref()),
    })
}

fn print_delivery(d: &Delivery, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => print_json(&delivery_json(d))?,
        OutputFormat::Table => out!(
            "{}",
            details(&[
                ("Delivery", d.delivery_id.clone()),
                ("State", state_name(d.state).to_owned()),
                ("Attempts", d.attempts.to_string()),
                (
                    "HTTP status",
                    if d.last_status == 0 {
                        "-".to_owned()
                    } else {
                        d.last_status.to_string()
                    }
                ),
                (
                    "Last error",
                    if d.last_error.is_empty() {
                        "-".to_owned()
                    } else {
                        d.last_error.clone()
                    }
                ),
                ("Next attempt", ts_opt(d.next_attempt_at.as_ref())),
            ])
        ),
    }
    Ok(())
}

pub async fn run(command: NotifyCommand, gateway: &GatewayArgs) -> anyhow::Result<i32> {
    let mut client = NotificationServiceClient::new(gateway.connect().await?);
    let format = gateway.output;
    match command {
        NotifyCommand::Add(args) => {
            let subscription = Subscription {
                display_name: args.name,
                url: args.url,
                format: format_of(args.format) as i32,
                tenant_id: args.tenant.unwrap_or_default(),
                events: args.events.into_iter().map(|e| event_of(e) as i32).collect(),
                sync_failure_threshold: args.sync_failures.unwrap_or(0),
                credential_expiry_days: args.credential_expiry_days.unwrap_or(0),
                min_severity: args.min_severity.map_or(Severity::Unspecified, severity_of) as i32,
                ..Default::default()
            };
            let created = client
                .create_subscription(CreateSubscriptionRequest {
                    subscription: Some(subscription),
                })
                .await
                .map_err(|s| explain("adding the webhook", s))?
                .into_inner();
            let subscription = created
                .subscription
                .context("the server returned no subscription")?;
            match format {
                OutputFormat::Json => {
                    let mut value = subscription_json(&subscription);
                    value["secret"] = json!(created.secret);
                    print_json(&value)?;
                }
                OutputFormat::Table => {
                    out!(
                        "{}",
                        details(&[
                            ("Subscription", subscription.subscription_id.clone()),
                            ("Name", subscription.display_name.clone()),
                            ("Format", format_name(subscription.format).to_owned()),
                            ("Events", events_text(&subscription)),
                            ("Signing secret", created.secret.clone()),
                        ])
                    );
                    outln!("Keep the signing secret now: it is not shown again.");
                }
            }
            Ok(0)
        }
        NotifyCommand::List { tenant } => {
            let tenant_id = tenant.unwrap_or_default();
            let mut subscriptions = Vec::new();
            let mut page_token = String::new();
            loop {
                let page = client
                    .list_subscriptions(ListSubscriptionsRequest {
                        tenant_id: tenant_id.clone(),
                        page_size: 500,
                        page_token,
                    })
                    .await
                    .map_err(|s| explain("listing webhooks", s))?
                    .into_inner();
                subscriptions.extend(page.subscriptions);
                if page.next_page_token.is_empty() {
                    break;
                }
                page_token = page.next_page_token;
            }
            match format {
                OutputFormat::Json => print_json(&json!(
                    subscriptions.iter().map(subscription_json).collect::<Vec<_>>()
                ))?,
                OutputFormat::Table => {
                    let mut table = Table::new(vec![
                        "SUBSCRIPTION ID",
                        "NAME",
                        "FORMAT",
                        "TENANT",
                        "EVENTS",
                        "URL",
                    ]);
                    for s in &subscriptions {
                        table.row(vec![
                            s.subscription_id.clone(),
                            s.display_name.clone(),
                            format_name(s.format).to_owned(),
                            if s.tenant_id.is_empty() {
                                "all".to_owned()
                            } else {
                                s.tenant_id.clone()
                            },
                            events_text(s),
                            // Chat webhook URLs carry a token in the path: show the host only.
                            url::Url::parse(&s.url)
                                .ok()
                                .and_then(|u| u.host_str().map(|h| format!("{}://{h}/…", u.scheme())))
                                .unwrap_or_default(),
                        ]);
                    }
                    out!("{}", table.render());
                }
            }
            Ok(0)
        }
        NotifyCommand::Remove { subscription_id } => {
            client
                .delete_subscription(DeleteSubscriptionRequest {
                    subscription_id: subscription_id.clone(),
                })
                .await
                .map_err(|s| explain("removing the webhook", s))?;
            match format {
                OutputFormat::Json => {
                    print_json(&json!({ "subscription_id": subscription_id, "removed": true }))?
                }
                OutputFormat::Table => outln!("Removed webhook {subscription_id}."),
            }
            Ok(0)
        }
        NotifyCommand::Test { subscription_id } => {
            let delivery = client
                .test_subscription(TestSubscriptionRequest { subscription_id })
                .await
                .map_err(|s| explain("testing the webhook", s))?
                .into_inner()
                .delivery
                .context("the server returned no delivery")?;
            print_delivery(&delivery, format)?;
            // A test the receiver did not take is a failure for scripts.
            Ok(if delivery.state == DeliveryState::Delivered as i32 {
                0
            } else {
                1
            })
        }
        NotifyCommand::Deliveries {
            subscription_id,
            state,
            limit,
        } => {
            let state = match state {
                None => DeliveryState::Unspecified,
                Some(StateArg::Pending) => DeliveryState::Pending,
                Some(StateArg::Delivered) => DeliveryState::Delivered,
                Some(StateArg::Dead) => DeliveryState::Dead,
            };
            let page = client
                .list_deliveries(ListDeliveriesRequest {
                    subscription_id,
                    state: state as i32,
                    page_size: limit,
                    page_token: String::new(),
                })
                .await
                .map_err(|s| explain("listing deliveries", s))?
                .into_inner();
            let deliveries = page.deliveries;
            match format {
                OutputFormat::Json => {
                    print_json(&json!(deliveries.iter().map(delivery_json).collect::<Vec<_>>()))?
                }
                OutputFormat::Table => {
                    let mut table = Table::new(vec![
                        "DELIVERY ID",
                        "EVENT",
                        "TENANT",
                        "STATE",
                        "ATTEMPTS",
                        "CREATED",
                        "LAST ERROR",
                    ]);
                    for d in &deliveries {
                        table.row(vec![
                            d.delivery_id.clone(),
                            event_name(d.event).to_owned(),
                            if d.tenant_id.is_empty() {
                                "-".to_owned()
                            } else {
                                d.tenant_id.clone()
                            },
                            state_name(d.state).to_owned(),
                            d.attempts.to_string(),
                            ts_opt(d.created_at.as_ref()),
                            shorten(&d.last_error, 60),
                        ]);
                    }
                    out!("{}", table.render());
                    if !page.next_page_token.is_empty() {
                        outln!(
                            "More deliveries are older than these; raise --limit (at most 500) to see them."
                        );
                    }
                }
            }
            Ok(0)
        }
    }
}
