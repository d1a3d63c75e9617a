//! The client-credentials grant: tenant, client and scope checks, secret or signed-assertion
//! authentication, and the RS256 access token with the tenant's granted roles.

use std::collections::HashMap;

use base64::Engine;
use serde_json::{Value, json};

use super::error::{TokenError, err};
use crate::http::exchange::ApiRequest;
use crate::http::reply::Ctx;
use crate::ids;
use crate::permissions::Resource;
use crate::state::{AccessClaims, SimState, read, write};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Maps a `.default` scope to a resource.
fn scope_resource(scope: &str) -> Option<Resource> {
    let base = scope
        .strip_suffix("/.default")?
        .trim_end_matches('/')
        .to_ascii_lowercase();
    match base.as_str() {
        "https://graph.microsoft.com"
        | "https://graph.microsoft.us"
        | "https://dod-graph.microsoft.us"
        | "https://microsoftgraph.chinacloudapi.cn"
        | "00000003-0000-0000-c000-000000000000" => Some(Resource::Graph),
        "https://api.securitycenter.microsoft.com"
        | "https://api.security.microsoft.com"
        | "https://securitycenter.onmicrosoft.com/windowsatpservice"
        | "fc780465-2017-40d4-a0c5-307022471b92" => Some(Resource::Mde),
        "https://manage.office.com" | "c5393580-f805-4401-95e8-94b7a6ef2fc2" => Some(Resource::Manage),
        "https://outlook.office365.com"
        | "https://outlook.office365.us"
        | "https://webmail.apps.mil"
        | "https://partner.outlook.cn"
        | "00000002-0000-0ff1-ce00-000000000000" => Some(Resource::Exchange),
        _ => None,
    }
}

pub(super) fn token(
    state: &SimState,
    ctx: &Ctx,
    req: &ApiRequest,
    tenant_key: &str,
) -> Result<Value, TokenError> {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body).into_owned().collect();
    if ["common", "consumers", "organizations"].contains(&tenant_key.to_ascii_lowercase().as_str()) {
        return Err(err(
            400,
            "invalid_request",
            9001023,
            "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.",
        ));
    }
    let Some(tenant) = state.tenant(tenant_key) else {
        return Err(err(
            400,
            "invalid_request",
            90002,
            format!(
                "Tenant '{tenant_key}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        ));
    };
    let grant_type = form.get("grant_type").ok_or_else(|| {
        err(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )
    })?;
    if grant_type != "client_credentials" {
        return Err(err(
            400,
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant_type}'."),
        ));
    }
    // HTTP Basic client authentication (RFC 6749 §2.3.1) or form fields.
    let basic = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            let raw = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok()?;
            let text = String::from_utf8(raw).ok()?;
            let (id, secret) = text.split_once(':')?;
            let dec = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
            };
            Some((dec(id)?, dec(secret)?))
        });
    let client_id = form
        .get("client_id")
        .cloned()
        .or_else(|| basic.as_ref().map(|b| b.0.clone()))
        .ok_or_else(|| {
            err(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_id'.",
            )
        })?;
    let scope = form.get("scope").ok_or_else(|| {
        err(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
    })?;
    let scopes: Vec<&str> = scope.split_whitespace().collect();
    let mut resources: Vec<Resource> = Vec::new();
    for s in &scopes {
        if !s.ends_with("/.default") {
            return Err(err(
                400,
                "invalid_scope",
                70011,
                format!(
                    "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {s} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            ));
        }
        match scope_resource(s) {
            Some(r) => {
                if !resources.contains(&r) {
                    resources.push(r)
                }
            }
            None => {
                let name = s.trim_end_matches("/.default");
                return Err(err(
                    400,
                    "invalid_resource",
                    500011,
                    format!(
                        "The resource principal named {name} was not found in the tenant named {tenant_key}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
                    ),
                ));
            }
        }
    }
    let resource = match resources.as_slice() {
        [] => {
            return Err(err(
                400,
                "invalid_scope",
                70011,
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.",
            ));
        }
        [r] => *r,
        _ => {
            return Err(err(
                400,
                "invalid_scope",
                700022,
                format!(
                    "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope {scope} is not valid."
                ),
            ));
        }
    };
    let t = read(&tenant);
    if !t.client_id.to_string().eq_ignore_ascii_case(&client_id) {
        return Err(err(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
                t.display_name
            ),
        ));
    }
    if resource == Resource::Mde && !t.licences().has_defender() {
        return Err(err(
            400,
            "invalid_resource",
            500011,
            format!(
                "The resource principal named https://api.securitycenter.microsoft.com was not found in the tenant named {}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.",
                t.display_name
            ),
        ));
    }
    let now = ctx.now;
    let secret = form
        .get("client_secret")
        .cloned()
        .or_else(|| basic.as_ref().map(|b| b.1.clone()));
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str) != Some(ASSERTION_TYPE) {
            return Err(err(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_assertion_type'.",
            ));
        }
        check_assertion(&t, assertion, &client_id, now.timestamp())?;
    } else if let Some(secret) = secret {
        match t.secrets.iter().find(|s| s.value.expose() == secret) {
            None => {
                return Err(err(
                    401,
                    "invalid_client",
                    7000215,
                    format!(
                        "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
                    ),
                ));
            }
            Some(s) if s.expires_at <= now => {
                return Err(err(
                    401,
                    "invalid_client",
                    7000222,
                    format!(
                        "The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
                    ),
                ));
            }
            Some(_) => {}
        }
    } else {
        return Err(err(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ));
    }
    let roles = t.granted.get(&resource).cloned().unwrap_or_default();
    let n = state.next_request_number();
    let lifetime = 3599 + (ids::hash3(t.seed, "token-lifetime", n) % 1801) as i64;
    let iat = now.timestamp();
    let mut claims = json!({
        "aud": resource.audience(),
        "iss": format!("https://sts.windows.net/{}/", t.id),
        "iat": iat, "nbf": iat, "exp": iat + lifetime,
        "aio": "E2RgYPjVq9lW/simulated",
        "app_displayname": "Posture Security Sync",
        "appid": client_id.to_ascii_lowercase(), "appidacr": "1",
        "idp": format!("https://sts.windows.net/{}/", t.id),
        "idtyp": "app",
        "oid": t.sp_object_id.to_string(), "sub": t.sp_object_id.to_string(),
        "rh": "0.AAAA-simulated.", "tid": t.id.to_string(),
        "uti": ids::object_id(t.seed, "uti", (n & 0xFFFF_FFFF) as u32).to_string(), "ver": "1.0",
        "xms_tcdt": t.created.timestamp(),
    });
    if !roles.is_empty() {
        claims["roles"] = json!(roles);
    }
    let key = crate::jwt::token_key().map_err(|e| {
        err(
            500,
            "temporarily_unavailable",
            50000,
            format!("signing key unavailable: {e}"),
        )
    })?;
    let access_token = key.sign(&claims);
    let mut tokens = state.tokens.lock().unwrap_or_else(|e| e.into_inner());
    if tokens.len() >= 20_000 {
        // Tokens stay verifiable by signature; the cache only saves work, so keep it bounded.
        tokens.retain(|_, c| c.exp > iat);
        if tokens.len() >= 20_000 {
            tokens.clear();
        }
    }
    tokens.insert(
        access_token.clone(),
        AccessClaims {
            tenant: t.id,
            app_id: client_id.to_ascii_lowercase(),
            resource,
            roles,
            exp: iat + lifetime,
            nbf: iat,
        },
    );
    drop(tokens);
    let credential = if form.contains_key("client_assertion") {
        "certificate"
    } else {
        "clientSecret"
    };
    drop(t);
    write(&tenant).record_service_principal_sign_in(resource, now, &ctx.request_id, credential);
    Ok(
        json!({ "token_type": "Bearer", "expires_in": lifetime, "ext_expires_in": lifetime, "access_token": access_token }),
    )
}

