//! A conversation's own actions: rename, archive or restore, and delete — with a typed
//! confirmation when its messages would go too.

use leptos::{prelude::*, server_fn::ServerFn};

use crate::{
    components::{confirm::TypedConfirmation, feedback::FormError, tenant::TenantField},
    server_fns::conversations::{ArchiveConversation, DeleteConversation, RenameConversation},
    wire::memory::ConversationResponse,
};

/// The actions of `conversation`.
#[component]
pub fn ConversationActions(conversation: ConversationResponse) -> impl IntoView {
    let id = conversation.id.clone();
    let title = conversation.title.clone().unwrap_or_default();
    let archived = conversation.archived;
    let messages = conversation.message_count;
    view! {
        <details class="card">
            <summary>"Rename, archive or delete this conversation"</summary>
            <FormError path=RenameConversation::PATH />
            <form method="post" action=RenameConversation::url()>
                <input type="hidden" name="id" value=id.clone() />
                <TenantField />
                <label for="conversation-title">"Title"</label>
                <input id="conversation-title" name="title" value=title />
                <button type="submit">"Rename"</button>
            </form>
            <FormError path=ArchiveConversation::PATH />
            <form method="post" action=ArchiveConversation::url()>
                <input type="hidden" name="id" value=id.clone() />
                <input type="hidden" name="archived" value=(!archived).to_string() />
                <TenantField />
                <button type="submit" class="secondary">
                    {if archived { "Restore the conversation" } else { "Archive the conversation" }}
                </button>
            </form>
            <FormError path=DeleteConversation::PATH />
            <form method="post" action=DeleteConversation::url()>
                <input type="hidden" name="id" value=id.clone() />
                <TenantField />
                {(messages > 0).then(|| view! { <input type="hidden" name="delete_messages" value="true" /> })}
                <TypedConfirmation
                    expected=(messages > 0).then(|| id.clone())
                    prompt=format!("This deletes its {messages} messages too. Type the conversation's id, {id}, to confirm:")
                    button="Delete the conversation".to_owned()
                    field_id="confirm-delete".to_owned()
                />
            </form>
        </details>
    }
}
