//! SIGTERM (what Kubernetes sends) cancels the process token. Own binary: it signals itself.

use std::time::Duration;

use posture_kit::shutdown::Shutdown;

#[cfg(unix)]
#[tokio::test]
async fn sigterm_cancels_the_process_token_and_work_drains() {
    let shutdown = Shutdown::new();
    let listener = shutdown.listen_for_signals();
    let token = shutdown.token();
    let intake = shutdown.tracker("intake");
    let stopped_cleanly = intake.spawn({
        let token = token.clone();
        async move {
            token.cancelled().await;
            true
        }
    });
    // Let the listener register its handler before the signal arrives.
    tokio::time::sleep(Duration::from_millis(100)).await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());

    tokio::time::timeout(Duration::from_secs(5), token.cancelled())
        .await
        .expect("SIGTERM cancels the token");
    let report = shutdown.complete(Duration::from_secs(5), None).await;
    assert_eq!(report.drained, vec!["intake".to_owned()]);
    assert!(stopped_cleanly.await.expect("task"));
    listener.await.expect("listener ends after cancelling");
}
