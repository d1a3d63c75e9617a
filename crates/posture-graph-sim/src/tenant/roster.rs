//! Who holds which role in a generated tenant, per profile. The first ten user positions are
//! reserved for these well-known accounts so expectations can name them.

use std::collections::BTreeSet;

use crate::spec::Profile;

pub const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
pub const PRIVILEGED_ROLE_ADMIN: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
pub const SECURITY_ADMIN: &str = "194ae4cb-b126-40b2-bd5b-6091b380977d";
pub const USER_ADMIN: &str = "fe930be7-5e62-47db-91af-98c3a49a38b1";
pub const EXCHANGE_ADMIN: &str = "29232cdf-9323-42fd-ade2-1d097af3e4de";
pub const HELPDESK_ADMIN: &str = "729827e3-9c14-49f7-bb1b-9608f156bbb8";

/// Number of reserved user positions at the start of every tenant.
pub const RESERVED_USERS: u32 = 10;

/// Role holders of a tenant, by user position.
#[derive(Clone, Debug)]
pub struct Roster {
    pub breakglass: Vec<u32>,
    /// Permanent active Global Administrators (direct assignments).
    pub ga_active: Vec<u32>,
    /// PIM-eligible Global Administrators.
    pub ga_eligible: Vec<u32>,
    /// Global Administrator assigned to the role-assignable group 0, whose members are these.
    pub ga_group_members: Vec<u32>,
    /// Other active role assignments: (user position, role template id).
    pub other_roles: Vec<(u32, &'static str)>,
    /// Privileged users synchronised from on-premises.
    pub synced_admins: BTreeSet<u32>,
    /// Privileged users without a strong authentication method.
    pub admins_without_mfa: BTreeSet<u32>,
    /// Whether the Global Administrator role policy requires approval to activate.
    pub ga_activation_approval: bool,
}

impl Roster {
    pub fn for_profile(profile: Profile) -> Self {
        match profile {
            Profile::Hardened => Roster {
                breakglass: vec![0, 1],
                ga_active: vec![0, 1],
                ga_eligible: vec![2],
                ga_group_members: vec![],
                other_roles: vec![
                    (3, PRIVILEGED_ROLE_ADMIN),
                    (4, SECURITY_ADMIN),
                    (5, USER_ADMIN),
                    (6, EXCHANGE_ADMIN),
                ],
                synced_admins: BTreeSet::new(),
                admins_without_mfa: BTreeSet::new(),
                ga_activation_approval: true,
            },
            Profile::Typical => Roster {
                breakglass: vec![0, 1],
                ga_active: vec![0, 1, 2],
                ga_eligible: vec![],
                ga_group_members: vec![3],
                other_roles: vec![(4, SECURITY_ADMIN), (5, USER_ADMIN), (6, HELPDESK_ADMIN)],
                synced_admins: BTreeSet::from([3]),
                admins_without_mfa: BTreeSet::from([5]),
                ga_activation_approval: false,
            },
            Profile::Neglected => Roster {
                breakglass: vec![],
                ga_active: (0..9).collect(),
                ga_eligible: vec![],
                ga_group_members: vec![],
                other_roles: vec![(9, HELPDESK_ADMIN)],
                synced_admins: BTreeSet::from([2, 5, 7]),
                admins_without_mfa: BTreeSet::from([1, 4, 6, 8]),
                ga_activation_approval: false,
            },
        }
    }

    /// Every position holding a role, active or eligible.
    pub fn privileged(&self) -> BTreeSet<u32> {
        let mut s: BTreeSet<u32> = self.ga_active.iter().copied().collect();
        s.extend(&self.ga_eligible);
        s.extend(&self.ga_group_members);
        s.extend(self.other_roles.iter().map(|(p, _)| *p));
        s
    }

    pub fn is_admin(&self, pos: u32) -> bool {
        pos < RESERVED_USERS && self.privileged().contains(&pos)
    }
}
