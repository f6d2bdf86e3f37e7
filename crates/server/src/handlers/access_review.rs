//! `/api/v1/access-review`: who can do what in the company (SECURITY-MODEL
//! §9) — every member with role, permissions, last sign-in and second
//! factor, and every API key with scopes and last use — as JSON or as a CSV
//! file for periodic review.
//!
//! CSV cells are quoted per RFC 4180, and a cell that a spreadsheet would
//! read as a formula (starting with `=`, `+`, `-`, `@`, tab, carriage return
//! or NUL) is prefixed with `'` (SECURITY-TESTS M07). Reading the report is
//! not audited (it changes nothing).

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse as _, Response};
use faktura_store::platform::{ApiKeyRecord, MAX_PAGE, Membership, Page};
use serde::{Deserialize, Serialize};

use super::api_keys::{key_name, scope_names};
use super::me::login_email;
use super::{Params, rfc3339};
use crate::auth::{CompanyCtx, now_us, role_permissions};
use crate::error::{Error, Problem, Result};
use crate::state::AppState;

/// `?format=`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReviewParams {
    /// `json` (default) or `csv`; `Accept: text/csv` also asks for CSV.
    format: Option<String>,
}

/// The access review report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AccessReview {
    /// `com_…`.
    company_id: String,
    /// When the report was made (RFC 3339).
    generated_at: String,
    /// Every member.
    members: Vec<ReviewMember>,
    /// Every API key, revoked ones included.
    api_keys: Vec<ReviewKey>,
}

/// One member in the report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ReviewMember {
    /// `mem_…`.
    membership_id: String,
    /// `log_…`.
    login_id: String,
    /// E-mail address.
    email: String,
    /// Built-in role name or custom role id.
    role: String,
    /// What the role grants.
    permissions: Vec<String>,
    /// Last successful sign-in (RFC 3339), if any.
    last_login_at: Option<String>,
    /// Whether the login has a second factor.
    totp_enabled: bool,
}

/// One API key in the report.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ReviewKey {
    /// `key_…`.
    id: String,
    /// The key's name.
    name: String,
    /// Its scopes.
    scopes: Vec<String>,
    /// The login that created it.
    created_by: String,
    /// Creation time (RFC 3339).
    created_at: String,
    /// Last use (RFC 3339), if any.
    last_used_at: Option<String>,
    /// Revocation time (RFC 3339), if revoked.
    revoked_at: Option<String>,
}

/// Every membership of the company, page by page.
async fn all_memberships(state: &AppState, company: &str) -> Result<Vec<Membership>> {
    let mut out: Vec<Membership> = Vec::new();
    loop {
        let page = Page {
            after: out.last().map(|m| m.id.clone()),
            limit: MAX_PAGE,
        };
        let mut rows = state.store.memberships(company, &page).await?;
        let more = rows.len() > usize::try_from(MAX_PAGE).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(MAX_PAGE).unwrap_or(usize::MAX));
        let empty = rows.is_empty();
        out.extend(rows);
        if !more || empty {
            return Ok(out);
        }
    }
}

/// Every API key of the company, page by page.
async fn all_keys(state: &AppState, company: &str) -> Result<Vec<ApiKeyRecord>> {
    let mut out: Vec<ApiKeyRecord> = Vec::new();
    loop {
        let page = Page {
            after: out.last().map(|k| k.id.clone()),
            limit: MAX_PAGE,
        };
        let mut rows = state.store.api_keys(company, &page).await?;
        let more = rows.len() > usize::try_from(MAX_PAGE).unwrap_or(usize::MAX);
        rows.truncate(usize::try_from(MAX_PAGE).unwrap_or(usize::MAX));
        let empty = rows.is_empty();
        out.extend(rows);
        if !more || empty {
            return Ok(out);
        }
    }
}

async fn build(state: &AppState, ctx: &CompanyCtx) -> Result<AccessReview> {
    let company = ctx.company.id.as_str();
    let mut members = Vec::new();
    for m in all_memberships(state, company).await? {
        let login = state
            .store
            .login(&m.login_id)
            .await?
            .ok_or_else(|| Error::Internal(format!("membership {} has no login", m.id)))?;
        let permissions = role_permissions(state, company, &m)
            .await?
            .names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        members.push(ReviewMember {
            email: login_email(state, &login).await?,
            last_login_at: login.last_login_us.map(rfc3339),
            totp_enabled: login.totp_sealed.is_some(),
            membership_id: m.id,
            login_id: m.login_id,
            role: m.role,
            permissions,
        });
    }
    let mut api_keys = Vec::new();
    for k in all_keys(state, company).await? {
        api_keys.push(ReviewKey {
            name: key_name(state, &k).await?,
            scopes: scope_names(&k),
            created_at: rfc3339(k.created_us),
            last_used_at: k.last_used_us.map(rfc3339),
            revoked_at: k.revoked_us.map(rfc3339),
            id: k.id,
            created_by: k.created_by,
        });
    }
    Ok(AccessReview {
        company_id: company.to_owned(),
        generated_at: rfc3339(now_us()),
        members,
        api_keys,
    })
}

