//! gRPC clients to the gateway, authenticated with an API key as any caller would be.

use std::net::SocketAddr;

use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

#[derive(Clone)]
pub struct Bearer(Option<MetadataValue<tonic::metadata::Ascii>>);

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request.metadata_mut().insert("authorization", value.clone());
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<Channel, Bearer>;

/// A channel to `addr` that sends `key` (or no key at all) on every call.
pub async fn authed(addr: SocketAddr, key: Option<&str>) -> anyhow::Result<Authed> {
    let channel = Endpoint::from_shared(format!("http://{addr}"))?.connect().await?;
    let bearer = match key {
        Some(key) => Some(MetadataValue::try_from(format!("Bearer {key}"))?),
        None => None,
    };
    Ok(InterceptedService::new(channel, Bearer(bearer)))
}

/// The public services a test talks to, through one authenticated channel.
pub struct GatewayClients {
    pub connections: TenantConnectionServiceClient<Authed>,
    pub api_keys: ApiKeyServiceClient<Authed>,
    pub sync: SyncServiceClient<Authed>,
    pub inventory: InventoryServiceClient<Authed>,
    pub assessment: AssessmentServiceClient<Authed>,
}

impl GatewayClients {
    pub async fn connect(addr: SocketAddr, key: &str) -> anyhow::Result<Self> {
        let channel = authed(addr, Some(key)).await?;
        // Inventory pages of 1000 full objects exceed tonic's 4 MiB default.
        let limit = 64 * 1024 * 1024;
        Ok(Self {
            connections: TenantConnectionServiceClient::new(channel.clone()),
            api_keys: ApiKeyServiceClient::new(channel.clone()),
            sync: SyncServiceClient::new(channel.clone()),
            inventory: InventoryServiceClient::new(channel.clone()).max_decoding_message_size(limit),
            assessment: AssessmentServiceClient::new(channel).max_decoding_message_size(limit),
        })
    }
}
