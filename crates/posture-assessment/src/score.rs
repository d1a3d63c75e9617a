//! Scores per framework. A control counts for every framework it references, with that framework's
//! verdict where it judges differently (`ControlResult::by_framework`), and all controls count for
//! `overall` with the control's own verdict. Score = (passed + 0.5 × warnings) / (passed + failed + warnings): a warning is half
//! a pass; not-applicable and errored controls are left out (an error is "unknown", not "failed")
//! and reported as counts so a score over little data is visible as such.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::result::{ControlResult, Status};

/// The framework name under which every control is scored.
pub const OVERALL: &str = "overall";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FrameworkScore {
    pub framework: String,
    pub passed: usize,
    pub failed: usize,
    pub warnings: usize,
    pub not_applicable: usize,
    pub errors: usize,
    /// Findings (fail or warning) covered by an unexpired risk exception.
    pub accepted: usize,
    /// `None` when no control of the framework could be decided.
    pub score: Option<f64>,
    /// The same score with accepted findings counted as passed: the risk the tenant has not
    /// accepted yet.
    pub score_accepting_exceptions: Option<f64>,
}

fn ratio(points: f64, total: usize) -> Option<f64> {
    (total > 0).then(|| points / total as f64)
}

impl FrameworkScore {
    fn count(&mut self, result: &ControlResult, status: Status) {
        match status {
            Status::Pass => self.passed += 1,
            Status::Fail => self.failed += 1,
            Status::Warning => self.warnings += 1,
            Status::NotApplicable => self.not_applicable += 1,
            Status::Error => self.errors += 1,
        }
        if result.accepted && status.is_finding() {
            self.accepted += 1;
        }
    }

    fn finish(&mut self, accepted_failures: usize, accepted_warnings: usize) {
        let decided = self.passed + self.failed + self.warnings;
        let points = self.passed as f64 + 0.5 * self.warnings as f64;
        self.score = ratio(points, decided);
        let with_exceptions = points + accepted_failures as f64 + 0.5 * accepted_warnings as f64;
        self.score_accepting_exceptions = ratio(with_exceptions, decided);
    }
}

/// Scores for `overall` first, then each framework in name order.
pub fn score(results: &[ControlResult]) -> Vec<FrameworkScore> {
    let mut by_framework: BTreeMap<String, (FrameworkScore, usize, usize)> = BTreeMap::new();
    for result in results {
        let mut frameworks: Vec<&str> = result
            .metadata
            .iter()
            .flat_map(|m| m.frameworks.iter().map(|f| f.framework.as_str()))
            .collect();
        frameworks.sort_unstable();
        frameworks.dedup();
        frameworks.insert(0, OVERALL);
        for framework in frameworks {
            // Each framework scores its own verdict; `overall` scores the control's.
            let status = if framework == OVERALL {
                result.status
            } else {
                result.status_for(framework)
            };
            let entry = by_framework.entry(framework.to_string()).or_default();
            entry.0.count(result, status);
            if result.accepted {
                match status {
                    Status::Fail => entry.1 += 1,
                    Status::Warning => entry.2 += 1,
                    _ => {}
                }
            }
        }
    }
    let mut scores: Vec<FrameworkScore> = by_framework
        .into_iter()
        .map(|(framework, (mut score, accepted_failures, accepted_warnings))| {
            score.framework = framework;
            score.finish(accepted_failures, accepted_warnings);
            score
        })
        .collect();
    scores.sort_by_key(|s| (s.framework != OVERALL, s.framework.clone()));
    scores
}
