//! Licence gates derived from subscribedSkus: which Entra, Intune and Defender features the tenant
//! pays for, read from the service plan ids of active subscriptions (graph-api.md §11).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::collection::Collection;

const AAD_PREMIUM_P1: &str = "41781fb2-bc02-4b7c-bd55-b576c07bb09d";
const AAD_PREMIUM_P2: &str = "eec0eb4f-6444-4f95-aba0-50c24d67f998";
const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
const MDE_P1: &str = "292cc034-7b7c-4950-aaf5-943befd3f1d4";
const MDE_P2: &str = "871d91ec-ec1a-452b-a83f-bd76c7d770ef";

/// What the tenant is licensed for. `known` is false when subscribedSkus could not be read; the
/// flags are then all false and policies that depend on them report an error instead of guessing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Licences {
    pub known: bool,
    pub p1: bool,
    pub p2: bool,
    pub intune: bool,
    pub defender: bool,
}

impl Licences {
    pub fn from_subscribed_skus(skus: &Collection) -> Self {
        if !skus.is_ok() {
            return Licences::default();
        }
        let mut licences = Licences {
            known: true,
            ..Licences::default()
        };
        for plan in skus
            .items
            .iter()
            .filter(|sku| sku_is_active(sku))
            .flat_map(active_plans)
        {
            match plan.to_ascii_lowercase().as_str() {
                AAD_PREMIUM_P1 => licences.p1 = true,
                // P2 includes everything P1 gives.
                AAD_PREMIUM_P2 => {
                    licences.p1 = true;
                    licences.p2 = true;
                }
                INTUNE_A => licences.intune = true,
                MDE_P1 | MDE_P2 => licences.defender = true,
                _ => {}
            }
        }
        licences
    }
}

/// Suspended, deleted and locked-out subscriptions no longer grant features; `Warning` (grace
/// period) still does. A SKU without the field is taken as active.
fn sku_is_active(sku: &Value) -> bool {
    match sku.get("capabilityStatus").and_then(Value::as_str) {
        None => true,
        Some(status) => status.eq_ignore_ascii_case("Enabled") || status.eq_ignore_ascii_case("Warning"),
    }
}

fn active_plans(sku: &Value) -> impl Iterator<Item = &str> {
    sku.get("servicePlans")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|plan| plan.get("provisioningStatus").and_then(Value::as_str) != Some("Disabled"))
        .filter_map(|plan| plan.get("servicePlanId").and_then(Value::as_str))
}
