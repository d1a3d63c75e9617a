//! The Microsoft identity platform: client-credentials token endpoint (secret or signed
//! assertion), OIDC discovery with its JWKS, and MSAL instance discovery.

use serde_json::json;

use crate::http::exchange::{ApiRequest, Outcome};
use crate::http::reply::{Ctx, Reply};
use crate::state::{SimState, read};

mod error;
mod token;

use error::{err, error_reply};
use token::token;

pub fn handle(state: &SimState, ctx: &Ctx, req: &ApiRequest) -> Outcome {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["common", "discovery", "instance"] | ["common", "discovery", "v2.0", "instance"] => {
            Outcome::plain(instance_discovery(ctx))
        }
        [tenant, "v2.0", ".well-known", "openid-configuration"]
        | [tenant, ".well-known", "openid-configuration"] => {
            Outcome::plain(openid_configuration(state, ctx, tenant))
        }
        [_, "discovery", "v2.0", "keys"] | [_, "discovery", "keys"] => {
            let keys = crate::jwt::token_key().map(|k| vec![k.jwk()]).unwrap_or_default();
            Outcome::plain(Reply::json(200, &json!({ "keys": keys })))
        }
        [tenant, "oauth2", "v2.0", "token"] | [tenant, "oauth2", "token"] => {
            if req.method != http::Method::POST {
                return Outcome::plain(error_reply(
                    ctx,
                    err(
                        400,
                        "invalid_request",
                        900561,
                        "The endpoint only accepts POST, OPTIONS requests. Received a GET request.",
                    ),
                ));
            }
            let tenant_ref = state.tenant(tenant);
            let reply = match token(state, ctx, req, tenant) {
                Ok(v) => Reply::json(200, &v).header("Cache-Control", "no-store, no-cache"),
                Err(e) => error_reply(ctx, e),
            };
            Outcome {
                api_label: "login token".into(),
                tenant: tenant_ref,
                ..Outcome::plain(reply)
            }
        }
        _ => Outcome::plain(error_reply(
            ctx,
            err(
                404,
                "invalid_request",
                90002,
                format!(
                    "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.",
                    segs.first().copied().unwrap_or("")
                ),
            ),
        )),
    }
}

fn instance_discovery(ctx: &Ctx) -> Reply {
    let host = ctx
        .base
        .split("://")
        .nth(1)
        .unwrap_or("login.microsoftonline.com")
        .split('/')
        .next()
        .unwrap_or("login.microsoftonline.com")
        .to_string();
    Reply::json(
        200,
        &json!({
            "tenant_discovery_endpoint": format!("{}/{{tenant}}/v2.0/.well-known/openid-configuration", ctx.base),
            "api-version": "1.1",
            "metadata": [
                { "preferred_network": host, "preferred_cache": host, "aliases": [host] },
                { "preferred_network": "login.microsoftonline.com", "preferred_cache": "login.windows.net", "aliases": ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"] },
            ],
        }),
    )
}

fn openid_configuration(state: &SimState, ctx: &Ctx, tenant: &str) -> Reply {
    let tid = match state.tenant(tenant) {
        Some(t) => read(&t).id.to_string(),
        None if ["common", "organizations"].contains(&tenant) => "{tenantid}".to_string(),
        None => {
            return error_reply(
                ctx,
                err(
                    400,
                    "invalid_tenant",
                    90002,
                    format!(
                        "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
                    ),
                ),
            );
        }
    };
    let b = &ctx.base;
    Reply::json(
        200,
        &json!({
            "token_endpoint": format!("{b}/{tid}/oauth2/v2.0/token"),
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": format!("{b}/{tid}/discovery/v2.0/keys"),
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": format!("https://login.microsoftonline.com/{tid}/v2.0"),
            "request_uri_parameter_supported": false,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": format!("{b}/{tid}/oauth2/v2.0/authorize"),
            "device_authorization_endpoint": format!("{b}/{tid}/oauth2/v2.0/devicecode"),
            "http_logout_supported": true,
            "frontchannel_logout_supported": true,
            "end_session_endpoint": format!("{b}/{tid}/oauth2/v2.0/logout"),
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": format!("{b}/{tid}/kerberos"),
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }),
    )
}
