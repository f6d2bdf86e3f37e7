//! The authorisation model as data: permissions, the built-in roles, the
//! subscription tiers with their features and limits. The per-route table
//! that uses them is in `router.rs`, next to the routes.

use std::collections::BTreeSet;

use crate::error::{Error, Result};

/// A fine-grained permission (SECURITY-MODEL §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Permission {
    /// See the company's profile.
    CompanyRead,
    /// Change the company's profile and settings.
    SettingsManage,
    /// Change the subscription tier.
    BillingManage,
    /// List members, invitations and roles.
    MemberRead,
    /// Invite, re-role and remove members; define custom roles.
    MemberManage,
    /// Create, list and revoke API keys.
    ApikeyManage,
    /// Read the company's audit trail.
    AuditRead,
    /// Produce the access review report.
    AccessReview,
    /// Read invoices.
    InvoiceRead,
    /// Create and edit draft invoices.
    InvoiceCreate,
    /// Issue invoices (they become immutable).
    InvoiceIssue,
    /// Send invoices.
    InvoiceSend,
    /// Read customers.
    CustomerRead,
    /// Create and change customers.
    CustomerWrite,
}

impl Permission {
    /// Every permission, in a stable order.
    pub(crate) const ALL: [Self; 14] = [
        Self::CompanyRead,
        Self::SettingsManage,
        Self::BillingManage,
        Self::MemberRead,
        Self::MemberManage,
        Self::ApikeyManage,
        Self::AuditRead,
        Self::AccessReview,
        Self::InvoiceRead,
        Self::InvoiceCreate,
        Self::InvoiceIssue,
        Self::InvoiceSend,
        Self::CustomerRead,
        Self::CustomerWrite,
    ];

    /// The stable wire name, e.g. `member.manage`.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::CompanyRead => "company.read",
            Self::SettingsManage => "settings.manage",
            Self::BillingManage => "billing.manage",
            Self::MemberRead => "member.read",
            Self::MemberManage => "member.manage",
            Self::ApikeyManage => "apikey.manage",
            Self::AuditRead => "audit.read",
            Self::AccessReview => "access.review",
            Self::InvoiceRead => "invoice.read",
            Self::InvoiceCreate => "invoice.create",
            Self::InvoiceIssue => "invoice.issue",
            Self::InvoiceSend => "invoice.send",
            Self::CustomerRead => "customer.read",
            Self::CustomerWrite => "customer.write",
        }
    }

    /// The permission with wire name `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

/// A set of permissions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Permissions(BTreeSet<Permission>);

impl Permissions {
    /// Whether `p` is in the set.
    pub(crate) fn has(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }

    /// The permissions in both sets.
    pub(crate) fn intersect(&self, other: &Self) -> Self {
        Self(self.0.intersection(&other.0).copied().collect())
    }

    /// Whether every permission of `self` is in `other`.
    pub(crate) fn is_subset(&self, other: &Self) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Wire names, sorted.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|p| p.as_str()).collect()
    }

    /// The stored form: wire names separated by single spaces.
    pub(crate) fn to_stored(&self) -> String {
        self.names().join(" ")
    }

    /// Reads the stored form; unknown names (from a newer version) are skipped.
    pub(crate) fn from_stored(stored: &str) -> Self {
        Self(stored.split(' ').filter_map(Permission::parse).collect())
    }

    /// Parses names given by a client, refusing unknown ones and empty sets.
    ///
    /// # Errors
    /// [`Error::Unprocessable`] naming the first unknown permission.
    pub(crate) fn from_request(names: &[String], field: &str) -> Result<Self> {
        let mut set = BTreeSet::new();
        for name in names {
            let p = Permission::parse(name).ok_or_else(|| {
                Error::Unprocessable(format!(
                    "{field}: unknown permission `{}`; known: {}",
                    name.chars().take(64).collect::<String>(),
                    Permission::ALL.map(Permission::as_str).join(", ")
                ))
            })?;
            set.insert(p);
        }
        if set.is_empty() {
            return Err(Error::Unprocessable(format!(
                "{field}: name at least one permission"
            )));
        }
        Ok(Self(set))
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

/// The built-in roles, the same in every company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BuiltinRole {
    /// Everything, including billing; a company always keeps one.
    Owner,
    /// Everything but billing.
    Admin,
    /// Invoices and customers end to end.
    Accountant,
    /// Drafts invoices and keeps customers.
    Clerk,
    /// Reads invoices, customers and members.
    Viewer,
    /// Reads everything, including the audit trail and the access review.
    Auditor,
}

