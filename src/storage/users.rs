//! User queries. The document is stored verbatim; the extracted columns serve lookups, filters
//! and sorting.

use super::filter_sql::{self, UserPred};
use super::rows::{fold, EmailRow, NewUser, UserChangeset, UserRow};
use super::schema::{memberships, user_emails, users};
use super::search::{self, SearchPage, SearchQuery, SortKey, RESIDUAL_BATCH};
use super::time::to_storage_precision;
use super::{Backend, DbConn, StorageError};
use crate::scim::filter::{matches, BoundFilter};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Bind-parameter budget per `IN (…)` list, well under SQLite's and PostgreSQL's limits.
const ID_CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = users)]
struct UserInsert<'a> {
    tenant_id: &'a str,
    id: &'a str,
    user_name: &'a str,
    user_name_norm: String,
    external_id: Option<&'a str>,
    display_name: Option<&'a str>,
    display_name_norm: Option<String>,
    active: bool,
    doc: &'a str,
    version: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = user_emails)]
struct EmailInsert<'a> {
    tenant_id: &'a str,
    user_id: &'a str,
    position: i64,
    email_type: Option<String>,
    value_norm: String,
}

/// Insert a user and its indexed emails. A taken userName (compared case-insensitively) is
/// `Conflict { constraint: "user_name" }`.
pub fn insert(conn: &mut DbConn, user: &NewUser, emails: &[EmailRow]) -> Result<(), StorageError> {
    let row = UserInsert {
        tenant_id: &user.tenant_id,
        id: &user.id,
        user_name: &user.user_name,
        user_name_norm: fold(&user.user_name),
        external_id: user.external_id.as_deref(),
        display_name: user.display_name.as_deref(),
        display_name_norm: user.display_name.as_deref().map(fold),
        active: user.active,
        doc: &user.doc,
        version: user.version,
        created_at: to_storage_precision(user.created_at),
        updated_at: to_storage_precision(user.updated_at),
    };
    let emails = email_rows(&user.tenant_id, &user.id, emails);
    match conn {
        DbConn::Postgres(c) if !emails.is_empty() => {
            insert_with_emails_pg(c, &row, &emails)?;
        }
        _ => {
            diesel::insert_into(users::table)
                .values(&row)
                .execute(conn)?;
            insert_email_rows(conn, &emails)?;
        }
    }
    Ok(())
}

/// PostgreSQL: the user and its emails in one statement, one round trip instead of two (a pull
/// run creates 100,000 users). The emails' foreign key is checked at the end of the statement,
/// when the user row is there.
fn insert_with_emails_pg(
    c: &mut diesel::pg::PgConnection,
    u: &UserInsert<'_>,
    emails: &[EmailInsert<'_>],
) -> QueryResult<usize> {
    use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
    use std::fmt::Write;
    let mut sql = String::from(
        "WITH u AS (INSERT INTO users (tenant_id, id, user_name, user_name_norm, external_id, \
         display_name, display_name_norm, active, doc, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)) \
         INSERT INTO user_emails (tenant_id, user_id, position, type, value_norm) VALUES ",
    );
    for i in 0..emails.len() {
        let n = 13 + 3 * i;
        let sep = if i == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(sql, "{sep}($1, $2, ${n}, ${}, ${})", n + 1, n + 2);
    }
    let mut q = diesel::sql_query(sql)
        .into_boxed::<diesel::pg::Pg>()
        .bind::<Text, _>(u.tenant_id)
        .bind::<Text, _>(u.id)
        .bind::<Text, _>(u.user_name)
        .bind::<Text, _>(&u.user_name_norm)
        .bind::<Nullable<Text>, _>(u.external_id)
        .bind::<Nullable<Text>, _>(u.display_name)
        .bind::<Nullable<Text>, _>(&u.display_name_norm)
        .bind::<Bool, _>(u.active)
        .bind::<Text, _>(u.doc)
        .bind::<BigInt, _>(u.version)
        .bind::<Timestamp, _>(u.created_at)
        .bind::<Timestamp, _>(u.updated_at);
    for e in emails {
        q = q
            .bind::<BigInt, _>(e.position)
            .bind::<Nullable<Text>, _>(&e.email_type)
            .bind::<Text, _>(&e.value_norm);
    }
    q.execute(c)
}

fn email_rows<'a>(
    tenant_id: &'a str,
    user_id: &'a str,
    emails: &[EmailRow],
) -> Vec<EmailInsert<'a>> {
    emails
        .iter()
        .map(|e| EmailInsert {
            tenant_id,
            user_id,
            position: e.position,
            email_type: e.kind.as_deref().map(fold),
            value_norm: fold(&e.value),
        })
        .collect()
}

