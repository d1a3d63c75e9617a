//! gRPC clients to the gateway, authenticated with an API key as any caller would be.

use std::net::SocketAddr;
use std::path::PathBuf;

use posture_kit::tls::ClientTls;

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

/// Where a deployment's gateway listens and, when it serves TLS, the CA that issued its
/// certificate.
#[derive(Clone, Debug)]
pub struct Gateway {
    pub addr: SocketAddr,
    pub ca_cert: Option<PathBuf>,
}

impl Gateway {
    /// `https://` when the gateway serves TLS, `http://` on plaintext loopback.
    pub fn url(&self) -> String {
        match self.ca_cert {
            Some(_) => format!("https://{}", self.addr),
            None => format!("http://{}", self.addr),
        }
    }

    pub async fn channel(&self) -> anyhow::Result<Channel> {
        let endpoint = Endpoint::from_shared(self.url())?;
        Ok(match &self.ca_cert {
            Some(ca) => {
                let tls = ClientTls::edge(Some(ca), None)?;
                endpoint.connect_with_connector(tls.connector(None)?).await?
            }
            None => endpoint.connect().await?,
        })
    }
}

/// A channel to `gateway` that sends `key` (or no key at all) on every call.
pub async fn authed(gateway: &Gateway, key: Option<&str>) -> anyhow::Result<Authed> {
    let channel = gateway.channel().await?;
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
    pub async fn connect(gateway: &Gateway, key: &str) -> anyhow::Result<Self> {
        let channel = authed(gateway, Some(key)).await?;
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
