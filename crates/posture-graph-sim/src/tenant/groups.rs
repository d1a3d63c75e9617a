//! Groups and their membership, generated from (seed, index). Membership is a virtual list of
//! positions so a 200,000-member group pages without ever being materialised.

use chrono::Duration;
use serde_json::{Value, json};

use super::Tenant;
use super::roster::RESERVED_USERS;
use crate::clock::iso;
use crate::ids::{self, object_id};
use crate::spec::Profile;

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MemberRef {
    User(u32),
    Group(u32),
    /// Added by a mutation and no longer resolvable (e.g. a deleted user).
    Id(String),
}

/// The base (generated) member list of a group.
#[derive(Clone, Debug)]
enum BaseMembers {
    Listed(Vec<MemberRef>),
    AllUsers,
    Guests,
    /// Users at positions `start + k * stride` below the generated user count.
    Stride {
        start: u32,
        stride: u32,
    },
}

pub const GROUP_TIER0: u32 = 0;
pub const GROUP_BREAKGLASS: u32 = 1;
pub const GROUP_ALL_COMPANY: u32 = 2;
pub const GROUP_GUESTS: u32 = 3;
pub const FIRST_REGULAR_GROUP: u32 = 4;

const TEAMS: [&str; 10] = [
    "Project Falcon",
    "Finance Team",
    "Engineering",
    "Sales EMEA",
    "Marketing Crew",
    "Legal Review",
    "Ops On-call",
    "HR Partners",
    "Support Tier 2",
    "Data Platform",
];

impl Tenant {
    pub fn is_unified(&self, g: u32) -> bool {
        g == GROUP_ALL_COMPANY || (g >= FIRST_REGULAR_GROUP && g.is_multiple_of(3))
    }

    /// Whether this unified group is public, per profile.
    pub fn is_public(&self, g: u32) -> bool {
        if !self.is_unified(g) {
            return false;
        }
        match self.profile() {
            Profile::Hardened => false,
            Profile::Typical => g == GROUP_ALL_COMPANY,
            Profile::Neglected => g == GROUP_ALL_COMPANY || g.is_multiple_of(2),
        }
    }

    fn nested_child(&self, g: u32) -> Option<u32> {
        (g >= 13 && g % 10 == 3).then(|| g - 1)
    }

    fn base_members(&self, g: u32) -> BaseMembers {
        let users = |v: &[u32]| BaseMembers::Listed(v.iter().map(|p| MemberRef::User(*p)).collect());
        match g {
            GROUP_TIER0 => match self.profile() {
                Profile::Neglected => users(&[0, 1]),
                _ if self.roster.ga_group_members.is_empty() => users(&[3]),
                _ => users(&self.roster.ga_group_members.clone()),
            },
            GROUP_BREAKGLASS => users(&self.roster.breakglass.clone()),
            GROUP_ALL_COMPANY => BaseMembers::AllUsers,
            GROUP_GUESTS => BaseMembers::Guests,
            _ => {
                let stride = self.layout.groups - FIRST_REGULAR_GROUP;
                BaseMembers::Stride {
                    start: RESERVED_USERS + (g - FIRST_REGULAR_GROUP),
                    stride,
                }
            }
        }
    }

    /// Length of the virtual direct-member list (some slots may resolve to nothing).
    pub fn member_slots(&self, g: u32) -> u32 {
        let base = match self.base_members(g) {
            BaseMembers::Listed(v) => v.len() as u32,
            BaseMembers::AllUsers | BaseMembers::Guests => self.user_positions(),
            BaseMembers::Stride { start, stride } => {
                if start >= self.layout.users {
                    0
                } else {
                    (self.layout.users - start).div_ceil(stride)
                }
            }
        };
        let nested = u32::from(self.nested_child(g).is_some());
        base + nested + self.overlay.group_added.get(&g).map_or(0, |v| v.len() as u32)
    }

    /// The direct member in slot `i`, or `None` when the slot is empty, deleted or removed.
    pub fn member_at(&self, g: u32, i: u32) -> Option<MemberRef> {
        let base = self.base_members(g);
        let base_len = match &base {
            BaseMembers::Listed(v) => v.len() as u32,
            BaseMembers::AllUsers | BaseMembers::Guests => self.user_positions(),
            BaseMembers::Stride { start, stride } => {
                if *start >= self.layout.users {
                    0
                } else {
                    (self.layout.users - start).div_ceil(*stride)
                }
            }
        };
        let nested = self.nested_child(g);
        let m = if i < base_len {
            match base {
                BaseMembers::Listed(v) => v.get(i as usize).cloned()?,
                BaseMembers::AllUsers => MemberRef::User(i),
                BaseMembers::Guests => {
                    let f = self.user_facts(i)?;
                    if !f.guest {
                        return None;
                    }
                    MemberRef::User(i)
                }
                BaseMembers::Stride { start, stride } => MemberRef::User(start + i * stride),
            }
        } else if i == base_len && nested.is_some() {
            MemberRef::Group(nested?)
        } else {
            let k = (i - base_len - u32::from(nested.is_some())) as usize;
            let id = self.overlay.group_added.get(&g)?.get(k)?;
            self.resolve_member(id)
        };
        if let MemberRef::User(p) = m {
            self.user_facts(p)?;
        }
        if let Some(removed) = self.overlay.group_removed.get(&g)
            && removed.contains(&self.member_id(&m))
        {
            return None;
        }
        Some(m)
    }

    pub fn resolve_member(&self, id: &str) -> MemberRef {
        if let Some(p) = self.user_pos(id) {
            MemberRef::User(p)
        } else if let Some(g) = self.group_index(id) {
            MemberRef::Group(g)
        } else {
            MemberRef::Id(id.to_ascii_lowercase())
        }
    }