fn insert_email_rows(conn: &mut DbConn, rows: &[EmailInsert<'_>]) -> Result<(), StorageError> {
    if rows.is_empty() {
        return Ok(());
    }
    insert_rows!(conn, user_emails::table, rows)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, tenant_id: &str, id: &str) -> Result<Option<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Look a user up by userName, case-insensitively (the argument is folded here).
pub fn find_by_user_name_norm(
    conn: &mut DbConn,
    tenant_id: &str,
    user_name: &str,
) -> Result<Option<UserRow>, StorageError> {
    Ok(users::table
        .filter(users::tenant_id.eq(tenant_id))
        .filter(users::user_name_norm.eq(fold(user_name)))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Replace a user's columns and emails if its version is still `expected_version`: one
/// conditional UPDATE, so a concurrent writer makes this fail with `VersionMismatch` instead of
/// being overwritten. `NotFound` when the user does not exist. `emails: None` keeps the indexed
/// e-mails as they are (the document's `emails` did not change).
pub fn update(
    conn: &mut DbConn,
    tenant_id: &str,
    id: &str,
    expected_version: i64,
    change: &UserChangeset,
    emails: Option<&[EmailRow]>,
) -> Result<(), StorageError> {
    let n = diesel::update(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id))
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::user_name.eq(&change.user_name),
        users::user_name_norm.eq(fold(&change.user_name)),
        users::external_id.eq(change.external_id.as_deref()),
        users::display_name.eq(change.display_name.as_deref()),
        users::display_name_norm.eq(change.display_name.as_deref().map(fold)),
        users::active.eq(change.active),
        users::doc.eq(&change.doc),
        users::version.eq(change.version),
        users::updated_at.eq(to_storage_precision(change.updated_at)),
    ))
    .execute(conn)?;
    if n == 0 {
        return Err(match find(conn, tenant_id, id)? {
            Some(_) => StorageError::VersionMismatch,
            None => StorageError::NotFound,
        });
    }
    let Some(emails) = emails else {
        return Ok(());
    };
    diesel::delete(
        user_emails::table
            .filter(user_emails::tenant_id.eq(tenant_id))
            .filter(user_emails::user_id.eq(id)),
    )
    .execute(conn)?;
    insert_email_rows(conn, &email_rows(tenant_id, id, emails))
}

/// Delete a user, its emails and its group memberships; `false` when there was no such user.
pub fn delete(conn: &mut DbConn, tenant_id: &str, id: &str) -> Result<bool, StorageError> {
    diesel::delete(
        memberships::table
            .filter(memberships::tenant_id.eq(tenant_id))
            .filter(memberships::member_id.eq(id)),
    )
    .execute(conn)?;
    let n = diesel::delete(
        users::table
            .filter(users::tenant_id.eq(tenant_id))
            .filter(users::id.eq(id)),
    )
    .execute(conn)?;
    Ok(n > 0)
}

