//! The registry of entity kinds the sync reads: one module per kind, each declaring its name,
//! the posture-graph catalog entry it reads, whether it is configuration (every version kept),
//! its volatile fields and how it is read. Adding a kind is one module plus one line in [`ALL`].

mod access_review_definitions;
mod activity_based_timeout_policies;
mod admin_consent_request_policy;
mod app_management_policies;
mod applications;
mod authentication_methods_policy;
mod authorization_policy;
mod conditional_access_policies;
mod cross_tenant_access_default;
mod default_app_management_policy;
mod defender_alerts;
mod defender_configuration_score;
mod defender_exposure_score;
mod defender_machines;
mod defender_recommendations;
mod defender_vulnerabilities;
mod delegated_permission_classifications;
mod device_compliance_policies;
mod device_registration_policy;
mod directory_settings;
mod dns_mail_records;
mod domains;
mod exo_accepted_domains;
mod exo_admin_audit_log_config;
mod exo_anti_phish_policies;
mod exo_atp_policy_for_o365;
mod exo_dkim_signing_config;
mod exo_external_in_outlook;
mod exo_hosted_content_filter_policies;
mod exo_malware_filter_policies;
mod exo_organization_config;
mod exo_outbound_spam_policies;
mod exo_protection_policy_rules;
mod exo_remote_domains;
mod exo_safe_attachment_policies;
mod exo_safe_links_policies;
mod exo_shared_mailboxes;
mod exo_sharing_policies;
mod exo_transport_config;
mod exo_transport_rules;
mod graph_app_role_assignments;
mod group_transitive_members;
mod groups;
mod managed_devices;
mod named_locations;
mod on_premises_synchronization;
mod organization;
mod role_assignment_instances;
mod role_assignment_schedules;
mod role_assignments;
mod role_definitions;
mod role_eligibility_instances;
mod role_eligibility_schedules;
mod role_management_policy_assignments;
mod secure_score_control_profiles;
mod secure_scores;
mod security_alerts;
mod security_incidents;
mod service_health_issues;
mod service_health_overviews;
mod service_principals;
mod sharepoint_settings;
mod subscribed_skus;
mod user_registration_details;
mod user_sign_in_activity;
mod users;
pub mod window;

use posture_graph::{EntityKind, EntitySpec};

/// How a kind is read from the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadMode {
    /// Delta query: the first round lists everything, later rounds only changes and `@removed`.
    Delta,
    /// Every run lists everything; objects not listed are marked removed at the end.
    Full,
    /// Every run lists the groups that matter and reads each one's transitive members: one object
    /// per group, the rest marked removed at the end (job/members.rs).
    PerGroup,
    /// Every run lists the accepted domains (through Exchange) and asks DNS for each one's SPF,
    /// DMARC and DKIM records: one object per domain (job/mail_dns.rs).
    MailDns,
}

/// Static facts about one synced kind.
#[derive(Debug, Clone, Copy)]
pub struct KindDef {
    /// Stable lower snake case name (store, subjects, API).
    pub name: &'static str,
    pub display_name: &'static str,
    /// The posture-graph catalog entry: path, `$select`, permissions, licence, budget family.
    pub graph: EntityKind,
    /// Configuration kinds keep every version (backup and drift).
    pub configuration: bool,
    /// Top-level fields that change without the object changing (last sign-in and the like).
    pub volatile: &'static [&'static str],
    pub read: ReadMode,
    /// Extra query pairs for the first request, e.g. `$expand=principal`.
    pub extra_query: &'static [(&'static str, &'static str)],
    /// The fields stored, when fewer than the catalog's `$select` (the catalog describes the
    /// endpoint; a kind may keep only what no other kind already holds).
    pub select: Option<&'static [&'static str]>,
}

impl KindDef {
    pub fn spec(&self) -> EntitySpec {
        self.graph.spec()
    }

