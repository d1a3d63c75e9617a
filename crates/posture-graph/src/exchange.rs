//! Exchange Online's admin REST endpoint, the API behind the ExchangeOnlineManagement module,
//! called directly: `POST {tenant}/InvokeCommand` with the cmdlet and its parameters as JSON,
//! app-only (the `Exchange.ManageAsApp` permission plus an Exchange role), answered with OData
//! pages whose next links are followed with the same body. No PowerShell is involved.

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value};
use url::Url;

use crate::budget::ServiceFamily;
use crate::classify::ServiceErrorParts;
use crate::client::{ApiRequest, GraphClient};
use crate::cloud::Resource;
use crate::error::{GraphError, RequestIds};

/// The application permission of the Office 365 Exchange Online API the endpoint needs.
pub const MANAGE_AS_APP: &str = "Exchange.ManageAsApp";

/// The roles an operator can assign to the app's service principal so that Exchange Online
/// lets it run the read cmdlets Posture calls.
/// (No commas: the name travels in lists that are joined with them.)
pub const EXCHANGE_ROLE: &str = "the Global Reader or Exchange Administrator directory role (or an Exchange RBAC role with View-Only Configuration and View-Only Recipients)";

/// The organization mailbox app-only calls are routed by.
const SYSTEM_MAILBOX: &str = "SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}";

/// Results per page asked for; the service's maximum.
const PAGE_SIZE: u32 = 1000;

/// `{tenant}/InvokeCommand` under the Exchange base URL: the first page of every cmdlet.
pub fn invoke_url(client: &GraphClient) -> Result<Url, GraphError> {
    client.url(
        Resource::ExchangeOnline,
        &format!("{}/InvokeCommand", client.tenant_id()),
    )
}

/// The request that runs `cmdlet` (written `Get-Mailbox?RecipientTypeDetails=SharedMailbox`:
/// the query holds the cmdlet's parameters, a comma making a list) for the client's tenant.
pub fn invoke_request(client: &GraphClient, cmdlet: &str) -> Result<ApiRequest, GraphError> {
    Ok(request_at(invoke_url(client)?, cmdlet))
}

/// The request that runs `cmdlet` at `url`: the first page, or a next link, which is sent the
/// same body. The anchor mailbox names the tenant the URL is for.
pub fn request_at(url: Url, cmdlet: &str) -> ApiRequest {
    let (name, parameters) = split_cmdlet(cmdlet);
    let tenant = url
        .path_segments()
        .and_then(|segments| {
            let segments: Vec<&str> = segments.collect();
            segments.len().checked_sub(2).map(|i| segments[i].to_owned())
        })
        .unwrap_or_default();
    let body = serde_json::json!({
        "CmdletInput": { "CmdletName": name, "Parameters": Value::Object(parameters) }
    });
    // Values that are not valid header text (none of the catalog's) are left out, and the
    // service's refusal says which header it missed.
    let headers = [
        ("x-anchormailbox", format!("APP:{SYSTEM_MAILBOX}@{tenant}")),
        ("x-responseformat", "json".to_owned()),
        ("x-cmdletname", name.to_owned()),
        ("x-serializationlevel", "Partial".to_owned()),
        ("prefer", format!("odata.maxpagesize={PAGE_SIZE}")),
    ]
    .into_iter()
    .filter_map(|(n, v)| Some((HeaderName::from_static(n), HeaderValue::try_from(v).ok()?)))
    .collect();
    ApiRequest {
        method: Method::POST,
        url,
        resource: Resource::ExchangeOnline,
        headers,
        body: Some(Bytes::from(body.to_string())),
        family: ServiceFamily::ExchangeOnline,
        cost: 1,
        needs: &[MANAGE_AS_APP],
        licence: None,
    }
}

