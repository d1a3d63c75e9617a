//! Orderly stop of a process: one `CancellationToken` that SIGTERM or Ctrl-C cancels, one
//! `TaskTracker` per subsystem, and a drain with a deadline before telemetry is flushed.

use std::sync::Mutex;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::telemetry::TelemetryGuard;

/// The process-wide shutdown handle. Cloning the token is how subsystems learn to stop.
#[derive(Debug, Default)]
pub struct Shutdown {
    token: CancellationToken,
    subsystems: Mutex<Vec<(String, TaskTracker)>>,
}

/// What the drain saw: which subsystems finished in time and which were abandoned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub drained: Vec<String>,
    pub timed_out: Vec<String>,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// A tracker for one subsystem's tasks; drained in registration order at shutdown.
    pub fn tracker(&self, subsystem: &str) -> TaskTracker {
        let tracker = TaskTracker::new();
        self.lock().push((subsystem.to_owned(), tracker.clone()));
        tracker
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, TaskTracker)>> {
        self.subsystems
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Cancels the token on SIGTERM (Kubernetes) or Ctrl-C.
    pub fn listen_for_signals(&self) -> JoinHandle<()> {
        let token = self.token.clone();
        tokio::spawn(async move {
            tokio::select! {
                signal = wait_for_signal() => {
                    tracing::info!(signal, "shutdown requested");
                    token.cancel();
                }
                () = token.cancelled() => {}
            }
        })
    }

    /// Stop intake (cancel), wait for every subsystem until `deadline`, then flush telemetry.
    pub async fn complete(&self, deadline: Duration, telemetry: Option<TelemetryGuard>) -> DrainReport {
        self.cancel();
        let report = self.drain(deadline).await;
        if !report.timed_out.is_empty() {
            tracing::warn!(subsystems = ?report.timed_out, "shutdown deadline passed with work still running");
        }
        if let Some(telemetry) = telemetry {
            telemetry.shutdown();
        }
        report
    }

    /// Closes every tracker and waits for them, all sharing one `deadline`.
    pub async fn drain(&self, deadline: Duration) -> DrainReport {
        let subsystems: Vec<(String, TaskTracker)> = self.lock().clone();
        let until = tokio::time::Instant::now() + deadline;
        let mut report = DrainReport::default();
        for (name, tracker) in subsystems {
            tracker.close();
            match tokio::time::timeout_at(until, tracker.wait()).await {
                Ok(()) => report.drained.push(name),
                Err(_) => report.timed_out.push(name),
            }
        }
        report
    }
}

async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => tokio::select! {
                _ = sigterm.recv() => "SIGTERM",
                _ = tokio::signal::ctrl_c() => "SIGINT",
            },
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops the process");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "ctrl-c"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drain_waits_for_tasks_that_stop_on_cancel() {
        let shutdown = Shutdown::new();
        let workers = shutdown.tracker("sync-workers");
        let token = shutdown.token();
        let (done_tx, mut done_rx) = tokio::sync::mpsc::channel(4);
        for n in 0..3 {
            let token = token.clone();
            let done = done_tx.clone();
            workers.spawn(async move {
                token.cancelled().await;
                // Finishing the job in hand after cancellation is what drain waits for.
                tokio::time::sleep(Duration::from_millis(20)).await;
                let _ = done.send(n).await;
            });
        }
        drop(done_tx);
        let report = shutdown.complete(Duration::from_secs(5), None).await;
        assert_eq!(report.drained, vec!["sync-workers".to_owned()]);
        assert!(report.timed_out.is_empty());
        let mut finished = Vec::new();
        while let Some(n) = done_rx.recv().await {
            finished.push(n);
        }
        finished.sort_unstable();
        assert_eq!(finished, vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn drain_reports_subsystems_that_miss_the_deadline() {
        let shutdown = Shutdown::new();
        shutdown.tracker("fast").spawn(async {});
        shutdown.tracker("stuck").spawn(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        });
        let report = shutdown.complete(Duration::from_millis(50), None).await;
        assert_eq!(report.drained, vec!["fast".to_owned()]);
        assert_eq!(report.timed_out, vec!["stuck".to_owned()]);
        assert!(shutdown.token().is_cancelled());
    }
}
