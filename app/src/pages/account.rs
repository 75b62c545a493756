//! `/account`: the signed-in person's profile, password and login sessions — each device
//! signed in, with "sign out" for one and "sign out everywhere else".

use leptos::{prelude::*, server_fn::ServerFn};

use super::conversations::short_time;
use crate::{
    components::feedback::{ErrorNote, FormDone, FormError},
    server_fns::{
        account::{list_sessions, ChangePassword, EndOtherSessions, EndSession, UpdateProfile},
        auth::me,
    },
    wire::auth::{SessionResponse, UserResponse},
};

/// `/account`.
#[component]
pub fn AccountPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| async { (me().await, list_sessions().await) });
    view! {
        <h1>"Account"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading your account…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    (Ok(user), Ok(sessions)) => view! {
                        <Profile user />
                        <Password />
                        <Sessions sessions />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNote error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Profile(user: UserResponse) -> impl IntoView {
    const FIELDS: &[&str] = &["full_name", "email", "username"];
    view! {
        <section class="card">
            <h2>"Profile"</h2>
            <FormDone path=UpdateProfile::PATH message="Profile saved." />
            <FormError path=UpdateProfile::PATH fields=FIELDS />
            <form method="post" action=UpdateProfile::url() class="stacked">
                <label for="full-name">"Full name"</label>
                <input id="full-name" name="full_name" autocomplete="name" value=user.full_name.unwrap_or_default() />
                <FormError path=UpdateProfile::PATH field="full_name" />
                <label for="email">"Email"</label>
                <input id="email" name="email" type="email" autocomplete="email" required value=user.email />
                <FormError path=UpdateProfile::PATH field="email" />
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required value=user.username />
                <FormError path=UpdateProfile::PATH field="username" />
                <button type="submit">"Save the profile"</button>
            </form>
            <p class="muted small">
                {format!("Account created {}", short_time(Some(&user.created_at)))}
                {user.is_instance_admin.then_some(" · instance administrator")}
            </p>
        </section>
    }
    .into_any()
}

#[component]
fn Password() -> impl IntoView {
    const FIELDS: &[&str] = &["current_password", "new_password"];
    view! {
        <section class="card">
            <h2>"Password"</h2>
            <p class="muted">"Changing it signs out every other device; this one stays signed in."</p>
            <FormDone path=ChangePassword::PATH message="Password changed; every other session has ended." />
            <FormError path=ChangePassword::PATH fields=FIELDS />
            <form method="post" action=ChangePassword::url() class="stacked">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required />
                <FormError path=ChangePassword::PATH field="current_password" />
                <label for="new-password">"New password"</label>
                <input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="8" />
                <FormError path=ChangePassword::PATH field="new_password" />
                <button type="submit">"Change the password"</button>
            </form>
        </section>
    }
    .into_any()
}

#[component]
fn Sessions(sessions: Vec<SessionResponse>) -> impl IntoView {
    let others = sessions.iter().filter(|s| !s.current).count();
    let rows = sessions
        .into_iter()
        .map(|s| view! { <SessionRow s /> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Sessions"</h2>
            <p class="muted">"Each place you are signed in. Signing one out ends its tokens and closes its live feed at once."</p>
            <FormDone path=EndSession::PATH message="That session has ended." />
            <FormError path=EndSession::PATH />
            <FormDone path=EndOtherSessions::PATH message="Every other session has ended." />
            <FormError path=EndOtherSessions::PATH />
            <div class="table-wrap">
                <table class="list" data-testid="sessions">
                    <thead>
                        <tr>
                            <th scope="col">"Device"</th>
                            <th scope="col">"Address"</th>
                            <th scope="col">"Signed in"</th>
                            <th scope="col">"Last used"</th>
                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {(others > 0).then(|| view! {
                <form method="post" action=EndOtherSessions::url()>
                    <button type="submit" class="danger">
                        {format!("Sign out everywhere else ({others})")}
                    </button>
                </form>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn SessionRow(s: SessionResponse) -> impl IntoView {
    let device = device(s.user_agent.as_deref());
    view! {
        <tr data-current=s.current.to_string()>
            <td>
                {device}
                {s.current.then(|| view! { " " <span class="tag">"this device"</span> })}
                {s.remember_me.then(|| view! { " " <span class="tag">"remembered"</span> })}
            </td>
            <td>{s.ip_address.unwrap_or_else(|| "—".into())}</td>
            <td><time datetime=s.created_at.clone()>{short_time(Some(&s.created_at))}</time></td>
            <td><time datetime=s.last_used_at.clone()>{short_time(Some(&s.last_used_at))}</time></td>
            <td>
                {(!s.current).then(|| view! {
                    <form method="post" action=EndSession::url()>
                        <input type="hidden" name="id" value=s.id.clone() />
                        <button type="submit" class="secondary">"Sign out"</button>
                    </form>
                })}
            </td>
        </tr>
    }
    .into_any()
}

/// A short name for the client that signed in: the browser and system a user agent names, or
/// the agent itself (a script's `curl/8.5`).
pub fn device(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return "Unknown client".into();
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(token, _)| ua.contains(token))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(b), None) => b.to_owned(),
        _ => ua.chars().take(60).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn a_device_is_named_by_its_browser_and_system() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
        assert_eq!(device(Some(chrome)), "Chrome on Linux");
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(device(Some(firefox)), "Firefox on Windows");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(device(Some(safari)), "Safari on iOS");
        assert_eq!(device(Some("curl/8.5.0")), "curl/8.5.0");
        assert_eq!(device(None), "Unknown client");
    }
}
