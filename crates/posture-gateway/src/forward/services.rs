//! Every public backend service, implemented by forwarding. One macro invocation per service
//! lists its rpcs; each rpc is admitted (edge checks, tenant scope), sent to the owning role,
//! and its response cut to the caller's scope.

use posture_kit::ServiceRole;
use posture_proto::v1;
use tonic::{Request, Response, Status};

use super::{ForwardedStream, Forwarder, outgoing, relay, service_status};
use crate::edge::ScopedResponse;

macro_rules! forward_service {
    (
        $server:ident :: $service:ident via $client:ident :: $client_type:ident to $role:expr;
        unary { $($method:ident($request:ident) -> $response:ident;)* }
        $(stream { $($stream_method:ident($stream_request:ident) -> $stream_response:ident as $stream_type:ident;)* })?
    ) => {
        #[tonic::async_trait]
        impl v1::$server::$service for Forwarder {
            $(
                async fn $method(&self, request: Request<v1::$request>) -> Result<Response<v1::$response>, Status> {
                    let call = self.admit(&request, $role).await?;
                    let mut client = v1::$client::$client_type::new(call.channel)
                        .max_decoding_message_size(self.max_message_bytes())
                        .max_encoding_message_size(self.max_message_bytes());
                    let (metadata, _, message) = request.into_parts();
                    let mut response = client
                        .$method(outgoing(&metadata, &call.principal, message))
                        .await
                        .map_err(|status| service_status(call.role, stringify!($service), status))?;
                    response.get_mut().scope_to(&call.principal.scope)?;
                    Ok(response)
                }
            )*
            $($(
                type $stream_type = ForwardedStream<v1::$stream_response>;

                async fn $stream_method(
                    &self,
                    request: Request<v1::$stream_request>,
                ) -> Result<Response<Self::$stream_type>, Status> {
                    let call = self.admit(&request, $role).await?;
                    let mut client = v1::$client::$client_type::new(call.channel)
                        .max_decoding_message_size(self.max_message_bytes())
                        .max_encoding_message_size(self.max_message_bytes());
                    let (metadata, _, message) = request.into_parts();
                    let response = client
                        .$stream_method(outgoing(&metadata, &call.principal, message))
                        .await
                        .map_err(|status| service_status(call.role, stringify!($service), status))?;
                    let role = call.role;
                    Ok(response.map(|stream| relay(role, stream)))
                }
            )*)?
        }
    };
}

forward_service! {
    tenant_connection_service_server::TenantConnectionService
        via tenant_connection_service_client::TenantConnectionServiceClient to ServiceRole::Credentials;
    unary {
        create_connection(CreateConnectionRequest) -> CreateConnectionResponse;
        get_connection(GetConnectionRequest) -> GetConnectionResponse;
        list_connections(ListConnectionsRequest) -> ListConnectionsResponse;
        update_connection(UpdateConnectionRequest) -> UpdateConnectionResponse;
        update_credentials(UpdateCredentialsRequest) -> UpdateCredentialsResponse;
        delete_connection(DeleteConnectionRequest) -> DeleteConnectionResponse;
        test_connection(TestConnectionRequest) -> TestConnectionResponse;
        list_credential_accesses(ListCredentialAccessesRequest) -> ListCredentialAccessesResponse;
    }
}

forward_service! {
    sync_service_server::SyncService via sync_service_client::SyncServiceClient to ServiceRole::Sync;
    unary {
        start_sync(StartSyncRequest) -> StartSyncResponse;
        get_sync_run(GetSyncRunRequest) -> GetSyncRunResponse;
        list_sync_runs(ListSyncRunsRequest) -> ListSyncRunsResponse;
        cancel_sync_run(CancelSyncRunRequest) -> CancelSyncRunResponse;
    }
    stream {
        watch_sync_run(WatchSyncRunRequest) -> WatchSyncRunResponse as WatchSyncRunStream;
    }
}

forward_service! {
    inventory_service_server::InventoryService
        via inventory_service_client::InventoryServiceClient to ServiceRole::Sync;
    unary {
        list_entity_kinds(ListEntityKindsRequest) -> ListEntityKindsResponse;
        list_objects(ListObjectsRequest) -> ListObjectsResponse;
        get_object(GetObjectRequest) -> GetObjectResponse;
        list_object_versions(ListObjectVersionsRequest) -> ListObjectVersionsResponse;
        get_object_version(GetObjectVersionRequest) -> GetObjectVersionResponse;
    }
}

