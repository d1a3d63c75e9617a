//! The gateway calls behind `posture assess`: find an assessment (a given one or the latest), wait
//! for a queued one to finish, and read every control or finding page after page.

use std::time::Duration;

use anyhow::Context;
use posture_proto::v1::assessment_service_client::AssessmentServiceClient;
use posture_proto::v1::{
    Assessment, AssessmentState, Control, Finding, GetAssessmentRequest, GetLatestAssessmentRequest,
    ListControlsRequest, ListFindingsRequest,
};

use crate::client::AuthedChannel;
use crate::client::progress::explain_missing;
use crate::client::status::explain;

/// The given assessment, or the tenant's latest succeeded one.
async fn lookup(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: &str,
    assessment_id: Option<String>,
) -> anyhow::Result<Assessment> {
    match assessment_id {
        Some(assessment_id) => {
            client
                .get_assessment(GetAssessmentRequest {
                    tenant_id: tenant_id.to_owned(),
                    assessment_id,
                })
                .await
                .map_err(|s| {
                    let list = format!("posture assess show {tenant_id}");
                    explain_missing("reading the assessment", s, &list)
                })?
                .into_inner()
                .assessment
        }
        None => {
            client
                .get_latest_assessment(GetLatestAssessmentRequest {
                    tenant_id: tenant_id.to_owned(),
                })
                .await
                .map_err(|s| {
                    if s.code() == tonic::Code::NotFound {
                        anyhow::anyhow!(
                            "tenant {tenant_id} has no completed assessment yet: one runs after every \
                         completed sync (`posture sync start {tenant_id} --watch`)"
                        )
                    } else {
                        explain("reading the latest assessment", s)
                    }
                })?
                .into_inner()
                .assessment
        }
    }
    .context("the server returned no assessment")
}

/// An assessment (the latest when `assessment_id` is none) and all its findings.
pub(super) async fn with_findings(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: String,
    assessment_id: Option<String>,
) -> anyhow::Result<(Assessment, Vec<Finding>)> {
    let assessment = lookup(client, &tenant_id, assessment_id).await?;
    let request = ListFindingsRequest {
        tenant_id,
        assessment_id: assessment.assessment_id.clone(),
        ..Default::default()
    };
    let findings = all_findings(client, request).await?;
    Ok((assessment, findings))
}

/// Polls an assessment until it succeeds or fails.
pub(super) async fn wait_for(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    tenant_id: &str,
    assessment_id: &str,
) -> anyhow::Result<Assessment> {
    loop {
        let assessment = lookup(client, tenant_id, Some(assessment_id.to_owned())).await?;
        if assessment.state == AssessmentState::Succeeded as i32
            || assessment.state == AssessmentState::Failed as i32
        {
            return Ok(assessment);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every control of the policy pack.
pub async fn all_controls(
    client: &mut AssessmentServiceClient<AuthedChannel>,
) -> anyhow::Result<Vec<Control>> {
    let mut controls = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_controls(ListControlsRequest {
                page_size: 1000,
                page_token,
                ..Default::default()
            })
            .await
            .map_err(|s| explain("listing the controls", s))?
            .into_inner();
        controls.extend(page.controls);
        if page.next_page_token.is_empty() {
            return Ok(controls);
        }
        page_token = page.next_page_token;
    }
}

/// Every finding `request` selects, page after page, pinned to one assessment.
pub async fn all_findings(
    client: &mut AssessmentServiceClient<AuthedChannel>,
    mut request: ListFindingsRequest,
) -> anyhow::Result<Vec<Finding>> {
    request.page_size = 1000;
    let mut out = Vec::new();
    loop {
        let page = client
            .list_findings(request.clone())
            .await
            .map_err(|s| explain("listing findings", s))?
            .into_inner();
        out.extend(page.findings);
        if page.next_page_token.is_empty() {
            return Ok(out);
        }
        // Pin the assessment so later pages cannot move to a newer one.
        request.assessment_id = page.assessment_id;
        request.page_token = page.next_page_token;
    }
}
