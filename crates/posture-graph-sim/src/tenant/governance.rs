//! PIM assignment schedules and access review definitions (Entra ID P2 / ID Governance).

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::directory::Assignment;
use super::roster::GLOBAL_ADMIN;
use crate::clock::iso;
use crate::ids::object_id;
use crate::spec::Profile;

/// The roles CIS 5.3.3 asks access reviews for, at a minimum.
pub const REVIEWED_ROLES: [&str; 5] = [
    GLOBAL_ADMIN,
    "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "69091246-20e8-4a56-aa4d-066075b2a7a8",
    "194ae4cb-b126-40b2-bd5b-6091b380977d",
];

/// Review settings: (recurrence type, interval, duration in days, auto-apply).
struct Cadence {
    pattern: &'static str,
    interval: u32,
    days: u32,
    auto_apply: bool,
}

impl Tenant {
    /// Whether an active assignment was made outside PIM (in the Microsoft 365 admin center or
    /// through the legacy roleAssignments API): hardened provisions everything through PIM,
    /// typical gave its third Global Administrator and the tier-0 group the role directly, and
    /// neglected never used PIM.
    pub fn assigned_outside_pim(&self, a: &Assignment) -> bool {
        match self.profile() {
            Profile::Hardened => false,
            Profile::Typical => {
                a.role == GLOBAL_ADMIN
                    && !self
                        .roster
                        .breakglass
                        .iter()
                        .any(|p| self.user_id(*p) == a.principal_id)
            }
            Profile::Neglected => true,
        }
    }

    /// `roleAssignmentSchedules`: one per active assignment. An assignment made outside PIM has
    /// no `createdUsing` request and no schedule start.
    pub fn assignment_schedules_json(&self) -> Vec<Value> {
        self.assignments()
            .into_iter()
            .enumerate()
            .map(|(k, a)| {
                let created = self.epoch - Duration::days(200 + k as i64);
                let outside = self.assigned_outside_pim(&a);
                let expiration = if a.permanent {
                    json!({ "type": "noExpiration", "endDateTime": null, "duration": null })
                } else {
                    json!({ "type": "afterDateTime", "endDateTime": iso(created + Duration::days(365)), "duration": null })
                };
                json!({
                    "id": a.id,
                    "principalId": a.principal_id,
                    "roleDefinitionId": a.role,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "createdUsing": if outside { Value::Null } else { json!(object_id(self.seed, "assignment-request", k as u32).to_string()) },
                    "createdDateTime": iso(created),
                    "modifiedDateTime": null,
                    "status": "Provisioned",
                    "memberType": "Direct",
                    "assignmentType": "Assigned",
                    "scheduleInfo": {
                        "startDateTime": if outside { Value::Null } else { json!(iso(created)) },
                        "recurrence": null,
                        "expiration": expiration,
                    },
                })
            })
            .collect()
    }

    fn review_id(&self, k: u32) -> String {
        object_id(self.seed, "access-review", k).to_string()
    }

    fn review_settings(&self, c: &Cadence) -> Value {
        json!({
            "mailNotificationsEnabled": true,
            "reminderNotificationsEnabled": true,
            "justificationRequiredOnApproval": true,
            "defaultDecisionEnabled": c.auto_apply,
            "defaultDecision": if c.auto_apply { "Deny" } else { "None" },
            "instanceDurationInDays": c.days,
            "autoApplyDecisionsEnabled": c.auto_apply,
            "recommendationsEnabled": true,
            "recurrence": {
                "pattern": {
                    "type": c.pattern, "interval": c.interval, "month": 0, "dayOfMonth": 0,
                    "daysOfWeek": [], "firstDayOfWeek": "sunday", "index": "first",
                },
                "range": {
                    "type": "noEnd", "numberOfOccurrences": 0, "recurrenceTimeZone": null,
                    "startDate": (self.epoch - Duration::days(90)).format("%Y-%m-%d").to_string(),
                    "endDate": "9999-12-31",
                },
            },
            "applyActions": if c.auto_apply { json!([{ "@odata.type": "#microsoft.graph.removeAccessApplyAction" }]) } else { json!([]) },
        })
    }

