//! The platform's tables: logins, companies, memberships, custom roles,
//! invitations, API keys, sessions and login throttles.
//!
//! Every statement is written once in the SQL both backends accept (`$n`
//! placeholders, `ON CONFLICT`, `RETURNING`, row values) and run by
//! [`with_pool!`] or [`in_tx!`] on whichever backend is open. Values that name
//! or describe a person or company arrive sealed by the server; this module
//! stores bytes and never decides policy.

use crate::{Backend, Error, Result, Store};

/// Runs `$body` with `$p` bound to the open pool, whichever backend it is.
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite($p) => $body,
            Backend::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` inside one write transaction bound to `$tx` and commits it;
/// an early return (`?`) rolls it back. SQLite takes the write lock up front
/// (`BEGIN IMMEDIATE`) so a read-then-write never fails half-way.
macro_rules! in_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite(p) => {
                let mut $tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            Backend::Postgres(p) => {
                let mut $tx = p.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// Refuses a change that would leave `company_id` with no owner: removing
/// (`new_role` `None`) or re-roling membership `id` when it is the only owner.
/// A macro because it runs inside [`in_tx!`] on either backend's transaction.
macro_rules! guard_last_owner {
    ($tx:ident, $company_id:expr, $id:expr, $new_role:expr) => {
        if $new_role != Some(OWNER) {
            let role: Option<(String,)> =
                sqlx::query_as("SELECT role FROM membership WHERE company_id = $1 AND id = $2")
                    .bind($company_id)
                    .bind($id)
                    .fetch_optional(&mut *$tx)
                    .await?;
            if role.as_ref().is_some_and(|(r,)| r == OWNER) {
                let (owners,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM membership WHERE company_id = $1 AND role = $2",
                )
                .bind($company_id)
                .bind(OWNER)
                .fetch_one(&mut *$tx)
                .await?;
                if owners <= 1 {
                    return Err(Error::LastOwner);
                }
            }
        }
    };
}

/// One page of a company's rows of `$table` in creation order, after the
/// row with id `$page.after` (one extra row tells `has_more`). The SQL is
/// assembled from literals at compile time; only values are bound.
macro_rules! company_page {
    ($store:expr, $table:literal, $company_id:expr, $page:expr) => {
        Ok(with_pool!($store, |p| {
            sqlx::query_as(concat!(
                "SELECT * FROM ",
                $table,
                " WHERE company_id = $1 AND ($2 IS NULL OR (created_us, id) >
                   (SELECT created_us, id FROM ",
                $table,
                " WHERE company_id = $1 AND id = $2)) ORDER BY created_us, id LIMIT $3"
            ))
            .bind($company_id)
            .bind($page.after.as_deref())
            .bind($page.limit())
            .fetch_all(p)
            .await?
        }))
    };
}

/// The row of `$table` with id `$id`, only within company `$company_id`.
macro_rules! company_row {
    ($store:expr, $table:literal, $company_id:expr, $id:expr) => {
        Ok(with_pool!($store, |p| {
            sqlx::query_as(concat!(
                "SELECT * FROM ",
                $table,
                " WHERE company_id = $1 AND id = $2"
            ))
            .bind($company_id)
            .bind($id)
            .fetch_optional(p)
            .await?
        }))
    };
}

/// Largest page a list query returns.
pub const MAX_PAGE: i64 = 100;

/// A login (a person), across all companies.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Login {
    /// `log_…`.
    pub id: String,
    /// Blind index of the normalised e-mail address (exact-match lookup).
    pub email_index: Vec<u8>,
    /// The e-mail address, sealed.
    pub email_sealed: Vec<u8>,
    /// Argon2id PHC string.
    pub password_phc: String,
    /// The TOTP seed, sealed, once the second factor is confirmed.
    pub totp_sealed: Option<Vec<u8>>,
    /// The last accepted TOTP time step (replay guard).
    pub totp_last_step: Option<i64>,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
    /// Last successful login, µs since the epoch.
    pub last_login_us: Option<i64>,
    /// Set when the login was disabled.
    pub disabled_us: Option<i64>,
}

/// A company (tenant).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Company {
    /// `com_…`.
    pub id: String,
    /// The company name, sealed.
    pub name_sealed: Vec<u8>,
    /// Subscription tier name.
    pub tier: String,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
}

/// One login's membership of one company, with its role.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Membership {
    /// `mem_…`.
    pub id: String,
    /// The company.
    pub company_id: String,
    /// The login.
    pub login_id: String,
    /// A built-in role name or a custom role id (`rol_…`).
    pub role: String,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
}

/// A company's own role: a named set of permissions.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomRole {
    /// `rol_…`.
    pub id: String,
    /// The company that defined it.
    pub company_id: String,
    /// The role name, sealed.
    pub name_sealed: Vec<u8>,
    /// Permission names separated by single spaces.
    pub permissions: String,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
}

/// An invitation to join a company.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invitation {
    /// `ivt_…`.
    pub id: String,
    /// The inviting company.
    pub company_id: String,
    /// The invitee's e-mail address, sealed.
    pub email_sealed: Vec<u8>,
    /// The role the invitee gets.
    pub role: String,
    /// SHA-256 of the one-time invitation token.
    pub token_hash: Vec<u8>,
    /// The inviting login.
    pub invited_by: String,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
    /// Expiry, µs since the epoch.
    pub expires_us: i64,
    /// When it was accepted.
    pub accepted_us: Option<i64>,
}

/// An API key's stored form: never the key, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRecord {
    /// `key_…`.
    pub id: String,
    /// The company the key acts for.
    pub company_id: String,
    /// SHA-256 of the key.
    pub key_hash: Vec<u8>,
    /// The recognisable start of the key, for lists.
    pub hint: String,
    /// The key's name, sealed.
    pub name_sealed: Vec<u8>,
    /// Permission names separated by single spaces.
    pub scopes: String,
    /// The login that created it.
    pub created_by: String,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
    /// Last authenticated use.
    pub last_used_us: Option<i64>,
    /// Set when revoked.
    pub revoked_us: Option<i64>,
}

/// A browser session: only hashes of its token and CSRF token are stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    /// SHA-256 of the session token.
    pub token_hash: Vec<u8>,
    /// The login.
    pub login_id: String,
    /// SHA-256 of the session's CSRF token.
    pub csrf_hash: Vec<u8>,
    /// Creation time, µs since the epoch.
    pub created_us: i64,
    /// Last request, µs since the epoch (idle timeout).
    pub last_seen_us: i64,
    /// Absolute expiry, µs since the epoch.
    pub expires_us: i64,
}

/// Failed-login state of one subject (an account's blind index).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Consecutive failures.
    pub failures: i64,
    /// Locked until this time, µs since the epoch (0 when not locked).
    pub locked_until_us: i64,
}

/// A page request: at most `limit` rows after the row with id `after`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The id of the last row of the previous page.
    pub after: Option<String>,
    /// Rows wanted (clamped to 1..=[`MAX_PAGE`]); one more is read to tell `has_more`.
    pub limit: i64,
}

impl Page {
    fn limit(&self) -> i64 {
        self.limit.clamp(1, MAX_PAGE) + 1
    }
}

/// Filters of the company audit query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Exact action name.
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
    /// Entries at or after this time, µs.
    pub from_us: Option<i64>,
    /// Entries before this time, µs.
    pub to_us: Option<i64>,
    /// Entries after this sequence number (the cursor).
    pub after_seq: Option<i64>,
    /// Rows wanted (clamped to 1..=[`MAX_PAGE`]); one more is read.
    pub limit: i64,
}

/// Everything created with a new company, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCompany {
    /// The company row.
    pub company: Company,
    /// The founding owner's membership.
    pub owner: Membership,
    /// The company's wrapped data keys.
    pub keys: Vec<crate::NewKeyMaterial>,
}

fn flag(done: u64, what: &str) -> Result<()> {
    if done == 1 {
        Ok(())
    } else {
        Err(Error::NotFound(what.to_owned()))
    }
}

impl Store {
    /// Every wrapped data-key row of one company (or `instance`), oldest first.
    ///
    /// # Errors
    /// [`Error::Database`] or [`Error::Corrupt`].
    pub async fn data_key_rows(&self, company_id: &str) -> Result<Vec<crate::KeyMaterial>> {
        let rows: Vec<crate::key_material::KeyRow> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT id, kind, version, company_id, purpose, wrapped, created_us FROM key_material
                 WHERE kind = $1 AND company_id = $2 ORDER BY id",
            )
            .bind(crate::KeyKind::DEK)
            .bind(company_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(crate::key_material::from_row)
            .collect()
    }

    // ---- logins ----

    /// Stores a new login.
    ///
    /// # Errors
    /// [`Error::Conflict`] when the e-mail (its blind index) or the id exists.
    pub async fn create_login(&self, l: &Login) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO login (id, email_index, email_sealed, password_phc, totp_sealed,
                     totp_last_step, created_us, last_login_us, disabled_us)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&l.id)
            .bind(&l.email_index)
            .bind(&l.email_sealed)
            .bind(&l.password_phc)
            .bind(&l.totp_sealed)
            .bind(l.totp_last_step)
            .bind(l.created_us)
            .bind(l.last_login_us)
            .bind(l.disabled_us)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The login with this e-mail blind index.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn login_by_email_index(&self, index: &[u8]) -> Result<Option<Login>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM login WHERE email_index = $1")
                .bind(index)
                .fetch_optional(p)
                .await?
        }))
    }

    /// The login with this id.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn login(&self, id: &str) -> Result<Option<Login>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM login WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Replaces a login's password hash.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown login.
    pub async fn set_password(&self, login_id: &str, phc: &str) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE login SET password_phc = $2 WHERE id = $1")
                .bind(login_id)
                .bind(phc)
                .execute(p)
                .await?
                .rows_affected()
        });
        flag(done, "login")
    }

    /// Records a successful login.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown login.
    pub async fn touch_login(&self, login_id: &str, now_us: i64) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE login SET last_login_us = $2 WHERE id = $1")
                .bind(login_id)
                .bind(now_us)
                .execute(p)
                .await?
                .rows_affected()
        });
        flag(done, "login")
    }

    /// Sets (or with `None` removes) a login's sealed TOTP seed; resets the replay guard.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown login.
    pub async fn set_totp(&self, login_id: &str, sealed: Option<&[u8]>) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE login SET totp_sealed = $2, totp_last_step = NULL WHERE id = $1")
                .bind(login_id)
                .bind(sealed)
                .execute(p)
                .await?
                .rows_affected()
        });
        flag(done, "login")
    }

    /// Records `step` as the last used TOTP step, only if it is newer than the
    /// stored one: `false` means the code was used already (a replay).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn use_totp_step(&self, login_id: &str, step: i64) -> Result<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE login SET totp_last_step = $2
                 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(login_id)
            .bind(step)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(done == 1)
    }

    /// Disables a login (it can no longer sign in) and ends its sessions.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown login.
    pub async fn disable_login(&self, login_id: &str, now_us: i64) -> Result<()> {
        let done = in_tx!(self, |tx| {
            let n = sqlx::query("UPDATE login SET disabled_us = $2 WHERE id = $1")
                .bind(login_id)
                .bind(now_us)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM session WHERE login_id = $1")
                .bind(login_id)
                .execute(&mut *tx)
                .await?;
            n
        });
        flag(done, "login")
    }

    // ---- companies ----

    /// Creates a company, its founding owner's membership and its data keys atomically.
    ///
    /// # Errors
    /// [`Error::Conflict`] for a repeated id; nothing is stored on any error.
    pub async fn create_company(&self, new: &NewCompany) -> Result<()> {
        for k in &new.keys {
            k.check()?;
        }
        let c = &new.company;
        let m = &new.owner;
        in_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO company (id, name_sealed, tier, created_us) VALUES ($1, $2, $3, $4)",
            )
            .bind(&c.id)
            .bind(&c.name_sealed)
            .bind(&c.tier)
            .bind(c.created_us)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO membership (id, company_id, login_id, role, created_us)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&m.id)
            .bind(&m.company_id)
            .bind(&m.login_id)
            .bind(&m.role)
            .bind(m.created_us)
            .execute(&mut *tx)
            .await?;
            for k in &new.keys {
                sqlx::query(
                    "INSERT INTO key_material (kind, version, company_id, purpose, wrapped, created_us)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(k.kind.as_str())
                .bind(i64::from(k.version))
                .bind(k.company_id.as_deref())
                .bind(&k.purpose)
                .bind(&k.wrapped)
                .bind(k.created_us()?)
                .execute(&mut *tx)
                .await?;
            }
        });
        Ok(())
    }

    /// The company with this id.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn company(&self, id: &str) -> Result<Option<Company>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM company WHERE id = $1")
                .bind(id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Replaces a company's sealed name.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown company.
    pub async fn set_company_name(&self, id: &str, name_sealed: &[u8]) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE company SET name_sealed = $2 WHERE id = $1")
                .bind(id)
                .bind(name_sealed)
                .execute(p)
                .await?
                .rows_affected()
        });
        flag(done, "company")
    }

    /// Changes a company's subscription tier.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown company.
    pub async fn set_company_tier(&self, id: &str, tier: &str) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE company SET tier = $2 WHERE id = $1")
                .bind(id)
                .bind(tier)
                .execute(p)
                .await?
                .rows_affected()
        });
        flag(done, "company")
    }

    // ---- memberships ----

    /// Adds a membership, refusing it when the company would exceed `max_members`.
    ///
    /// # Errors
    /// [`Error::Conflict`] when the login is a member already, [`Error::Limit`]
    /// when the company has `max_members` members already.
    pub async fn add_membership(&self, m: &Membership, max_members: Option<i64>) -> Result<()> {
        in_tx!(self, |tx| {
            if let Some(max) = max_members {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM membership WHERE company_id = $1")
                        .bind(&m.company_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if n >= max {
                    return Err(Error::Limit(format!("members ({max})")));
                }
            }
            sqlx::query(
                "INSERT INTO membership (id, company_id, login_id, role, created_us)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&m.id)
            .bind(&m.company_id)
            .bind(&m.login_id)
            .bind(&m.role)
            .bind(m.created_us)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The membership of `login_id` in `company_id`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn membership_of(
        &self,
        company_id: &str,
        login_id: &str,
    ) -> Result<Option<Membership>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM membership WHERE company_id = $1 AND login_id = $2")
                .bind(company_id)
                .bind(login_id)
                .fetch_optional(p)
                .await?
        }))
    }

    /// A membership by id, only within `company_id`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn membership(&self, company_id: &str, id: &str) -> Result<Option<Membership>> {
        company_row!(self, "membership", company_id, id)
    }

    /// Every membership of a login, oldest first.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn memberships_of_login(&self, login_id: &str) -> Result<Vec<Membership>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM membership WHERE login_id = $1 ORDER BY created_us, id")
                .bind(login_id)
                .fetch_all(p)
                .await?
        }))
    }

    /// A page of a company's memberships in creation order (one extra row tells `has_more`).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn memberships(&self, company_id: &str, page: &Page) -> Result<Vec<Membership>> {
        company_page!(self, "membership", company_id, page)
    }

    /// Changes a member's role, refusing to demote the company's last owner.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::LastOwner`].
    pub async fn set_membership_role(&self, company_id: &str, id: &str, role: &str) -> Result<()> {
        in_tx!(self, |tx| {
            guard_last_owner!(tx, company_id, id, Some(role));
            let n =
                sqlx::query("UPDATE membership SET role = $3 WHERE company_id = $1 AND id = $2")
                    .bind(company_id)
                    .bind(id)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            flag(n, "membership")?;
        });
        Ok(())
    }

    /// Off-boards a member at once: removes the membership, revokes every API key
    /// the login created in the company and ends every session of the login.
    /// Returns the ids of the revoked keys.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::LastOwner`] for the company's last owner.
    pub async fn remove_membership(
        &self,
        company_id: &str,
        id: &str,
        now_us: i64,
    ) -> Result<Vec<String>> {
        Ok(in_tx!(self, |tx| {
            guard_last_owner!(tx, company_id, id, None::<&str>);
            let m: Option<Membership> =
                sqlx::query_as("SELECT * FROM membership WHERE company_id = $1 AND id = $2")
                    .bind(company_id)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let m = m.ok_or_else(|| Error::NotFound("membership".to_owned()))?;
            sqlx::query("DELETE FROM membership WHERE id = $1")
                .bind(&m.id)
                .execute(&mut *tx)
                .await?;
            let revoked: Vec<(String,)> = sqlx::query_as(
                "UPDATE api_key SET revoked_us = $3
                 WHERE company_id = $1 AND created_by = $2 AND revoked_us IS NULL RETURNING id",
            )
            .bind(company_id)
            .bind(&m.login_id)
            .bind(now_us)
            .fetch_all(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM session WHERE login_id = $1")
                .bind(&m.login_id)
                .execute(&mut *tx)
                .await?;
            revoked.into_iter().map(|(id,)| id).collect()
        }))
    }

    /// Members holding `role` in a company.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn count_role(&self, company_id: &str, role: &str) -> Result<i64> {
        let (n,): (i64,) = with_pool!(self, |p| {
            sqlx::query_as("SELECT COUNT(*) FROM membership WHERE company_id = $1 AND role = $2")
                .bind(company_id)
                .bind(role)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    // ---- custom roles ----

    /// Stores a company's custom role.
    ///
    /// # Errors
    /// [`Error::Conflict`] for a repeated id.
    pub async fn create_role(&self, r: &CustomRole) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO custom_role (id, company_id, name_sealed, permissions, created_us)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&r.id)
            .bind(&r.company_id)
            .bind(&r.name_sealed)
            .bind(&r.permissions)
            .bind(r.created_us)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// A custom role by id, only within `company_id`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn role(&self, company_id: &str, id: &str) -> Result<Option<CustomRole>> {
        company_row!(self, "custom_role", company_id, id)
    }

    /// A page of a company's custom roles.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn roles(&self, company_id: &str, page: &Page) -> Result<Vec<CustomRole>> {
        company_page!(self, "custom_role", company_id, page)
    }

    /// Replaces a custom role's name and permissions.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    pub async fn update_role(&self, r: &CustomRole) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE custom_role SET name_sealed = $3, permissions = $4
                 WHERE company_id = $1 AND id = $2",
            )
            .bind(&r.company_id)
            .bind(&r.id)
            .bind(&r.name_sealed)
            .bind(&r.permissions)
            .execute(p)
            .await?
            .rows_affected()
        });
        flag(done, "role")
    }

    /// Deletes a custom role that no member and no invitation holds.
    ///
    /// # Errors
    /// [`Error::NotFound`], or [`Error::InUse`] while a member holds it.
    pub async fn delete_role(&self, company_id: &str, id: &str) -> Result<()> {
        in_tx!(self, |tx| {
            let (n,): (i64,) = sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM membership WHERE company_id = $1 AND role = $2)
                      + (SELECT COUNT(*) FROM invitation WHERE company_id = $1 AND role = $2
                           AND accepted_us IS NULL)",
            )
            .bind(company_id)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if n > 0 {
                return Err(Error::InUse(format!(
                    "role is held by {n} members or invitations"
                )));
            }
            let done = sqlx::query("DELETE FROM custom_role WHERE company_id = $1 AND id = $2")
                .bind(company_id)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            flag(done, "role")?;
        });
        Ok(())
    }

    // ---- invitations ----

    /// Stores an invitation.
    ///
    /// # Errors
    /// [`Error::Conflict`] for a repeated id or token.
    pub async fn create_invitation(&self, i: &Invitation) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO invitation (id, company_id, email_sealed, role, token_hash, invited_by,
                     created_us, expires_us, accepted_us)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&i.id)
            .bind(&i.company_id)
            .bind(&i.email_sealed)
            .bind(&i.role)
            .bind(&i.token_hash)
            .bind(&i.invited_by)
            .bind(i.created_us)
            .bind(i.expires_us)
            .bind(i.accepted_us)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The invitation with this token hash.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn invitation_by_token(&self, token_hash: &[u8]) -> Result<Option<Invitation>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM invitation WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(p)
                .await?
        }))
    }

    /// An invitation by id, only within `company_id`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn invitation(&self, company_id: &str, id: &str) -> Result<Option<Invitation>> {
        company_row!(self, "invitation", company_id, id)
    }

    /// A page of a company's invitations.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn invitations(&self, company_id: &str, page: &Page) -> Result<Vec<Invitation>> {
        company_page!(self, "invitation", company_id, page)
    }

    /// Withdraws an open invitation.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such open invitation.
    pub async fn delete_invitation(&self, company_id: &str, id: &str) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "DELETE FROM invitation WHERE company_id = $1 AND id = $2 AND accepted_us IS NULL",
            )
            .bind(company_id)
            .bind(id)
            .execute(p)
            .await?
            .rows_affected()
        });
        flag(done, "invitation")
    }

    /// Accepts an invitation: marks it used (once) and adds the membership, atomically.
    ///
    /// # Errors
    /// [`Error::NotFound`] when it was accepted already or is gone,
    /// [`Error::Conflict`] when the login is a member already, [`Error::Limit`].
    pub async fn accept_invitation(
        &self,
        invitation_id: &str,
        m: &Membership,
        now_us: i64,
        max_members: Option<i64>,
    ) -> Result<()> {
        in_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE invitation SET accepted_us = $2
                 WHERE id = $1 AND accepted_us IS NULL AND expires_us > $2",
            )
            .bind(invitation_id)
            .bind(now_us)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            flag(n, "invitation")?;
            if let Some(max) = max_members {
                let (count,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM membership WHERE company_id = $1")
                        .bind(&m.company_id)
                        .fetch_one(&mut *tx)
                        .await?;
                if count >= max {
                    return Err(Error::Limit(format!("members ({max})")));
                }
            }
            sqlx::query(
                "INSERT INTO membership (id, company_id, login_id, role, created_us)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&m.id)
            .bind(&m.company_id)
            .bind(&m.login_id)
            .bind(&m.role)
            .bind(m.created_us)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    // ---- API keys ----

    /// Stores a new API key record.
    ///
    /// # Errors
    /// [`Error::Conflict`] for a repeated id or hash.
    pub async fn create_api_key(&self, k: &ApiKeyRecord) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO api_key (id, company_id, key_hash, hint, name_sealed, scopes, created_by,
                     created_us, last_used_us, revoked_us)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&k.id)
            .bind(&k.company_id)
            .bind(&k.key_hash)
            .bind(&k.hint)
            .bind(&k.name_sealed)
            .bind(&k.scopes)
            .bind(&k.created_by)
            .bind(k.created_us)
            .bind(k.last_used_us)
            .bind(k.revoked_us)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The unrevoked key with this hash.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn api_key_by_hash(&self, hash: &[u8]) -> Result<Option<ApiKeyRecord>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM api_key WHERE key_hash = $1 AND revoked_us IS NULL")
                .bind(hash)
                .fetch_optional(p)
                .await?
        }))
    }

    /// A key by id, only within `company_id` (revoked ones included).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn api_key(&self, company_id: &str, id: &str) -> Result<Option<ApiKeyRecord>> {
        company_row!(self, "api_key", company_id, id)
    }

    /// A page of a company's keys (revoked ones included).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn api_keys(&self, company_id: &str, page: &Page) -> Result<Vec<ApiKeyRecord>> {
        company_page!(self, "api_key", company_id, page)
    }

    /// Revokes a key.
    ///
    /// # Errors
    /// [`Error::NotFound`] when there is no such unrevoked key in the company.
    pub async fn revoke_api_key(&self, company_id: &str, id: &str, now_us: i64) -> Result<()> {
        let done = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE api_key SET revoked_us = $3
                 WHERE company_id = $1 AND id = $2 AND revoked_us IS NULL",
            )
            .bind(company_id)
            .bind(id)
            .bind(now_us)
            .execute(p)
            .await?
            .rows_affected()
        });
        flag(done, "api key")
    }

    /// Records a key's use.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn touch_api_key(&self, id: &str, now_us: i64) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE api_key SET last_used_us = $2 WHERE id = $1")
                .bind(id)
                .bind(now_us)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    // ---- sessions ----

    /// Stores a new session.
    ///
    /// # Errors
    /// [`Error::Conflict`] for a repeated token.
    pub async fn create_session(&self, s: &Session) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO session (token_hash, login_id, csrf_hash, created_us, last_seen_us, expires_us)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&s.token_hash)
            .bind(&s.login_id)
            .bind(&s.csrf_hash)
            .bind(s.created_us)
            .bind(s.last_seen_us)
            .bind(s.expires_us)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The session with this token hash.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn session(&self, token_hash: &[u8]) -> Result<Option<Session>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT * FROM session WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(p)
                .await?
        }))
    }

    /// Records activity on a session (the idle timeout counts from here).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn touch_session(&self, token_hash: &[u8], now_us: i64) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE session SET last_seen_us = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now_us)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Ends one session.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("DELETE FROM session WHERE token_hash = $1")
                .bind(token_hash)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of a login except `keep`; returns how many ended.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn delete_sessions_of(&self, login_id: &str, keep: Option<&[u8]>) -> Result<u64> {
        Ok(with_pool!(self, |p| {
            sqlx::query(
                "DELETE FROM session WHERE login_id = $1 AND ($2 IS NULL OR token_hash <> $2)",
            )
            .bind(login_id)
            .bind(keep)
            .execute(p)
            .await?
            .rows_affected()
        }))
    }

    // ---- login throttle ----

    /// The throttle state of a subject, if it has failures on record.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn throttle(&self, subject: &[u8]) -> Result<Option<Throttle>> {
        let row: Option<(i64, i64)> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT failures, locked_until_us FROM login_throttle WHERE subject = $1",
            )
            .bind(subject)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(|(failures, locked_until_us)| Throttle {
            failures,
            locked_until_us,
        }))
    }

    /// Counts one more failure for a subject atomically and returns the new count.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn record_login_failure(&self, subject: &[u8], now_us: i64) -> Result<i64> {
        let (n,): (i64,) = with_pool!(self, |p| {
            sqlx::query_as(
                "INSERT INTO login_throttle (subject, failures, locked_until_us, updated_us)
                 VALUES ($1, 1, 0, $2)
                 ON CONFLICT (subject) DO UPDATE
                   SET failures = login_throttle.failures + 1, updated_us = $2
                 RETURNING failures",
            )
            .bind(subject)
            .bind(now_us)
            .fetch_one(p)
            .await?
        });
        Ok(n)
    }

    /// Locks a subject until `until_us`.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn lock_login(&self, subject: &[u8], until_us: i64) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE login_throttle SET locked_until_us = $2 WHERE subject = $1")
                .bind(subject)
                .bind(until_us)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Forgets a subject's failures (after a successful login).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn clear_login_failures(&self, subject: &[u8]) -> Result<()> {
        with_pool!(self, |p| {
            sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
                .bind(subject)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    // ---- audit queries ----

    /// A page of one company's audit entries, oldest first, with filters.
    ///
    /// # Errors
    /// [`Error::Database`] or [`Error::Corrupt`].
    pub async fn company_audit(
        &self,
        company_id: &str,
        f: &AuditFilter,
    ) -> Result<Vec<faktura_audit::Entry>> {
        let rows: Vec<crate::audit::EntryRow> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT seq, time_us, company, actor, action, target, outcome, request_id, source,
                        details, prev_hash, entry_hash
                 FROM audit_entry
                 WHERE company = $1
                   AND ($2 IS NULL OR action = $2)
                   AND ($3 IS NULL OR actor = $3)
                   AND ($4 IS NULL OR time_us >= $4)
                   AND ($5 IS NULL OR time_us < $5)
                   AND ($6 IS NULL OR seq > $6)
                 ORDER BY seq LIMIT $7",
            )
            .bind(company_id)
            .bind(f.action.as_deref())
            .bind(f.actor.as_deref())
            .bind(f.from_us)
            .bind(f.to_us)
            .bind(f.after_seq)
            .bind(f.limit.clamp(1, MAX_PAGE) + 1)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                crate::audit::entry_from_row(r)
                    .map_err(|b| Error::Corrupt(format!("audit entry: {b}")))
            })
            .collect()
    }
}

