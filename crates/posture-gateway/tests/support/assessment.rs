//! The assessment role's doubles: a latest assessment, one secure and one exposure score, three
//! open drift items, and baselines whose source tenant a test sets.

use posture_proto::v1;
use posture_proto::v1::assessment_service_server::AssessmentService;
use posture_proto::v1::drift_service_server::DriftService;
use posture_proto::v1::score_service_server::ScoreService;
use tonic::{Request, Response, Status};

use super::backend::{Backend, not_here};

#[tonic::async_trait]
impl AssessmentService for Backend {
    async fn list_controls(
        &self,
        _: Request<v1::ListControlsRequest>,
    ) -> Result<Response<v1::ListControlsResponse>, Status> {
        Err(not_here())
    }

    async fn start_assessment(
        &self,
        _: Request<v1::StartAssessmentRequest>,
    ) -> Result<Response<v1::StartAssessmentResponse>, Status> {
        Err(not_here())
    }

    async fn get_assessment(
        &self,
        _: Request<v1::GetAssessmentRequest>,
    ) -> Result<Response<v1::GetAssessmentResponse>, Status> {
        Err(not_here())
    }

    async fn get_latest_assessment(
        &self,
        request: Request<v1::GetLatestAssessmentRequest>,
    ) -> Result<Response<v1::GetLatestAssessmentResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::GetLatestAssessmentResponse {
            assessment: Some(v1::Assessment {
                assessment_id: "6f1c2b3a-4d5e-4f60-8a9b-0c1d2e3f4a5b".into(),
                tenant_id: request.into_inner().tenant_id,
                state: v1::AssessmentState::Succeeded as i32,
                ..Default::default()
            }),
        }))
    }

    async fn list_assessments(
        &self,
        _: Request<v1::ListAssessmentsRequest>,
    ) -> Result<Response<v1::ListAssessmentsResponse>, Status> {
        Err(not_here())
    }

    async fn list_findings(
        &self,
        _: Request<v1::ListFindingsRequest>,
    ) -> Result<Response<v1::ListFindingsResponse>, Status> {
        Err(not_here())
    }

    async fn get_assessment_settings(
        &self,
        _: Request<v1::GetAssessmentSettingsRequest>,
    ) -> Result<Response<v1::GetAssessmentSettingsResponse>, Status> {
        Err(not_here())
    }

    async fn update_assessment_settings(
        &self,
        _: Request<v1::UpdateAssessmentSettingsRequest>,
    ) -> Result<Response<v1::UpdateAssessmentSettingsResponse>, Status> {
        Err(not_here())
    }
}

#[tonic::async_trait]
impl ScoreService for Backend {
    async fn list_secure_scores(
        &self,
        request: Request<v1::ListSecureScoresRequest>,
    ) -> Result<Response<v1::ListSecureScoresResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::ListSecureScoresResponse {
            secure_scores: vec![v1::SecureScore {
                tenant_id: request.into_inner().tenant_id,
                current_score: 42.0,
                max_score: 100.0,
                ..Default::default()
            }],
            next_page_token: String::new(),
        }))
    }

    async fn list_exposure_scores(
        &self,
        request: Request<v1::ListExposureScoresRequest>,
    ) -> Result<Response<v1::ListExposureScoresResponse>, Status> {
        self.record(&request);
        Ok(Response::new(v1::ListExposureScoresResponse {
            exposure_scores: vec![v1::ExposureScore {
                tenant_id: request.into_inner().tenant_id,
                exposure_score: 30.0,
                ..Default::default()
            }],
            next_page_token: String::new(),
        }))
    }
}

#[tonic::async_trait]
impl DriftService for Backend {
    async fn create_baseline(
        &self,
        _: Request<v1::CreateBaselineRequest>,
    ) -> Result<Response<v1::CreateBaselineResponse>, Status> {
        Err(not_here())
    }

    async fn get_baseline(
        &self,
        request: Request<v1::GetBaselineRequest>,
    ) -> Result<Response<v1::GetBaselineResponse>, Status> {
        self.record(&request);
        let id = request.into_inner().baseline_id;
        let source = self.state.baselines.lock().expect("lock").get(&id).cloned();
        match source {
            Some(source_tenant_id) => Ok(Response::new(v1::GetBaselineResponse {
                baseline: Some(v1::Baseline {
                    baseline_id: id,
                    source_tenant_id,
                    ..Default::default()
                }),
            })),
            None => Err(Status::not_found(format!("baseline `{id}` not found"))),
        }
    }

    async fn list_baselines(
        &self,
        _: Request<v1::ListBaselinesRequest>,
    ) -> Result<Response<v1::ListBaselinesResponse>, Status> {
        Err(not_here())
    }

    async fn apply_baseline(
        &self,
        request: Request<v1::ApplyBaselineRequest>,
    ) -> Result<Response<v1::ApplyBaselineResponse>, Status> {
        self.record(&request);
        let input = request.into_inner();
        Ok(Response::new(v1::ApplyBaselineResponse {
            baseline: Some(v1::Baseline {
                baseline_id: input.baseline_id,
                applied_tenant_ids: input.tenant_ids,
                ..Default::default()
            }),
        }))
    }

    async fn delete_baseline(
        &self,
        _: Request<v1::DeleteBaselineRequest>,
    ) -> Result<Response<v1::DeleteBaselineResponse>, Status> {
        Err(not_here())
    }

    async fn list_drift(
        &self,
        request: Request<v1::ListDriftRequest>,
    ) -> Result<Response<v1::ListDriftResponse>, Status> {
        self.record(&request);
        let delay = *self.state.drift_delay.lock().expect("lock");
        if let Some(delay) = delay {
            tokio::time::sleep(delay).await;
        }
        let input = request.into_inner();
        let drift = (0..3)
            .map(|n| v1::Drift {
                drift_id: format!("drift-{n}"),
                tenant_id: input.tenant_id.clone(),
                state: v1::DriftState::New as i32,
                ..Default::default()
            })
            .collect();
        Ok(Response::new(v1::ListDriftResponse {
            drift,
            next_page_token: String::new(),
        }))
    }

    async fn get_drift(
        &self,
        _: Request<v1::GetDriftRequest>,
    ) -> Result<Response<v1::GetDriftResponse>, Status> {
        Err(not_here())
    }

    async fn update_drift_state(
        &self,
        _: Request<v1::UpdateDriftStateRequest>,
    ) -> Result<Response<v1::UpdateDriftStateResponse>, Status> {
        Err(not_here())
    }
}