fn split_cmdlet(cmdlet: &str) -> (&str, Map<String, Value>) {
    let (name, query) = cmdlet.split_once('?').unwrap_or((cmdlet, ""));
    let parameters = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| {
            let value = if v.contains(',') {
                Value::Array(v.split(',').map(|s| Value::String(s.to_owned())).collect())
            } else {
                Value::String(v.into_owned())
            };
            (k.into_owned(), value)
        })
        .collect();
    (name, parameters)
}

/// Exchange's own refusals: an app without an Exchange role ("User is not allowed to call
/// Get-…", or "isn't assigned to any management roles") and a token without
/// `Exchange.ManageAsApp` are different fixes, so they are different errors. `None` leaves the
/// answer to the general classification.
pub(crate) fn classify(
    status: StatusCode,
    parts: &ServiceErrorParts,
    endpoint: &str,
    needs: &[&'static str],
    ids: &RequestIds,
) -> Option<GraphError> {
    if !matches!(status.as_u16(), 401 | 403) {
        return None;
    }
    let message = parts.message.as_str();
    let no_role = message.contains("is not allowed to call")
        || message.contains("isn't assigned to any management roles")
        || message.contains("isn't supported in this scenario");
    if no_role {
        return Some(GraphError::RoleMissing {
            endpoint: endpoint.to_owned(),
            role: EXCHANGE_ROLE.to_owned(),
            code: parts.code.clone(),
            ids: ids.clone(),
        });
    }
    if message.contains(MANAGE_AS_APP) {
        let needs = if needs.is_empty() {
            vec![MANAGE_AS_APP.to_owned()]
        } else {
            needs.iter().map(|s| (*s).to_owned()).collect()
        };
        return Some(GraphError::Permission {
            endpoint: endpoint.to_owned(),
            needs,
            resource: Resource::ExchangeOnline,
            code: parts.code.clone(),
            ids: ids.clone(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmdlet_parameters_come_from_the_query_with_commas_making_lists() {
        let (name, params) =
            split_cmdlet("Get-Mailbox?RecipientTypeDetails=SharedMailbox&ResultSize=Unlimited");
        assert_eq!(name, "Get-Mailbox");
        assert_eq!(params["RecipientTypeDetails"], "SharedMailbox");
        let (_, params) = split_cmdlet("Get-Recipient?RecipientTypeDetails=SharedMailbox,RoomMailbox");
        assert_eq!(
            params["RecipientTypeDetails"],
            serde_json::json!(["SharedMailbox", "RoomMailbox"])
        );
        let (name, params) = split_cmdlet("Get-TransportConfig");
        assert_eq!(name, "Get-TransportConfig");
        assert!(params.is_empty());
    }

    #[test]
    fn a_missing_role_and_a_missing_consent_are_different_errors() {
        let parts = |message: &str| ServiceErrorParts {
            code: "Unauthorized".into(),
            message: message.into(),
            ..ServiceErrorParts::default()
        };
        let ids = RequestIds::default();
        let role = classify(
            StatusCode::UNAUTHORIZED,
            &parts("User is not allowed to call Get-Mailbox"),
            "POST /InvokeCommand",
            &[MANAGE_AS_APP],
            &ids,
        );
        assert!(
            matches!(&role, Some(GraphError::RoleMissing { role, .. }) if role.contains("Global Reader")),
            "{role:?}"
        );
        let consent = classify(
            StatusCode::UNAUTHORIZED,
            &parts("The access token does not hold the application permission Exchange.ManageAsApp."),
            "POST /InvokeCommand",
            &[MANAGE_AS_APP],
            &ids,
        );
        assert!(
            matches!(&consent, Some(GraphError::Permission { needs, resource: Resource::ExchangeOnline, .. }) if needs == &[MANAGE_AS_APP]),
            "{consent:?}"
        );
        let expired = classify(
            StatusCode::UNAUTHORIZED,
            &parts("The access token is expired."),
            "POST /InvokeCommand",
            &[],
            &ids,
        );
        assert!(expired.is_none());
    }
}