impl BuiltinRole {
    /// Every built-in role.
    pub(crate) const ALL: [Self; 6] = [
        Self::Owner,
        Self::Admin,
        Self::Accountant,
        Self::Clerk,
        Self::Viewer,
        Self::Auditor,
    ];

    /// The wire name, also the stored role of a membership.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Accountant => "accountant",
            Self::Clerk => "clerk",
            Self::Viewer => "viewer",
            Self::Auditor => "auditor",
        }
    }

    /// The built-in role named `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The role's permissions: this table is the whole definition.
    pub(crate) fn permissions(self) -> Permissions {
        use Permission as P;
        match self {
            Self::Owner => P::ALL.into_iter().collect(),
            Self::Admin => P::ALL
                .into_iter()
                .filter(|p| *p != P::BillingManage)
                .collect(),
            Self::Accountant => [
                P::CompanyRead,
                P::MemberRead,
                P::InvoiceRead,
                P::InvoiceCreate,
                P::InvoiceIssue,
                P::InvoiceSend,
                P::CustomerRead,
                P::CustomerWrite,
            ]
            .into_iter()
            .collect(),
            Self::Clerk => [
                P::CompanyRead,
                P::InvoiceRead,
                P::InvoiceCreate,
                P::CustomerRead,
                P::CustomerWrite,
            ]
            .into_iter()
            .collect(),
            Self::Viewer => [
                P::CompanyRead,
                P::MemberRead,
                P::InvoiceRead,
                P::CustomerRead,
            ]
            .into_iter()
            .collect(),
            Self::Auditor => [
                P::CompanyRead,
                P::MemberRead,
                P::InvoiceRead,
                P::CustomerRead,
                P::AuditRead,
                P::AccessReview,
            ]
            .into_iter()
            .collect(),
        }
    }
}

/// A feature that a subscription tier switches on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Feature {
    /// Programs may authenticate with API keys, and keys may be managed.
    ApiAccess,
    /// The company may define its own roles.
    CustomRoles,
}

impl Feature {
    /// The wire name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::ApiAccess => "api_access",
            Self::CustomRoles => "custom_roles",
        }
    }
}

/// A company's subscription tier.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Tier {
    /// Up to 3 members, web only.
    Free,
    /// Up to 25 members, API keys, custom roles.
    Business,
    /// No member limit, every feature.
    Enterprise,
}

impl Tier {
    /// Every tier, cheapest first.
    pub(crate) const ALL: [Self; 3] = [Self::Free, Self::Business, Self::Enterprise];

    /// The wire and stored name.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Business => "business",
            Self::Enterprise => "enterprise",
        }
    }

    /// The tier named `name`.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether the tier includes `feature`: this table is the whole definition.
    pub(crate) const fn has(self, feature: Feature) -> bool {
        match (self, feature) {
            (Self::Free, Feature::ApiAccess | Feature::CustomRoles) => false,
            (Self::Business | Self::Enterprise, Feature::ApiAccess | Feature::CustomRoles) => true,
        }
    }

    /// Most members a company of this tier may have.
    pub(crate) const fn max_members(self) -> Option<i64> {
        match self {
            Self::Free => Some(3),
            Self::Business => Some(25),
            Self::Enterprise => None,
        }
    }

    /// The cheapest tier that has `feature`, for the error message.
    pub(crate) fn cheapest_with(feature: Feature) -> Self {
        Self::ALL
            .into_iter()
            .find(|t| t.has(feature))
            .unwrap_or(Self::Enterprise)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        for r in BuiltinRole::ALL {
            assert_eq!(BuiltinRole::parse(r.as_str()), Some(r));
        }
        for t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn roles_nest_as_documented() {
        let owner = BuiltinRole::Owner.permissions();
        for r in BuiltinRole::ALL {
            assert!(r.permissions().is_subset(&owner), "{r:?}");
            assert!(r.permissions().has(Permission::CompanyRead), "{r:?}");
        }
        assert!(
            !BuiltinRole::Admin
                .permissions()
                .has(Permission::BillingManage)
        );
        assert!(
            !BuiltinRole::Viewer
                .permissions()
                .has(Permission::InvoiceCreate)
        );
        assert!(
            BuiltinRole::Auditor
                .permissions()
                .has(Permission::AuditRead)
        );
        assert!(
            !BuiltinRole::Accountant
                .permissions()
                .has(Permission::AuditRead)
        );
    }

    #[test]
    fn stored_form_round_trips_and_skips_unknown() {
        let p = BuiltinRole::Clerk.permissions();
        assert_eq!(Permissions::from_stored(&p.to_stored()), p);
        assert_eq!(
            Permissions::from_stored("invoice.read future.thing"),
            [Permission::InvoiceRead].into_iter().collect()
        );
    }
}
