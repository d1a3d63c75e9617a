//! Which granted permissions satisfy a least-privileged one: Graph accepts broader permissions
//! (Directory.Read.All for User.Read.All, ...), so a token holding them is not missing anything.

/// Higher permissions that also allow what `permission` allows (Graph accepts either).
pub fn broader_permissions(permission: &str) -> &'static [&'static str] {
    match permission {
        "User.Read.All" => &[
            "User.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "GroupMember.Read.All" => &[
            "Group.Read.All",
            "Group.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "Organization.Read.All" => &[
            "Organization.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "RoleManagement.Read.Directory" => &[
            "RoleManagement.Read.All",
            "RoleManagement.ReadWrite.Directory",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "RoleEligibilitySchedule.Read.Directory" => &[
            "RoleManagement.Read.Directory",
            "RoleManagement.Read.All",
            "RoleEligibilitySchedule.ReadWrite.Directory",
        ],
        "RoleAssignmentSchedule.Read.Directory" => &[
            "RoleManagement.Read.Directory",
            "RoleManagement.Read.All",
            "RoleAssignmentSchedule.ReadWrite.Directory",
        ],
        "RoleManagementPolicy.Read.Directory" => &[
            "RoleManagementPolicy.ReadWrite.Directory",
            "RoleManagement.Read.Directory",
            "RoleManagement.Read.All",
            "RoleManagement.ReadWrite.Directory",
        ],
        "AccessReview.Read.All" => &["AccessReview.ReadWrite.All", "AccessReview.ReadWrite.Membership"],
        "Domain.Read.All" => &[
            "Domain.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "GroupSettings.Read.All" => &[
            "GroupSettings.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
            "Group.Read.All",
            "Group.ReadWrite.All",
        ],
        "Application.Read.All" => &[
            "Application.ReadWrite.All",
            "Directory.Read.All",
            "Directory.ReadWrite.All",
        ],
        "Policy.Read.DeviceConfiguration" => &["Policy.ReadWrite.DeviceConfiguration"],
        "OnPremDirectorySynchronization.Read.All" => &["OnPremDirectorySynchronization.ReadWrite.All"],
        "SecurityAlert.Read.All" => &["SecurityAlert.ReadWrite.All"],
        "SecurityEvents.Read.All" => &["SecurityEvents.ReadWrite.All"],
        "DeviceManagementManagedDevices.Read.All" => &["DeviceManagementManagedDevices.ReadWrite.All"],
        "DeviceManagementConfiguration.Read.All" => &["DeviceManagementConfiguration.ReadWrite.All"],
        "SharePointTenantSettings.Read.All" => &["SharePointTenantSettings.ReadWrite.All"],
        "Machine.Read.All" => &["Machine.ReadWrite.All"],
        _ => &[],
    }
}

/// Whether a token's roles allow `permission`, directly or through a broader permission.
pub fn roles_allow(roles: &[String], permission: &str) -> bool {
    std::iter::once(permission)
        .chain(broader_permissions(permission).iter().copied())
        .any(|p| roles.iter().any(|r| r.eq_ignore_ascii_case(p)))
}
