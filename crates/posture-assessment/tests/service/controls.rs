//! ListControls over real gRPC: the pack's controls by id, with filters and offset pages.

use posture_kit::db::test_support::TestDatabase;
use posture_proto::v1 as pb;

use crate::world::World;

#[tokio::test]
async fn controls_are_listed_by_id_with_filters_and_pages() {
    let world = World::new(TestDatabase::sqlite().expect("sqlite")).await;
    let mut all = Vec::new();
    let mut token = String::new();
    loop {
        let page = world
            .assessments()
            .list_controls(pb::ListControlsRequest {
                page_size: 8,
                page_token: token,
                ..Default::default()
            })
            .await
            .expect("controls")
            .into_inner();
        all.extend(page.controls);
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        all.len(),
        posture_assessment::PolicyPack::builtin().controls().len()
    );
    assert!(all.windows(2).all(|p| p[0].control_id < p[1].control_id));
    let mfa = all
        .iter()
        .find(|c| c.control_id == "entra.ca.mfa-all-users")
        .expect("control");
    assert!(
        mfa.references
            .iter()
            .any(|r| r.framework == "cis-m365" && r.framework_version == "7" && r.reference_id == "5.2.2.2"),
        "{mfa:#?}"
    );
    assert_eq!(mfa.severity, pb::Severity::Critical as i32);

    let cis = world
        .assessments()
        .list_controls(pb::ListControlsRequest {
            framework: "cis-m365".into(),
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("controls")
        .into_inner()
        .controls;
    assert_eq!(
        cis,
        all.iter()
            .filter(|c| c.references.iter().any(|r| r.framework == "cis-m365"))
            .cloned()
            .collect::<Vec<_>>()
    );
    let critical = world
        .assessments()
        .list_controls(pb::ListControlsRequest {
            severity: pb::Severity::Critical as i32,
            ..Default::default()
        })
        .await
        .expect("controls")
        .into_inner()
        .controls;
    assert!(
        !critical.is_empty()
            && critical
                .iter()
                .all(|c| c.severity == pb::Severity::Critical as i32)
    );
}
