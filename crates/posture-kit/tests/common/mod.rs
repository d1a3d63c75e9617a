//! A tiny hand-written gRPC service for exercising the server builder without generated code:
//! `posture.test.v1.TraceEcho/Whoami` answers with the trace id its handler ran under; and a way to
//! serve a server under test on a free port.

#![allow(dead_code)]

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::pin::Pin;
use std::task::{Context, Poll};

use opentelemetry::trace::TraceContextExt as _;
use posture_kit::grpc::GrpcServer;
use prost::Message as _;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::codegen::http;
use tonic::server::{NamedService, UnaryService};
use tonic::{Request, Response, Status};
use tonic_prost::ProstCodec;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

pub const SERVICE: &str = "posture.test.v1.TraceEcho";
pub const WHOAMI: &str = "/posture.test.v1.TraceEcho/Whoami";
/// Never answers in time: proves the server's request timeout.
pub const STALL: &str = "/posture.test.v1.TraceEcho/Stall";
pub const TRACE_ID_HEADER: &str = "x-handler-trace-id";

#[derive(Debug, Clone, Default)]
pub struct TraceEcho;

impl NamedService for TraceEcho {
    const NAME: &'static str = SERVICE;
}

struct Whoami {
    trace_id: String,
}

impl UnaryService<()> for Whoami {
    type Response = ();
    type Future = Ready<Result<Response<()>, Status>>;

    fn call(&mut self, _request: Request<()>) -> Self::Future {
        let mut response = Response::new(());
        match self.trace_id.parse() {
            Ok(value) => {
                response.metadata_mut().insert(TRACE_ID_HEADER, value);
                ready(Ok(response))
            }
            Err(_) => ready(Err(Status::internal("unprintable trace id"))),
        }
    }
}

impl tower::Service<http::Request<Body>> for TraceEcho {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // Called inside the server's per-call span, which is what the test inspects.
        let trace_id = tracing::Span::current()
            .context()
            .span()
            .span_context()
            .trace_id()
            .to_string();
        Box::pin(async move {
            if request.uri().path() == STALL {
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            }
            if request.uri().path() != WHOAMI {
                return Ok(Status::unimplemented("unknown method").into_http());
            }
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<(), ()>::default());
            Ok(grpc.unary(Whoami { trace_id }, request).await)
        })
    }
}

/// The encoded descriptor set of the test service, as a proto crate's build would produce it.
pub fn descriptor_set() -> &'static [u8] {
    use prost_types::{
        DescriptorProto, FileDescriptorProto, FileDescriptorSet, MethodDescriptorProto,
        ServiceDescriptorProto,
    };
    let file = FileDescriptorProto {
        name: Some("posture/test/v1/trace_echo.proto".into()),
        package: Some("posture.test.v1".into()),
        message_type: vec![DescriptorProto {
            name: Some("Empty".into()),
            ..Default::default()
        }],
        service: vec![ServiceDescriptorProto {
            name: Some("TraceEcho".into()),
            method: vec![MethodDescriptorProto {
                name: Some("Whoami".into()),
                input_type: Some(".posture.test.v1.Empty".into()),
                output_type: Some(".posture.test.v1.Empty".into()),
                ..Default::default()
            }],
            ..Default::default()
        }],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    Box::leak(
        FileDescriptorSet { file: vec![file] }
            .encode_to_vec()
            .into_boxed_slice(),
    )
}

/// Calls `Whoami` over `channel`.
pub async fn whoami<T>(channel: T) -> Result<String, Status>
where
    T: tonic::client::GrpcService<Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    call(channel, WHOAMI).await
}

/// Calls `method` (a full path) over `channel` and returns the trace id the handler saw.
pub async fn call<T>(channel: T, method: &'static str) -> Result<String, Status>
where
    T: tonic::client::GrpcService<Body>,
    T::Error: Into<tonic::codegen::StdError>,
    T::ResponseBody: tonic::codegen::Body<Data = tonic::codegen::Bytes> + Send + 'static,
    <T::ResponseBody as tonic::codegen::Body>::Error: Into<tonic::codegen::StdError> + Send,
{
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(format!("not ready: {}", e.into())))?;
    let path = http::uri::PathAndQuery::from_static(method);
    let response = grpc
        .unary(Request::new(()), path, ProstCodec::<(), ()>::default())
        .await?;
    response
        .metadata()
        .get(TRACE_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| Status::internal("no trace id header"))
}

/// A server under test, listening on 127.0.0.1 at a port the OS chose.
pub struct Running {
    pub address: String,
    pub shutdown: CancellationToken,
    pub handle: tokio::task::JoinHandle<Result<(), posture_kit::grpc::GrpcError>>,
}

/// Serves `server` on 127.0.0.1:0 until `shutdown` is cancelled.
pub async fn serve(server: GrpcServer) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("local addr"));
    let shutdown = CancellationToken::new();
    let handle = tokio::spawn(server.serve(listener, shutdown.clone()));
    Running {
        address,
        shutdown,
        handle,
    }
}
