//! gRPC clients to the gateway, authenticated with an API key as any caller would be. The clients
//! of a scenario log every call with a trace id of its own, to hold the activity log against.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use posture_kit::tls::ClientTls;

use posture_proto::v1::activity_service_client::ActivityServiceClient;
use posture_proto::v1::api_key_service_client::ApiKeyServiceClient;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::inventory_service_client::InventoryServiceClient;
use posture_proto::v1::sync_service_client::SyncServiceClient;
use posture_proto::v1::tenant_connection_service_client::TenantConnectionServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

/// One call a client made, with the trace id it sent (each call gets its own trace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCall {
    /// `/posture.v1.SyncService/StartSync`.
    pub path: String,
    pub trace_id: String,
}

/// The calls made through one set of clients, so a test can hold the activity log against them.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Vec<LoggedCall>>>);

impl CallLog {
    pub fn calls(&self) -> Vec<LoggedCall> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn push(&self, call: LoggedCall) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(call);
    }
}

#[derive(Clone)]
pub struct Bearer {
    key: Option<MetadataValue<tonic::metadata::Ascii>>,
    log: Option<CallLog>,
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.key {
            request.metadata_mut().insert("authorization", value.clone());
        }
        if let Some(log) = &self.log {
            let trace_id = format!("{:032x}", rand::random::<u128>() | 1);
            let traceparent = format!("00-{trace_id}-00f067aa0ba902b7-01");
            if let Ok(value) = MetadataValue::try_from(traceparent) {
                request.metadata_mut().insert("traceparent", value);
            }
            let path = request
                .extensions()
                .get::<tonic::GrpcMethod>()
                .map(|m| format!("/{}/{}", m.service(), m.method()))
                .unwrap_or_default();
            log.push(LoggedCall { path, trace_id });
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
    logged(gateway, key, None).await
}

/// [`authed`], recording every call and giving each its own trace id.
async fn logged(gateway: &Gateway, key: Option<&str>, log: Option<CallLog>) -> anyhow::Result<Authed> {
    let channel = gateway.channel().await?;
    let key = match key {
        Some(key) => Some(MetadataValue::try_from(format!("Bearer {key}"))?),
        None => None,
    };
    Ok(InterceptedService::new(channel, Bearer { key, log }))
}

/// The public services a test talks to, through one authenticated channel.
pub struct GatewayClients {
    pub connections: TenantConnectionServiceClient<Authed>,
    pub api_keys: ApiKeyServiceClient<Authed>,
    pub sync: SyncServiceClient<Authed>,
    pub inventory: InventoryServiceClient<Authed>,
    pub assessment: AssessmentServiceClient<Authed>,
    pub activity: ActivityServiceClient<Authed>,
    /// Every call made through these clients.
    pub log: CallLog,
}

impl GatewayClients {
    pub async fn connect(gateway: &Gateway, key: &str) -> anyhow::Result<Self> {
        let log = CallLog::default();
        let channel = logged(gateway, Some(key), Some(log.clone())).await?;
        // Inventory pages of 1000 full objects exceed tonic's 4 MiB default.
        let limit = 64 * 1024 * 1024;
        Ok(Self {
            connections: TenantConnectionServiceClient::new(channel.clone()),
            api_keys: ApiKeyServiceClient::new(channel.clone()),
            sync: SyncServiceClient::new(channel.clone()),
            inventory: InventoryServiceClient::new(channel.clone()).max_decoding_message_size(limit),
            assessment: AssessmentServiceClient::new(channel.clone()).max_decoding_message_size(limit),
            activity: ActivityServiceClient::new(channel),
            log,
        })
    }
}