    pub fn member_id(&self, m: &MemberRef) -> String {
        match m {
            MemberRef::User(p) => self.user_id(*p),
            MemberRef::Group(g) => self.group_id(*g),
            MemberRef::Id(id) => id.clone(),
        }
    }

    /// Transitive members: direct members plus members of nested groups, without duplicates.
    pub fn transitive_members(&self, g: u32) -> Vec<MemberRef> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![g];
        let mut visited = std::collections::HashSet::new();
        while let Some(cur) = stack.pop() {
            if !visited.insert(cur) {
                continue;
            }
            for i in 0..self.member_slots(cur) {
                if let Some(m) = self.member_at(cur, i) {
                    if let MemberRef::Group(child) = m {
                        stack.push(child);
                    }
                    if seen.insert(self.member_id(&m)) {
                        out.push(m);
                    }
                }
            }
        }
        out
    }

    /// A member as the directoryObject Graph returns in members lists without `$select`.
    pub fn member_json(&self, m: &MemberRef) -> Option<Value> {
        self.member_object(m, false)
    }

    /// A member as a directoryObject: with `selected` the whole object of its derived type (the
    /// list's `$select` then picks the properties that type has, as Graph does for members),
    /// else the type's default properties.
    pub fn member_object(&self, m: &MemberRef, selected: bool) -> Option<Value> {
        match m {
            MemberRef::User(p) => {
                let mut u = self.user_json(*p)?;
                if !selected {
                    crate::graph::select::project(&mut u, &crate::graph::select::USER_DEFAULT);
                }
                if let Value::Object(map) = &mut u {
                    map.insert("@odata.type".into(), json!("#microsoft.graph.user"));
                }
                Some(u)
            }
            MemberRef::Group(g) => {
                let mut v = self.group_json(*g)?;
                if let Value::Object(map) = &mut v {
                    map.insert("@odata.type".into(), json!("#microsoft.graph.group"));
                }
                Some(v)
            }
            MemberRef::Id(id) => Some(json!({ "@odata.type": "#microsoft.graph.directoryObject", "id": id })),
        }
    }

    pub fn member_ref_json(&self, m: &MemberRef) -> Value {
        let ty = match m {
            MemberRef::User(_) => "#microsoft.graph.user",
            MemberRef::Group(_) => "#microsoft.graph.group",
            MemberRef::Id(_) => "#microsoft.graph.directoryObject",
        };
        json!({ "@odata.type": ty, "id": self.member_id(m) })
    }

    pub fn group_json(&self, g: u32) -> Option<Value> {
        if g >= self.layout.groups {
            return None;
        }
        let s = self.seed;
        let unified = self.is_unified(g);
        let (name, description) = match g {
            GROUP_TIER0 => (
                "Tier 0 Admins".to_string(),
                "Role-assignable group for tier 0 administration",
            ),
            GROUP_BREAKGLASS => (
                "Emergency Access Accounts".to_string(),
                "Break-glass accounts excluded from Conditional Access",
            ),
            GROUP_ALL_COMPANY => ("All Company".to_string(), "Everyone in the organisation"),
            GROUP_GUESTS => ("All Guests".to_string(), "Dynamic group of guest users"),
            _ => {
                let team = TEAMS[ids::pick(s, "team", u64::from(g), TEAMS.len() as u64) as usize];
                (format!("{team} {g}"), "Team collaboration group")
            }
        };
        let nickname: String = name
            .to_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let dynamic = g == GROUP_GUESTS && self.profile() != Profile::Neglected;
        let mut group_types: Vec<&str> = Vec::new();
        if unified {
            group_types.push("Unified");
        }
        if dynamic {
            group_types.push("DynamicMembership");
        }
        let synced =
            !unified && g >= FIRST_REGULAR_GROUP && g % 5 == 1 && self.profile() != Profile::Hardened;
        let created = self.created + Duration::days(ids::pick(s, "group-created", u64::from(g), 800) as i64);
        Some(json!({
            "id": object_id(s, "group", g).to_string(),
            "displayName": name,
            "description": description,
            "mail": if unified { json!(format!("{nickname}@{}", self.domain)) } else { Value::Null },
            "mailEnabled": unified,
            "mailNickname": nickname,
            "securityEnabled": !unified || g == GROUP_ALL_COMPANY,
            "groupTypes": group_types,
            "membershipRule": if dynamic { json!("(user.userType -eq \"Guest\")") } else { Value::Null },
            "membershipRuleProcessingState": if dynamic { json!("On") } else { Value::Null },
            "isAssignableToRole": if g == GROUP_TIER0 { json!(true) } else { Value::Null },
            "visibility": if unified { json!(if self.is_public(g) { "Public" } else { "Private" }) } else { Value::Null },
            "classification": Value::Null,
            "createdDateTime": iso(created),
            "renewedDateTime": iso(created),
            "expirationDateTime": Value::Null,
            "onPremisesSyncEnabled": if synced { json!(true) } else { Value::Null },
            "onPremisesLastSyncDateTime": if synced { json!(iso(self.epoch - Duration::minutes(37))) } else { Value::Null },
            "proxyAddresses": if unified { json!([format!("SMTP:{nickname}@{}", self.domain)]) } else { json!([]) },
            "securityIdentifier": format!("S-1-12-1-{}-{}", ids::hash3(s, "sid", u64::from(g)) as u32, g),
            "preferredDataLocation": Value::Null,
            "resourceProvisioningOptions": [],
            "resourceBehaviorOptions": [],
        }))
    }
}