fn check_assertion(
    t: &crate::tenant::Tenant,
    assertion: &str,
    client_id: &str,
    now: i64,
) -> Result<(), TokenError> {
    let bad = |m: &str| {
        err(
            401,
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. {m}"),
        )
    };
    let jwt = crate::jwt::parse(assertion).ok_or_else(|| {
        err(
            400,
            "invalid_request",
            50027,
            "JWT token is invalid or malformed.",
        )
    })?;
    if jwt.header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(bad("Only RS256 signed assertions are accepted."));
    }
    let x5t = jwt.header.get("x5t").and_then(Value::as_str).unwrap_or_default();
    let Some((_, key)) = t.certificates.iter().find(|(c, _)| c.x5t == x5t) else {
        return Err(bad(&format!(
            "The key with thumbprint '{x5t}' was not found among the certificates registered for app '{client_id}'."
        )));
    };
    if !crate::jwt::verify_rs256(key, &jwt) {
        return Err(bad("The signature does not match the registered certificate."));
    }
    let c = &jwt.claims;
    let iss_ok = c
        .get("iss")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(client_id));
    let sub_ok = c
        .get("sub")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(client_id));
    if !iss_ok || !sub_ok {
        return Err(err(
            401,
            "invalid_client",
            700023,
            "Client assertion audience claim does not match Realm issuer, or iss/sub differ from the client id.",
        ));
    }
    let aud_ok = c
        .get("aud")
        .and_then(Value::as_str)
        .is_some_and(|a| a.contains("/oauth2/") || a.contains(&t.id.to_string()));
    if !aud_ok {
        return Err(err(
            401,
            "invalid_client",
            700021,
            "Client assertion audience claim does not match the token endpoint.",
        ));
    }
    let exp = c.get("exp").and_then(Value::as_i64).unwrap_or(0);
    let nbf = c.get("nbf").and_then(Value::as_i64).unwrap_or(0);
    // Clients sign assertions with wall time while the sim clock may sit elsewhere: accept either.
    let wall = chrono::Utc::now().timestamp();
    let valid_at = |t: i64| exp > t - 300 && nbf <= t + 300;
    if !valid_at(now) && !valid_at(wall) {
        return Err(err(
            401,
            "invalid_client",
            700024,
            "Client assertion is not within its valid time range.",
        ));
    }
    Ok(())
}