    fn review_json(
        &self,
        k: u32,
        name: &str,
        scope: Value,
        instances: Value,
        reviewers: Value,
        c: &Cadence,
    ) -> Value {
        json!({
            "id": self.review_id(k),
            "displayName": name,
            "createdDateTime": iso(self.epoch - Duration::days(90)),
            "lastModifiedDateTime": iso(self.epoch - Duration::days(90)),
            "status": "InProgress",
            "descriptionForAdmins": name,
            "descriptionForReviewers": "Confirm that each person still needs this access.",
            "createdBy": {
                "id": self.user_id(0),
                "displayName": "Emergency Access 1",
                "type": null,
                "userPrincipalName": format!("breakglass1@{}", self.domain),
            },
            "scope": scope,
            "instanceEnumerationScope": instances,
            "reviewers": reviewers,
            "fallbackReviewers": [],
            "settings": self.review_settings(c),
        })
    }

    /// A review of the guests of every Microsoft 365 group, by the group owners.
    fn guest_review(&self, k: u32, c: &Cadence) -> Value {
        self.review_json(
            k,
            "Review guest access across Microsoft 365 groups",
            json!({
                "@odata.type": "#microsoft.graph.accessReviewQueryScope",
                "query": "./members/microsoft.graph.user/?$count=true&$filter=(userType eq 'Guest')",
                "queryType": "MicrosoftGraph",
                "queryRoot": null,
            }),
            json!({
                "@odata.type": "#microsoft.graph.accessReviewQueryScope",
                "query": "/groups?$filter=(groupTypes/any(c:c+eq+'Unified'))&$count=true",
                "queryType": "MicrosoftGraph",
                "queryRoot": null,
            }),
            json!([{ "query": "./owners", "queryType": "MicrosoftGraph", "queryRoot": null }]),
            c,
        )
    }

    /// A review of everyone holding `role`, by the security team's lead.
    fn role_review(&self, k: u32, role: &str, c: &Cadence) -> Value {
        self.review_json(
            k,
            &format!("{} access review", self.role_name(role)),
            json!({
                "@odata.type": "#microsoft.graph.principalResourceMembershipsScope",
                "principalScopes": [
                    { "@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/users", "queryType": "MicrosoftGraph", "queryRoot": null },
                    { "@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": "/groups", "queryType": "MicrosoftGraph", "queryRoot": null },
                ],
                "resourceScopes": [
                    { "@odata.type": "#microsoft.graph.accessReviewQueryScope", "query": format!("/roleManagement/directory/roleDefinitions/{role}"), "queryType": "MicrosoftGraph", "queryRoot": null },
                ],
            }),
            Value::Null,
            json!([{ "query": format!("/users/{}", self.user_id(4)), "queryType": "MicrosoftGraph", "queryRoot": null }]),
            c,
        )
    }

    /// Access review definitions: hardened reviews guests monthly and the five roles CIS names
    /// monthly; typical reviews guests quarterly without applying results and Global
    /// Administrators alone; neglected has none.
    pub fn access_review_definitions_json(&self) -> Vec<Value> {
        let monthly = |days| Cadence {
            pattern: "absoluteMonthly",
            interval: 1,
            days,
            auto_apply: true,
        };
        match self.profile() {
            Profile::Hardened => {
                let mut v = vec![self.guest_review(0, &monthly(3))];
                v.extend(
                    REVIEWED_ROLES
                        .iter()
                        .enumerate()
                        .map(|(k, role)| self.role_review(k as u32 + 1, role, &monthly(4))),
                );
                v
            }
            Profile::Typical => vec![
                self.guest_review(
                    0,
                    &Cadence {
                        pattern: "absoluteMonthly",
                        interval: 3,
                        days: 14,
                        auto_apply: false,
                    },
                ),
                self.role_review(1, GLOBAL_ADMIN, &monthly(4)),
            ],
            Profile::Neglected => Vec::new(),
        }
    }

    /// Id of the access review definition `k` (expectations name them).
    pub fn access_review_id(&self, k: u32) -> String {
        self.review_id(k)
    }
}