    /// The `$select` the kind reads: its own, or else the catalog's (empty: whole objects).
    pub fn select(&self) -> &'static [&'static str] {
        self.select.unwrap_or(self.spec().select)
    }

    /// `GET /v1.0/<path>` (Graph), `GET /api/<path>` (Defender for Endpoint) or the cmdlet run
    /// through InvokeCommand (Exchange Online) as shown in ListEntityKinds.
    pub fn endpoint(&self) -> String {
        let spec = self.spec();
        if self.read == ReadMode::MailDns {
            return "POST /adminapi/beta/{tenant}/InvokeCommand Get-AcceptedDomain, then DNS TXT and CNAME per domain"
                .to_owned();
        }
        match spec.resource {
            posture_graph::Resource::DefenderForEndpoint => format!("GET /api/{}", spec.path),
            posture_graph::Resource::ExchangeOnline => format!(
                "POST /adminapi/beta/{{tenant}}/InvokeCommand {}",
                spec.path.split('?').next().unwrap_or(spec.path)
            ),
            _ => format!("GET /v1.0/{}", spec.path),
        }
    }
}

/// Every kind, ordered by name.
pub const ALL: &[&KindDef] = &[
    &access_review_definitions::KIND,
    &activity_based_timeout_policies::KIND,
    &admin_consent_request_policy::KIND,
    &app_management_policies::KIND,
    &applications::KIND,
    &authentication_methods_policy::KIND,
    &authorization_policy::KIND,
    &conditional_access_policies::KIND,
    &cross_tenant_access_default::KIND,
    &default_app_management_policy::KIND,
    &defender_alerts::KIND,
    &defender_configuration_score::KIND,
    &defender_exposure_score::KIND,
    &defender_machines::KIND,
    &defender_recommendations::KIND,
    &defender_vulnerabilities::KIND,
    &delegated_permission_classifications::KIND,
    &device_compliance_policies::KIND,
    &device_registration_policy::KIND,
    &directory_settings::KIND,
    &dns_mail_records::KIND,
    &domains::KIND,
    &exo_accepted_domains::KIND,
    &exo_admin_audit_log_config::KIND,
    &exo_anti_phish_policies::KIND,
    &exo_atp_policy_for_o365::KIND,
    &exo_dkim_signing_config::KIND,
    &exo_external_in_outlook::KIND,
    &exo_hosted_content_filter_policies::KIND,
    &exo_malware_filter_policies::KIND,
    &exo_organization_config::KIND,
    &exo_outbound_spam_policies::KIND,
    &exo_protection_policy_rules::KIND,
    &exo_remote_domains::KIND,
    &exo_safe_attachment_policies::KIND,
    &exo_safe_links_policies::KIND,
    &exo_shared_mailboxes::KIND,
    &exo_sharing_policies::KIND,
    &exo_transport_config::KIND,
    &exo_transport_rules::KIND,
    &graph_app_role_assignments::KIND,
    &group_transitive_members::KIND,
    &groups::KIND,
    &managed_devices::KIND,
    &named_locations::KIND,
    &on_premises_synchronization::KIND,
    &organization::KIND,
    &role_assignment_instances::KIND,
    &role_assignment_schedules::KIND,
    &role_assignments::KIND,
    &role_definitions::KIND,
    &role_eligibility_instances::KIND,
    &role_eligibility_schedules::KIND,
    &role_management_policy_assignments::KIND,
    &secure_score_control_profiles::KIND,
    &secure_scores::KIND,
    &security_alerts::KIND,
    &security_incidents::KIND,
    &service_health_issues::KIND,
    &service_health_overviews::KIND,
    &service_principals::KIND,
    &sharepoint_settings::KIND,
    &subscribed_skus::KIND,
    &user_registration_details::KIND,
    &user_sign_in_activity::KIND,
    &users::KIND,
];

/// The kind named `name`, if the sync knows it.
pub fn find(name: &str) -> Option<&'static KindDef> {
    ALL.iter().copied().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_names_match_the_catalog() {
        for pair in ALL.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
        for kind in ALL {
            assert_eq!(kind.graph.name(), kind.name);
            assert!(posture_bus::validate_token(kind.name).is_ok());
            for field in kind.select() {
                assert!(
                    kind.spec().select.is_empty() || kind.spec().select.contains(field),
                    "{} selects {field}, which the catalog does not read",
                    kind.name
                );
            }
            if kind.read == ReadMode::Delta {
                assert!(
                    kind.spec().delta_path.is_some(),
                    "{} has no delta path",
                    kind.name
                );
            }
        }
        assert!(find("users").is_some());
        assert!(find("user_sign_in_activity").is_some());
        assert!(find("no_such_kind").is_none());
    }
}