/// The subset of `ids` that are users of the tenant.
pub fn existing_ids(
    conn: &mut DbConn,
    tenant_id: &str,
    ids: &[String],
) -> Result<Vec<String>, StorageError> {
    let mut found = Vec::new();
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            users::table
                .filter(users::tenant_id.eq(tenant_id))
                .filter(users::id.eq_any(chunk))
                .select(users::id)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

pub fn count(conn: &mut DbConn, tenant_id: &str) -> Result<u64, StorageError> {
    let n: i64 = users::table
        .filter(users::tenant_id.eq(tenant_id))
        .count()
        .get_result(conn)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Filter, sort and page the tenant's users (RFC 7644 §3.4.2).
pub fn search(
    conn: &mut DbConn,
    tenant_id: &str,
    q: &SearchQuery<'_>,
) -> Result<SearchPage<UserRow>, StorageError> {
    let pred = |f: &BoundFilter| filter_sql::users(f, tenant_id);
    let residual = q.filter.is_some_and(|f| pred(f).residual);
    if !residual {
        let sql = || q.filter.and_then(|f| pred(f).sql);
        let rows: Vec<_> = if q.count == 0 {
            Vec::new()
        } else {
            ordered(with_filter(rows_query(tenant_id), sql()), q.sort)
                .offset(q.offset())
                .limit(q.limit())
                .load(conn)?
        };
        let total = match search::total_from_page(q, rows.len()) {
            Some(total) => total,
            None => {
                let n: i64 = with_filter(count_query(tenant_id), sql()).get_result(conn)?;
                u64::try_from(n).unwrap_or(0)
            }
        };
        return Ok(SearchPage { total, rows });
    }
    let Some(filter) = q.filter else {
        return Ok(SearchPage {
            total: 0,
            rows: Vec::new(),
        });
    };
    search::residual_page(
        q,
        |row: &UserRow| row.id.as_str(),
        |scanned, last_id| {
            let mut query = with_filter(rows_query(tenant_id), pred(filter).sql);
            query = match (q.sort, last_id) {
                // Keyset paging over the primary key when the order is by id.
                (None, Some(last)) => query.filter(users::id.gt(last.to_owned())),
                (None, None) => query,
                (Some(_), _) => query.offset(scanned),
            };
            Ok(ordered(query, q.sort).limit(RESIDUAL_BATCH).load(conn)?)
        },
        |row| Ok(evaluate(filter, row)),
    )
}

fn evaluate(filter: &BoundFilter, row: &UserRow) -> bool {
    search::evaluation_document(&row.doc, &row.id, "User", row.created_at, row.updated_at)
        .is_some_and(|doc| matches(filter, &doc))
}

type RowsQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::Select<users::table, diesel::dsl::AsSelect<UserRow, Backend>>,
        diesel::dsl::Eq<users::tenant_id, &'a str>,
    >,
    Backend,
>;

fn rows_query(tenant_id: &str) -> RowsQuery<'_> {
    users::table
        .select(UserRow::as_select())
        .filter(users::tenant_id.eq(tenant_id))
        .into_boxed()
}

type CountQuery<'a> = diesel::dsl::IntoBoxed<
    'a,
    diesel::dsl::Filter<
        diesel::dsl::Select<users::table, diesel::dsl::CountStar>,
        diesel::dsl::Eq<users::tenant_id, &'a str>,
    >,
    Backend,
>;

fn count_query(tenant_id: &str) -> CountQuery<'_> {
    users::table
        .count()
        .filter(users::tenant_id.eq(tenant_id))
        .into_boxed()
}

fn with_filter<Q>(query: Q, pred: Option<UserPred>) -> Q
where
    Q: diesel::query_dsl::methods::FilterDsl<UserPred, Output = Q>,
{
    match pred {
        Some(p) => query.filter(p),
        None => query,
    }
}

/// ORDER BY the sort key (missing values last ascending, first descending), then id.
fn ordered<'a>(query: RowsQuery<'a>, sort: Option<(SortKey, bool)>) -> RowsQuery<'a> {
    macro_rules! by {
        ($q:expr, $col:expr, $asc:expr) => {
            if $asc {
                $q.then_order_by($col.asc())
            } else {
                $q.then_order_by($col.desc())
            }
        };
    }
    let Some((key, asc)) = sort else {
        return query.order_by(users::id.asc());
    };
    let query = match key {
        SortKey::Id => query,
        SortKey::UserName => by!(query, users::user_name_norm, asc),
        SortKey::DisplayName => {
            by!(
                by!(query, users::display_name_norm.is_null(), asc),
                users::display_name_norm,
                asc
            )
        }
        SortKey::ExternalId => by!(
            by!(query, users::external_id.is_null(), asc),
            users::external_id,
            asc
        ),
        SortKey::Created => by!(query, users::created_at, asc),
        SortKey::LastModified => by!(query, users::updated_at, asc),
    };
    by!(query, users::id, asc)
}
