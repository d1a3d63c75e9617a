//! The connection request of a simulator tenant: the simulator's endpoints and the tenant's own
//! app secret, as an operator would enter them.

use posture_graph_sim::{Simulator, TenantInfo};
use posture_proto::v1 as pb;

/// The simulator's endpoints as a custom cloud.
pub fn endpoints(sim: &Simulator) -> pb::CloudEndpoints {
    let base = sim.base_url();
    let at = |p: &str| format!("{}{p}", base.as_str());
    pb::CloudEndpoints {
        authority_url: at("login"),
        graph_url: at("graph"),
        defender_url: at("mde"),
        management_activity_url: at("manage"),
        exchange_url: at("exo"),
    }
}

/// `secret` as the tenant's client-secret credential, expiring when the tenant's secret does.
pub fn secret_credential(secret: &str, tenant: &TenantInfo) -> pb::Credential {
    pb::Credential {
        kind: Some(pb::credential::Kind::ClientSecret(pb::ClientSecretCredential {
            secret_value: secret.to_owned(),
            expires_at: Some(prost_types::Timestamp {
                seconds: tenant.secret_expires_at.timestamp(),
                nanos: 0,
            }),
        })),
    }
}

/// The request that connects `tenant` with its own secret.
pub fn connection_request(sim: &Simulator, tenant: &TenantInfo) -> pb::CreateConnectionRequest {
    pb::CreateConnectionRequest {
        tenant_id: tenant.tenant_id.to_string(),
        display_name: tenant.display_name.clone(),
        client_id: tenant.client_id.to_string(),
        cloud: pb::Cloud::Custom as i32,
        endpoints: Some(endpoints(sim)),
        credential: Some(secret_credential(tenant.client_secret.expose(), tenant)),
        tags: Vec::new(),
    }
}