/// Whether the caller asked for CSV.
fn wants_csv(params: &ReviewParams, headers: &HeaderMap) -> Result<bool> {
    match params.format.as_deref() {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(Error::BadRequest(
            "`format`: `json` (the default) or `csv`".into(),
        )),
        None => Ok(headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
            })),
    }
}

/// One CSV cell: formula-looking text defused with a leading `'`, then
/// RFC 4180 quoting when the cell holds a comma, quote or line break.
pub(crate) fn csv_cell(raw: &str) -> String {
    let mut cell = String::with_capacity(raw.len() + 3);
    if raw.starts_with(['=', '+', '-', '@', '\t', '\r', '\0']) {
        cell.push('\'');
    }
    cell.push_str(raw);
    if cell.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell
    }
}

/// The columns of the CSV form; a member and a key each fill their own.
const CSV_HEADER: [&str; 12] = [
    "kind",
    "id",
    "login_id",
    "email",
    "name",
    "role",
    "permissions",
    "totp_enabled",
    "created_by",
    "created_at",
    "last_used_at",
    "revoked_at",
];

fn csv_line(out: &mut String, cells: &[&str]) {
    let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// The report as one CSV table: a row per member (`kind` = `member`,
/// `last_used_at` = last sign-in), then a row per key (`kind` = `api_key`,
/// `permissions` = scopes, `login_id` = its creator).
pub(crate) fn to_csv(r: &AccessReview) -> String {
    let mut out = String::new();
    csv_line(&mut out, &CSV_HEADER);
    for m in &r.members {
        let permissions = m.permissions.join(" ");
        csv_line(
            &mut out,
            &[
                "member",
                &m.membership_id,
                &m.login_id,
                &m.email,
                "",
                &m.role,
                &permissions,
                if m.totp_enabled { "true" } else { "false" },
                "",
                "",
                m.last_login_at.as_deref().unwrap_or(""),
                "",
            ],
        );
    }
    for k in &r.api_keys {
        let scopes = k.scopes.join(" ");
        csv_line(
            &mut out,
            &[
                "api_key",
                &k.id,
                &k.created_by,
                "",
                &k.name,
                "",
                &scopes,
                "",
                &k.created_by,
                &k.created_at,
                k.last_used_at.as_deref().unwrap_or(""),
                k.revoked_at.as_deref().unwrap_or(""),
            ],
        );
    }
    out
}

/// The access review of the company: JSON, or CSV with `?format=csv` or
/// `Accept: text/csv`.
#[utoipa::path(get, path = "/api/v1/access-review", tag = "access-review",
    params(ReviewParams),
    responses(
        (status = 200, description = "The report (JSON, or a CSV attachment)", body = AccessReview),
        (status = 400, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Without `access.review`", body = Problem, content_type = "application/problem+json")))]
pub(crate) async fn report(
    State(state): State<AppState>,
    Extension(ctx): Extension<CompanyCtx>,
    headers: HeaderMap,
    Params(params): Params<ReviewParams>,
) -> Result<Response> {
    let csv = wants_csv(&params, &headers)?;
    let review = build(&state, &ctx).await?;
    if !csv {
        return Ok(axum::Json(review).into_response());
    }
    // Company ids are `com_` and base32-like characters: safe in a quoted file name.
    let disposition = HeaderValue::from_str(&format!(
        "attachment; filename=\"access-review-{}.csv\"",
        review.company_id
    ))
    .map_err(|_| Error::Internal("company id not usable in a file name".into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        to_csv(&review),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused() {
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+49 30 1234"), "'+49 30 1234");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tcmd"), "'\tcmd");
        // A carriage return also needs quoting.
        assert_eq!(csv_cell("\rcmd"), "\"'\rcmd\"");
        assert_eq!(csv_cell("\0x"), "'\0x");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        // Only the start counts.
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_cell("anna@example.com"), "anna@example.com");
    }

    #[test]
    fn rfc4180_quoting() {
        assert_eq!(csv_cell(""), "");
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\rlf"), "\"cr\rlf\"");
    }

    #[test]
    fn report_rows_and_header() {
        let r = AccessReview {
            company_id: "com_x".into(),
            generated_at: "2026-01-01T00:00:00Z".into(),
            members: vec![ReviewMember {
                membership_id: "mem_1".into(),
                login_id: "log_1".into(),
                email: "=evil@example.com".into(),
                role: "owner".into(),
                permissions: vec!["company.read".into(), "audit.read".into()],
                last_login_at: None,
                totp_enabled: true,
            }],
            api_keys: vec![ReviewKey {
                id: "key_1".into(),
                name: "-cmd, \"x\"".into(),
                scopes: vec!["company.read".into()],
                created_by: "log_1".into(),
                created_at: "2026-01-01T00:00:00Z".into(),
                last_used_at: None,
                revoked_at: Some("2026-01-02T00:00:00Z".into()),
            }],
        };
        let csv = to_csv(&r);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "{csv}");
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            "member,mem_1,log_1,'=evil@example.com,,owner,company.read audit.read,true,,,,"
        );
        assert_eq!(
            lines[2],
            "api_key,key_1,log_1,,\"'-cmd, \"\"x\"\"\",,company.read,,log_1,2026-01-01T00:00:00Z,,2026-01-02T00:00:00Z"
        );
        assert_eq!(lines[3], "");
    }
}
