//! The server builder over a real socket: health checking, reflection (v1 and v1alpha), lazy
//! client channels and graceful shutdown.

mod common;

use std::time::Duration;

use common::{Running, serve};
use posture_kit::config::GrpcConfig;
use posture_kit::grpc::{GrpcServer, lazy_channel};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// The test service with a descriptor set, as a role mounts its services.
async fn start() -> Running {
    serve(
        GrpcServer::new(&GrpcConfig::default())
            .add_service(common::TraceEcho)
            .descriptor_set(common::descriptor_set()),
    )
    .await
}

/// Sends one reflection request over a fresh channel and returns the first answer. `v1` and
/// `v1alpha` are the same protocol in two packages, hence a macro rather than a function.
macro_rules! reflect {
    ($version:ident, $address:expr, $message:expr) => {{
        use tokio_stream::StreamExt as _;
        use tonic_reflection::pb::$version::ServerReflectionRequest;
        use tonic_reflection::pb::$version::server_reflection_client::ServerReflectionClient;
        let channel = lazy_channel($address, &GrpcConfig::default()).expect("channel");
        let request = ServerReflectionRequest {
            host: String::new(),
            message_request: Some($message),
        };
        ServerReflectionClient::new(channel)
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .expect("reflection call")
            .into_inner()
            .next()
            .await
            .expect("one response")
            .expect("ok response")
    }};
}

async fn health_status(address: &str, service: &str) -> Result<i32, tonic::Status> {
    let channel = lazy_channel(address, &GrpcConfig::default()).expect("channel");
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await?;
    Ok(response.into_inner().status)
}

#[tokio::test]
async fn mounted_services_and_the_server_report_serving() {
    let server = start().await;
    assert_eq!(
        health_status(&server.address, common::SERVICE).await.ok(),
        Some(ServingStatus::Serving as i32)
    );
    assert_eq!(
        health_status(&server.address, "").await.ok(),
        Some(ServingStatus::Serving as i32)
    );
    let unknown = health_status(&server.address, "posture.nope.v1.Nothing")
        .await
        .expect_err("unknown service");
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    server.shutdown.cancel();
}

#[tokio::test]
async fn reflection_v1_lists_every_mounted_service() {
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = start().await;
    let response = reflect!(v1, &server.address, MessageRequest::ListServices(String::new()));
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a service list, got {:?}", response.message_response);
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for expected in [
        common::SERVICE,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }

    // The describe path works too: reflection can serve the test service's file.
    let response = reflect!(
        v1,
        &server.address,
        MessageRequest::FileContainingSymbol(common::SERVICE.into())
    );
    assert!(
        matches!(response.message_response, Some(MessageResponse::FileDescriptorResponse(ref f)) if !f.file_descriptor_proto.is_empty())
    );
    server.shutdown.cancel();
}

#[tokio::test]
async fn reflection_v1alpha_answers_for_older_tools() {
    use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;

    let server = start().await;
    let response = reflect!(
        v1alpha,
        &server.address,
        MessageRequest::ListServices(String::new())
    );
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a service list");
    };
    assert!(list.service.iter().any(|s| s.name == common::SERVICE));
    server.shutdown.cancel();
}

#[tokio::test]
async fn cancelling_the_token_stops_the_server() {
    let server = start().await;
    assert!(
        common::whoami(lazy_channel(&server.address, &GrpcConfig::default()).expect("channel"))
            .await
            .is_ok()
    );
    server.shutdown.cancel();
    let result = tokio::time::timeout(Duration::from_secs(10), server.handle).await;
    assert!(
        matches!(result, Ok(Ok(Ok(())))),
        "server did not stop cleanly: {result:?}"
    );
    let after = health_status(&server.address, "")
        .await
        .expect_err("server is gone");
    assert_eq!(after.code(), tonic::Code::Unavailable);
}

#[tokio::test]
async fn lazy_channel_reaches_a_server_that_starts_later() {
    // Reserve a port, release it, and only start the server after the channel exists.
    let probe = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = probe.local_addr().expect("addr");
    drop(probe);
    let channel = lazy_channel(&format!("http://{addr}"), &GrpcConfig::default()).expect("channel");
    let before = common::whoami(channel.clone())
        .await
        .expect_err("nothing listens yet");
    assert_eq!(before.code(), tonic::Code::Unavailable);

    let listener = TcpListener::bind(addr).await.expect("rebind");
    let shutdown = CancellationToken::new();
    let server = GrpcServer::new(&GrpcConfig::default()).add_service(common::TraceEcho);
    tokio::spawn(server.serve(listener, shutdown.clone()));
    let mut answered = false;
    for _ in 0..50 {
        if common::whoami(channel.clone()).await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(answered, "the channel never reconnected");
    shutdown.cancel();
}

#[tokio::test]
async fn calls_running_past_the_request_timeout_are_cut_off() {
    let config = GrpcConfig {
        request_timeout_secs: 1,
        ..GrpcConfig::default()
    };
    let server = serve(GrpcServer::new(&config).add_service(common::TraceEcho)).await;
    // The client allows far longer, so the cut-off comes from the server.
    let client_config = GrpcConfig {
        request_timeout_secs: 30,
        ..GrpcConfig::default()
    };
    let channel = lazy_channel(&server.address, &client_config).expect("channel");
    let started = std::time::Instant::now();
    let status = common::call(channel, common::STALL)
        .await
        .expect_err("stalled call must fail");
    assert_eq!(status.code(), tonic::Code::Cancelled, "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    server.shutdown.cancel();
}

#[tokio::test]
async fn invalid_endpoint_is_a_clear_error() {
    let err = lazy_channel("not a uri", &GrpcConfig::default()).expect_err("bad address");
    assert!(err.to_string().contains("not a uri"), "{err}");
}
