//! The account's use cases for the dashboard ([`app::port::AccountPort`]): profile, password,
//! login sessions and API keys, each the service call its REST handler makes.

use app::{
    port::{AccountPort, Answer},
    wire::auth::{
        ApiKeyListQuery, ApiKeyResponse, ChangePasswordRequest, CreateApiKeyRequest, EndedSessions,
        SessionResponse, UpdateMeRequest, UserResponse,
    },
};

use super::{set_cookie, RequestPort};
use crate::{
    service::{accounts, api_keys, sessions},
    session_cookie,
};

/// How long a new key's secret waits for the page that shows it.
const NEW_KEY_SECONDS: u64 = 60;

impl AccountPort for RequestPort {
    fn update_me(&self, change: UpdateMeRequest) -> Answer<'_, UserResponse> {
        Box::pin(self.answer(async |svc, caller| accounts::update_me(svc, caller, change).await))
    }

    fn change_password(&self, change: ChangePasswordRequest) -> Answer<'_, ()> {
        Box::pin(
            self.answer(async |svc, caller| accounts::change_password(svc, caller, change).await),
        )
    }

    fn sessions(&self) -> Answer<'_, Vec<SessionResponse>> {
        Box::pin(self.answer(async |svc, caller| sessions::list(svc, caller).await))
    }

    fn end_session(&self, id: String) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| sessions::end(svc, caller, &id).await))
    }

    fn end_other_sessions(&self) -> Answer<'_, EndedSessions> {
        Box::pin(self.answer(async |svc, caller| sessions::end_others(svc, caller).await))
    }

    fn api_keys(&self, include_revoked: bool) -> Answer<'_, Vec<ApiKeyResponse>> {
        let query = ApiKeyListQuery { include_revoked };
        Box::pin(self.answer(async |svc, caller| api_keys::list(svc, caller, query).await))
    }

    fn create_api_key(&self, key: CreateApiKeyRequest) -> Answer<'_, ()> {
        Box::pin(async move {
            let created = self
                .answer(async |svc, caller| api_keys::create(svc, caller, key).await)
                .await?;
            if let Some(secret) = created.key {
                let settings = &self.svc.settings;
                let name = session_cookie::NEW_KEY;
                set_cookie(session_cookie::set_named(
                    settings,
                    name,
                    &secret,
                    NEW_KEY_SECONDS,
                ));
            }
            Ok(())
        })
    }

    fn new_api_key(&self) -> Answer<'_, Option<String>> {
        Box::pin(async move {
            // Only the signed-in person whose browser holds it sees it.
            self.caller().await.map_err(|e| self.fail(e))?;
            let secret = session_cookie::read(&self.headers, session_cookie::NEW_KEY);
            if secret.is_some() {
                let settings = &self.svc.settings;
                set_cookie(session_cookie::clear_named(
                    settings,
                    session_cookie::NEW_KEY,
                ));
            }
            Ok(secret)
        })
    }

    fn revoke_api_key(&self, id: String) -> Answer<'_, ()> {
        Box::pin(self.answer(async move |svc, caller| api_keys::revoke(svc, caller, &id).await))
    }
}
