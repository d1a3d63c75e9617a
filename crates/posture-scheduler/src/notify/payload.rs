//! What a notification says and how its body is shaped per format: Posture's own JSON (the
//! Standard Webhooks payload shape: `type`, `timestamp`, `data`), a Slack incoming-webhook
//! message, or a Teams incoming-webhook message carrying an Adaptive Card. The body is rendered
//! once, when the delivery is created, so every retry sends the same bytes.

use chrono::{DateTime, SecondsFormat, Utc};
use posture_kit::ids::TenantId;
use posture_proto::v1::{NotificationEvent, WebhookFormat};
use serde_json::{Value, json};

/// One thing worth telling subscribers about.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub event: NotificationEvent,
    /// The tenant it is about; none for a test.
    pub tenant_id: Option<TenantId>,
    pub occurred_at: DateTime<Utc>,
    /// One line for people, e.g. "Contoso: Connected → Permission Error".
    pub title: String,
    /// A sentence or two for people.
    pub summary: String,
    /// Label and value pairs shown as facts in chat formats.
    pub facts: Vec<(String, String)>,
    /// The machine-readable details (the `data` of the JSON format).
    pub data: Value,
}

/// The event's name in bodies and in the stored log, e.g. `connection.health_changed`.
pub fn event_type(event: NotificationEvent) -> &'static str {
    match event {
        NotificationEvent::ConnectionHealthChanged => "connection.health_changed",
        NotificationEvent::SyncFailing => "sync.failing",
        NotificationEvent::AssessmentCompleted => "assessment.completed",
        NotificationEvent::DriftDetected => "drift.detected",
        NotificationEvent::SecretExpiring => "secret.expiring",
        NotificationEvent::ControlFailing => "control.failing",
        NotificationEvent::SecureScoreDropped => "securescore.dropped",
        NotificationEvent::Test => "test",
        NotificationEvent::Unspecified => "unspecified",
    }
}

/// The inverse of [`event_type`], for rows read back.
pub fn event_from_type(name: &str) -> Option<NotificationEvent> {
    [
        NotificationEvent::ConnectionHealthChanged,
        NotificationEvent::SyncFailing,
        NotificationEvent::AssessmentCompleted,
        NotificationEvent::DriftDetected,
        NotificationEvent::SecretExpiring,
        NotificationEvent::ControlFailing,
        NotificationEvent::SecureScoreDropped,
        NotificationEvent::Test,
    ]
    .into_iter()
    .find(|event| event_type(*event) == name)
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The body to post for `notification` in `format`.
pub fn render(notification: &Notification, format: WebhookFormat) -> String {
    let body = match format {
        WebhookFormat::Slack => slack(notification),
        WebhookFormat::Teams => teams(notification),
        WebhookFormat::Json | WebhookFormat::Unspecified => generic(notification),
    };
    body.to_string()
}

fn generic(n: &Notification) -> Value {
    json!({
        "type": event_type(n.event),
        "timestamp": rfc3339(n.occurred_at),
        "tenant_id": n.tenant_id.map(|t| t.to_string()),
        "title": n.title,
        "summary": n.summary,
        "data": n.data,
    })
}

fn slack(n: &Notification) -> Value {
    let facts: Vec<Value> = n
        .facts
        .iter()
        .map(|(label, value)| json!({ "type": "mrkdwn", "text": format!("*{label}*\n{value}") }))
        .collect();
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": n.title } }),
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": n.summary } }),
    ];
    // Slack allows at most ten fields per section.
    for chunk in facts.chunks(10) {
        blocks.push(json!({ "type": "section", "fields": chunk }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": format!("Posture · {} · {}", event_type(n.event), rfc3339(n.occurred_at)) }],
    }));
    json!({ "text": format!("{}: {}", n.title, n.summary), "blocks": blocks })
}

fn teams(n: &Notification) -> Value {
    let facts: Vec<Value> = n
        .facts
        .iter()
        .map(|(label, value)| json!({ "title": label, "value": value }))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    { "type": "TextBlock", "text": n.title, "weight": "Bolder", "size": "Medium", "wrap": true },
                    { "type": "TextBlock", "text": n.summary, "wrap": true },
                    { "type": "FactSet", "facts": facts },
                    { "type": "TextBlock", "text": format!("Posture · {} · {}", event_type(n.event), rfc3339(n.occurred_at)), "isSubtle": true, "size": "Small", "wrap": true },
                ],
            },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Notification {
        Notification {
            event: NotificationEvent::ConnectionHealthChanged,
            tenant_id: Some("9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11".parse().expect("tenant")),
            occurred_at: DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
            title: "Contoso: Connected → Permission Error".to_owned(),
            summary: "Missing Policy.Read.All".to_owned(),
            facts: vec![("State".to_owned(), "Permission Error".to_owned())],
            data: json!({ "state": "permission_error" }),
        }
    }

    #[test]
    fn generic_json_has_the_standard_webhooks_payload_shape() {
        let body: Value = serde_json::from_str(&render(&sample(), WebhookFormat::Json)).expect("json");
        assert_eq!(body["type"], "connection.health_changed");
        assert_eq!(body["timestamp"], "2027-01-15T08:00:00Z");
        assert_eq!(body["tenant_id"], "9b2f8a8e-2c63-4e4b-9d1a-0f3a9e5f1c11");
        assert_eq!(body["data"]["state"], "permission_error");
    }

    #[test]
    fn slack_bodies_have_fallback_text_and_blocks() {
        let body: Value = serde_json::from_str(&render(&sample(), WebhookFormat::Slack)).expect("json");
        assert!(body["text"].as_str().expect("text").contains("Permission Error"));
        assert_eq!(body["blocks"][0]["type"], "header");
        assert_eq!(
            body["blocks"][2]["fields"][0]["text"],
            "*State*\nPermission Error"
        );
    }

    #[test]
    fn teams_bodies_carry_an_adaptive_card() {
        let body: Value = serde_json::from_str(&render(&sample(), WebhookFormat::Teams)).expect("json");
        assert_eq!(body["type"], "message");
        let card = &body["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(
            card["content"]["body"][2]["facts"][0]["value"],
            "Permission Error"
        );
    }

    #[test]
    fn event_names_round_trip() {
        for event in [
            NotificationEvent::ConnectionHealthChanged,
            NotificationEvent::SyncFailing,
            NotificationEvent::AssessmentCompleted,
            NotificationEvent::DriftDetected,
            NotificationEvent::SecretExpiring,
            NotificationEvent::Test,
        ] {
            assert_eq!(event_from_type(event_type(event)), Some(event));
        }
    }
}