forward_service! {
    audit_service_server::AuditService
        via audit_service_client::AuditServiceClient to ServiceRole::Sync;
    unary {
        search_audit_events(SearchAuditEventsRequest) -> SearchAuditEventsResponse;
        list_audit_streams(ListAuditStreamsRequest) -> ListAuditStreamsResponse;
    }
}

forward_service! {
    schedule_service_server::ScheduleService
        via schedule_service_client::ScheduleServiceClient to ServiceRole::Scheduler;
    unary {
        get_schedule(GetScheduleRequest) -> GetScheduleResponse;
        list_schedules(ListSchedulesRequest) -> ListSchedulesResponse;
        update_schedule(UpdateScheduleRequest) -> UpdateScheduleResponse;
    }
}

forward_service! {
    notification_service_server::NotificationService
        via notification_service_client::NotificationServiceClient to ServiceRole::Scheduler;
    unary {
        create_subscription(CreateSubscriptionRequest) -> CreateSubscriptionResponse;
        list_subscriptions(ListSubscriptionsRequest) -> ListSubscriptionsResponse;
        delete_subscription(DeleteSubscriptionRequest) -> DeleteSubscriptionResponse;
        test_subscription(TestSubscriptionRequest) -> TestSubscriptionResponse;
        list_deliveries(ListDeliveriesRequest) -> ListDeliveriesResponse;
    }
}

forward_service! {
    assessment_service_server::AssessmentService
        via assessment_service_client::AssessmentServiceClient to ServiceRole::Assessment;
    unary {
        list_controls(ListControlsRequest) -> ListControlsResponse;
        start_assessment(StartAssessmentRequest) -> StartAssessmentResponse;
        get_assessment(GetAssessmentRequest) -> GetAssessmentResponse;
        get_latest_assessment(GetLatestAssessmentRequest) -> GetLatestAssessmentResponse;
        list_assessments(ListAssessmentsRequest) -> ListAssessmentsResponse;
        list_findings(ListFindingsRequest) -> ListFindingsResponse;
        get_assessment_settings(GetAssessmentSettingsRequest) -> GetAssessmentSettingsResponse;
        update_assessment_settings(UpdateAssessmentSettingsRequest) -> UpdateAssessmentSettingsResponse;
    }
}

forward_service! {
    exception_service_server::ExceptionService
        via exception_service_client::ExceptionServiceClient to ServiceRole::Assessment;
    unary {
        create_exception(CreateExceptionRequest) -> CreateExceptionResponse;
        list_exceptions(ListExceptionsRequest) -> ListExceptionsResponse;
        delete_exception(DeleteExceptionRequest) -> DeleteExceptionResponse;
    }
}

forward_service! {
    drift_service_server::DriftService via drift_service_client::DriftServiceClient to ServiceRole::Assessment;
    unary {
        create_baseline(CreateBaselineRequest) -> CreateBaselineResponse;
        get_baseline(GetBaselineRequest) -> GetBaselineResponse;
        list_baselines(ListBaselinesRequest) -> ListBaselinesResponse;
        apply_baseline(ApplyBaselineRequest) -> ApplyBaselineResponse;
        delete_baseline(DeleteBaselineRequest) -> DeleteBaselineResponse;
        list_drift(ListDriftRequest) -> ListDriftResponse;
        get_drift(GetDriftRequest) -> GetDriftResponse;
        update_drift_state(UpdateDriftStateRequest) -> UpdateDriftStateResponse;
    }
}

forward_service! {
    score_service_server::ScoreService via score_service_client::ScoreServiceClient to ServiceRole::Assessment;
    unary {
        list_secure_scores(ListSecureScoresRequest) -> ListSecureScoresResponse;
        list_exposure_scores(ListExposureScoresRequest) -> ListExposureScoresResponse;
    }
}

forward_service! {
    evidence_service_server::EvidenceService
        via evidence_service_client::EvidenceServiceClient to ServiceRole::Assessment;
    unary {
        get_evidence_manifest(GetEvidenceManifestRequest) -> GetEvidenceManifestResponse;
        list_signing_keys(ListSigningKeysRequest) -> ListSigningKeysResponse;
    }
    stream {
        export_evidence_bundle(ExportEvidenceBundleRequest) -> ExportEvidenceBundleResponse as ExportEvidenceBundleStream;
    }
}
