//! A user's login sessions: list them, end one, end every other. Ending a session stops its
//! access and refresh tokens at once (the dashboard's cookie holds one of those tokens) and
//! closes its live connections. Only a login manages logins: an API key is refused.

use app::wire::auth::{EndedSessions, SessionResponse};
use serde_json::json;
use uuid::Uuid;

use super::{audit, unit::Written, Caller, Result, ServiceError, Services};
use crate::{
    live::access::AccessChange,
    store::{accounts, entities::auth_sessions},
};

const MANAGED: &str = "Login sessions are managed";

fn view(s: auth_sessions::Model, current: Uuid) -> SessionResponse {
    SessionResponse {
        id: s.id.to_string(),
        current: s.id == current,
        user_agent: s.user_agent,
        ip_address: s.ip_address,
        created_at: s.created_at.to_rfc3339(),
        last_used_at: s.last_used_at.to_rfc3339(),
        expires_at: s.expires_at.to_rfc3339(),
        remember_me: s.remember_me,
    }
}

/// The caller's live sessions, most recently used first.
pub async fn list(svc: &Services, caller: &Caller) -> Result<Vec<SessionResponse>> {
    let current = caller.require_session(MANAGED)?;
    let sessions = accounts::live_sessions(&svc.db, caller.user_id).await?;
    Ok(sessions.into_iter().map(|s| view(s, current)).collect())
}

/// Ends one of the caller's sessions (the current one too: that is a logout); another user's,
/// an ended one or an unknown id is not found.
pub async fn end(svc: &Services, caller: &Caller, id: &str) -> Result<()> {
    caller.require_session(MANAGED)?;
    let not_found = || ServiceError::not_found("session");
    let id = Uuid::parse_str(id).map_err(|_| not_found())?;
    let user = caller.user_id;
    let entry = audit::entry(
        caller,
        None,
        "account.session_ended",
        Some(id.to_string()),
        json!({}),
    );
    svc.write(async |txn| {
        if !accounts::revoke_user_session(txn, user, id).await? {
            return Err(not_found());
        }
        let written = Written::audited((), vec![entry]);
        Ok(written.narrowing([AccessChange::User(user)]))
    })
    .await
}

/// Ends every session of the caller but the current one ("sign out everywhere else").
pub async fn end_others(svc: &Services, caller: &Caller) -> Result<EndedSessions> {
    let current = caller.require_session(MANAGED)?;
    let user = caller.user_id;
    svc.write(async |txn| {
        let ended = accounts::revoke_other_sessions(txn, user, Some(current)).await?;
        let details = json!({"ended": ended});
        let entry = audit::entry(caller, None, "account.other_sessions_ended", None, details);
        let written = Written::audited(EndedSessions { ended }, vec![entry]);
        Ok(written.narrowing([AccessChange::User(user)]))
    })
    .await
}
