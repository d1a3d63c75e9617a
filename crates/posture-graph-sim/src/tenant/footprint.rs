//! Service-principal sign-ins: every access token the identity platform issues to the tenant's app
//! is a sign-in of its service principal, which Graph lists (beta) under `auditLogs/signIns` with
//! `$filter=signInEventTypes/any(t: t eq 'servicePrincipal')`, newest first. This is how a tenant
//! sees when an app such as Posture read it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Tenant;
use crate::clock::iso;
use crate::permissions::Resource;

/// Service-principal sign-ins kept per tenant; older ones are dropped.
const KEPT: usize = 10_000;

impl Tenant {
    /// Records the token issued at `at` for `resource` (`request_id` is the token request's).
    pub fn record_service_principal_sign_in(
        &mut self,
        resource: Resource,
        at: DateTime<Utc>,
        request_id: &str,
        credential: &str,
    ) {
        if self.sp_sign_ins.len() >= KEPT {
            self.sp_sign_ins.pop_front();
        }
        let (resource_name, resource_id) = match resource {
            Resource::Graph => ("Microsoft Graph", "00000003-0000-0000-c000-000000000000"),
            Resource::Mde => ("WindowsDefenderATP", "fc780465-2017-40d4-a0c5-307022471b92"),
            Resource::Manage => (
                "Office 365 Management APIs",
                "c5393580-f805-4401-95e8-94b7a6ef2fc2",
            ),
            Resource::Exchange => (
                "Office 365 Exchange Online",
                "00000002-0000-0ff1-ce00-000000000000",
            ),
        };
        self.sp_sign_ins.push_back(json!({
            "id": request_id,
            "createdDateTime": iso(at),
            "appId": self.client_id.to_string(),
            "appDisplayName": "Posture Security Sync",
            "servicePrincipalId": self.sp_object_id.to_string(),
            "servicePrincipalName": "Posture Security Sync",
            "servicePrincipalCredentialKeyId": null,
            "clientCredentialType": credential,
            "ipAddress": "127.0.0.1",
            "resourceDisplayName": resource_name,
            "resourceId": resource_id,
            "correlationId": request_id,
            "conditionalAccessStatus": "notApplied",
            "isInteractive": false,
            "signInEventTypes": ["servicePrincipal"],
            "userDisplayName": null, "userPrincipalName": null, "userId": "",
            "status": { "errorCode": 0, "failureReason": null, "additionalDetails": null },
            "location": { "city": null, "state": null, "countryOrRegion": null },
            "appliedConditionalAccessPolicies": [],
        }));
    }

    /// The tenant's service-principal sign-ins, newest first.
    pub fn service_principal_sign_ins_json(&self) -> Vec<Value> {
        self.sp_sign_ins.iter().rev().cloned().collect()
    }
}