/// The built-in role that must always have at least one member.
pub const OWNER: &str = "owner";

// ---- members (queries added with the members, invitations and roles handlers) ----

impl Store {
    /// The logins of the members holding `role` in a company (to end their
    /// sessions when the role's permissions change).
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn logins_with_role(&self, company_id: &str, role: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT login_id FROM membership WHERE company_id = $1 AND role = $2
                 ORDER BY created_us, id",
            )
            .bind(company_id)
            .bind(role)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// How many members a company has.
    ///
    /// # Errors
    /// [`Error::Database`].
    pub async fn member_count(&self, company_id: &str) -> Result<i64> {
        let (n,): (i64,) = with_pool!(self, |p| {
            sqlx::query_as("SELECT COUNT(*) FROM membership WHERE company_id = $1")
                .bind(company_id)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }
}

/// Creates the PostgreSQL schema `name` (if missing) in the database at
/// `url`, so that several instances or test runs can share one database,
/// each selecting its own schema with `?options[search_path]=name`.
///
/// # Errors
/// [`Error::Invalid`] unless `name` is 1-63 characters of `a-z`, `0-9` and
/// `_` starting with a letter; [`Error::Open`] (naming no URL, which may
/// carry a password) or [`Error::Database`].
pub async fn create_postgres_schema(url: &str, name: &str) -> Result<()> {
    use sqlx::Connection as _;
    let valid = name.len() <= 63
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid {
        return Err(Error::Invalid(format!(
            "schema name `{}` must be 1-63 characters of a-z, 0-9 and _, starting with a letter",
            name.chars().take(70).collect::<String>()
        )));
    }
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| Error::Open {
            what: "the PostgreSQL server".into(),
            reason: e.to_string(),
        })?;
    // INVARIANT: `name` was checked above to be a plain identifier (DDL takes no parameters).
    sqlx::raw_sql(&format!("CREATE SCHEMA IF NOT EXISTS {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(())
}
