//! Risk acceptance. An exception never changes what was evaluated: an accepted finding keeps its
//! live status and is marked `accepted` with the exceptions that cover it, so it stays visible.

use chrono::{DateTime, Utc};

use crate::assessment::Assessment;
use crate::exceptions::RiskException;
use crate::score::score;

/// Marks findings covered by unexpired exceptions and recomputes the scores. Applying again (with
/// a later `now` or a changed list) starts from scratch, so it is safe to re-run.
pub fn apply_exceptions(assessment: &mut Assessment, exceptions: &[RiskException], now: DateTime<Utc>) {
    for result in &mut assessment.results {
        result.accepted = false;
        result.exceptions.clear();
        let framework_evidence = result.by_framework.iter_mut().flat_map(|f| f.evidence.iter_mut());
        for item in result.evidence.iter_mut().chain(framework_evidence) {
            item.accepted = false;
        }
        if !result.status.is_finding() {
            continue;
        }
        let active = exceptions
            .iter()
            .filter(|e| e.control_id == result.control_id && e.is_active(now));
        for exception in active {
            match &exception.object_ids {
                None => {
                    result.accepted = true;
                    result.exceptions.push(exception.clone());
                }
                Some(ids) => {
                    let mut covered_any = false;
                    for item in result.evidence.iter_mut().filter(|i| ids.contains(&i.id)) {
                        item.accepted = true;
                        covered_any = true;
                    }
                    // A framework's own evidence (e.g. CIS's excluded objects) is covered alike.
                    let framework_evidence =
                        result.by_framework.iter_mut().flat_map(|f| f.evidence.iter_mut());
                    for item in framework_evidence.filter(|i| ids.contains(&i.id)) {
                        item.accepted = true;
                    }
                    if covered_any {
                        result.exceptions.push(exception.clone());
                    }
                }
            }
        }
        // An object-scoped exception accepts the control only if nothing failing is left over; a
        // finding without evidence objects can only be accepted control-wide.
        if !result.accepted && !result.evidence.is_empty() && result.evidence.iter().all(|i| i.accepted) {
            result.accepted = true;
        }
    }
    assessment.scores = score(&assessment.results);
}
