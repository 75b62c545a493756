"""The API's request and answer models, generated from the server's OpenAPI document by scripts/generate_models.sh (datamodel-code-generator): do not edit."""

from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel


class AddMemberRequest(BaseModel):
    """
    `POST /v1/tenants/{tenant_id}/members`: adds an existing user by email or username.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    role: str
    user: str | None = Field(None, max_length=255, min_length=1)
    """
    Email, username or id of a registered user.
    """
    user_id: str | None = Field(
        None,
        pattern='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    )
    """
    Or the user's id (as the original API takes it).
    """


class AdminRetentionRun(BaseModel):
    """
    `POST /v1/admin/retention/run`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    actions: list[str] | None = Field(None, deprecated=True)
    """
    The original API's choice of steps: `archive` (by age, by importance, beyond
    `max_items`) and `delete` (what has been archived long enough); absent: both.
    """
    dry_run: bool | None = None
    tenant_id: str | None = None
    """
    One tenant; absent: every tenant the caller administers (all, for instance admins).
    """


class ApiKeyResponse(BaseModel):
    """
    An API key as listed: never the key itself.
    """

    created_at: str
    expires_at: str | None = None
    id: str
    is_active: bool | None = None
    """
    Neither revoked nor expired (the original API's field).
    """
    key: str | None = None
    """
    Only in the answer to its creation, once.
    """
    last_used: str | None = None
    """
    The same as `last_used_at`, under the original API's name.
    """
    last_used_at: str | None = None
    name: str
    prefix: str
    revoked_at: str | None = None
    """
    When it was revoked (listed only with `include_revoked=true`).
    """
    scope: str
    tenant_id: str


class ArchiveMessage(BaseModel):
    """
    `POST /v1/messages/{id}/archive`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    cold_storage: bool | None = None
    """
    Also drop its vector and take it out of every index (restore embeds it again).
    """
    reason: str | None = None
    """
    Why (kept with the message; default `manual`).
    """


class AuditEntry(BaseModel):
    """
    One thing that happened.
    """

    action: str
    """
    E.g. `api_key.created`, `member.removed`, `tenant.deleted`, `login.failed`.
    """
    actor: str
    """
    `user:<id>`, `key:<id>` or `anonymous`.
    """
    actor_user_id: str | None = None
    at: str
    details: Any
    id: int
    target: str | None = None
    tenant_id: str | None = None
    """
    Absent for what belongs to no tenant (a failed login, a deleted tenant).
    """


class AuditPage(BaseModel):
    """
    `GET /v1/audit`: newest first.
    """

    entries: list[AuditEntry]
    next_cursor: str | None = None
    """
    Pass as `cursor` for older entries; absent on the last page.
    """


class BatchDeleteRequest(BaseModel):
    """
    `DELETE /v1/messages/batch`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    message_ids: list[str] = Field(..., max_length=1000, min_length=1)


class BatchItemError(BaseModel):
    """
    Why one item of a batch failed.
    """

    code: str
    field: str | None = None
    index: int | None = Field(None, ge=0)
    """
    Position in the request (create), or the id (update, delete).
    """
    message: str
    message_id: str | None = None


class ChangePasswordRequest(BaseModel):
    """
    `POST /v1/auth/change-password`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    current_password: str
    new_password: str = Field(
        ...,
        max_length=128,
        min_length=8,
        pattern='^.*([A-Za-z].*[0-9]|[0-9].*[A-Za-z]).*$',
    )


class ComponentStatus(BaseModel):
    """
    The state of one dependency in a [`ReadinessReport`].
    """

    error: str | None = None
    """
    Why the check failed (no secrets: connection strings are never included).
    """
    latency_ms: float
    """
    Round-trip time of the check.
    """
    name: str
    """
    `database` or `redis`.
    """
    status: str
    """
    `ok` or `down`.
    """


class ContextMessage(BaseModel):
    """
    One message in the context.
    """

    content: str
    conversation_id: str
    created_at: str
    message_id: str
    role: str
    score: float | None = None
    """
    A memory's search score.
    """
    source: str
    """
    `recent` (a latest turn of the conversation), `memory` (found by the query) or
    `neighbour` (a turn beside a memory).
    """
    tokens: int = Field(..., ge=0)
    """
    Tokens of its line in `text`.
    """


class ContextRequest(BaseModel):
    """
    What to remember for: a query, the current conversation, or both.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    conversation_id: str | None = Field(
        None, max_length=128, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    """
    The conversation being held: its recent turns come first.
    """
    max_tokens: int | None = Field(None, ge=16, le=32000)
    """
    The budget, in tokens, of `text` (16..32000, default 1000).
    """
    neighbours: int | None = Field(None, ge=0, le=5)
    """
    Turns before and after each memory to add when they fit (0..5, default 1).
    """
    query: str | None = Field(None, max_length=10000, min_length=0)
    """
    What the memories should be about (searched in every conversation of the tenant).
    """
    recent_turns: int | None = Field(None, ge=0, le=50)
    """
    How many of the conversation's latest turns to include first (0..50; default 10 with a
    `conversation_id`, else 0).
    """
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    """
    Tenant; defaults to the credential's.
    """
    top_k: int | None = Field(None, ge=1, le=100)
    """
    How many memories to consider, best first (1..100, default 20).
    """


class ConversationResponse(BaseModel):
    """
    A conversation with its exact counters.
    """

    archived: bool
    archived_count: int | None = None
    """
    Archived messages, not in cold storage (`include_archived` searches find them).
    """
    cold_count: int | None = None
    """
    Messages in cold storage (no vector; found by no search until restored).
    """
    created_at: str
    id: str
    last_message_at: str | None = None
    message_count: int
    """
    Its active messages (those search finds); archived and cold ones are counted apart.
    """
    metadata: Any
    tenant_id: str
    title: str | None = None
    updated_at: str
    user_id: str | None = None
    """
    Who created it (unknown for conversations created before this was recorded).
    """


class ConversationStats(BaseModel):
    """
    `GET /v1/conversations/{id}/stats`.
    """

    archived_messages: int | None = None
    """
    Archived messages not in cold storage, and messages in cold storage.
    """
    assistant_messages: int
    avg_importance: float | None = None
    cold_messages: int | None = None
    conversation_id: str
    first_message_at: str | None = None
    last_message_at: str | None = None
    system_messages: int
    tenant_id: str
    total_messages: int
    """
    Active messages; the role counts, importance and times are theirs too.
    """
    user_messages: int


class Scope(Enum):
    """
    `read` or `write` (default).
    """

    read = 'read'
    write = 'write'
    NoneType_None = None


class CreateApiKeyRequest(BaseModel):
    """
    `POST /v1/auth/api-keys`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    expires_days: int | None = Field(None, ge=1, le=3650)
    name: str = Field(..., max_length=255, min_length=1)
    scope: Scope | None = None
    """
    `read` or `write` (default).
    """
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )


class CreateConversationRequest(BaseModel):
    """
    `POST /v1/conversations`: creates one ahead of its messages (idempotent).
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    conversation_id: str = Field(
        ..., max_length=128, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    metadata: Any | None = None
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    title: str | None = None


class Role(Enum):
    """
    `user`, `assistant` or `system`.
    """

    user = 'user'
    assistant = 'assistant'
    system = 'system'


class CreateMessageRequest(BaseModel):
    """
    `POST /v1/messages` (and each item of a batch).
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    content: str = Field(..., max_length=100000, min_length=1)
    conversation_id: str = Field(
        ..., max_length=128, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    created_at: str | None = None
    """
    RFC 3339; for importing history with its real times. Defaults to now.
    """
    importance_override: float | None = Field(None, ge=0.0, le=1.0)
    """
    0..1; replaces the computed importance. `importance` is accepted as its alias (the
    original API's integration guide sends it).
    """
    metadata: Any | None = None
    role: Role
    """
    `user`, `assistant` or `system`.
    """
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    """
    Optional: the credential's tenant is used when omitted.
    """


class Action(Enum):
    archive = 'archive'
    delete = 'delete'
    move_to_cold_storage = 'move_to_cold_storage'


class RuleType(Enum):
    age = 'age'
    importance = 'importance'
    conversation_age = 'conversation_age'
    max_items = 'max_items'
    custom = 'custom'


class CreateRetentionRule(BaseModel):
    """
    `POST /v1/retention/rules`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    action: Action
    conditions: Any | None = None
    description: str | None = None
    enabled: bool | None = None
    name: str = Field(..., max_length=255, min_length=1)
    priority: int | None = Field(None, ge=1, le=1000)
    rule_type: RuleType


class CreateTenantRequest(BaseModel):
    """
    `POST /v1/tenants`: the caller becomes the new tenant's admin.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    id: str = Field(..., max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$')
    """
    1–64 characters: letters, digits, `-`, `_` and `.`; unique on the instance.
    """
    name: str | None = Field(None, max_length=255, min_length=1)
    """
    A display name; omitted: the id.
    """


class DroppedMemory(BaseModel):
    """
    A memory left out because it did not fit the budget.
    """

    message_id: str
    score: float
    tokens: int = Field(..., ge=0)
    """
    Tokens it would have taken.
    """


class EmbeddingHealth(BaseModel):
    """
    The embedding model's identity and whether it answers.
    """

    check: ComponentStatus
    """
    The check: `ok` or `down`, with its time and the reason it failed.
    """
    dimensions: int = Field(..., ge=0)
    model: str


class EmbeddingProgress(BaseModel):
    """
    A message's embedding job, and why its last attempt failed.
    """

    attempts: int
    """
    Attempts made so far.
    """
    detail: str | None = None
    """
    The reason in a sentence, with what happens next.
    """
    next_attempt_at: str | None = None
    """
    When the next attempt is due (`queued` and `retrying`).
    """
    reason: str | None = None
    """
    Why the last attempt failed: `provider_unavailable` (down, too slow, rate-limiting or
    returning malformed vectors), `provider_misconfigured` (an operator must correct the
    provider's key, address, model or width) or `input_refused`.
    """
    state: str
    """
    `queued` (not tried yet), `embedding` (being embedded now), `retrying` (an attempt
    failed; tried again at `next_attempt_at`) or `refused` (the model refused the text: not
    tried again until the content is edited).
    """


class EmbeddingStats(BaseModel):
    """
    `GET /v1/analytics/embedding-stats` (alias `/embeddings`).
    """

    avg_processing_time_seconds: float | None = None
    """
    Not measured (always absent); kept for the original's clients.
    """
    cold: int = Field(..., ge=0)
    """
    In cold storage: no vector until restored.
    """
    completed: int = Field(..., ge=0)
    failed: int = Field(..., ge=0)
    pending: int = Field(..., ge=0)
    success_rate: float | None = None
    """
    completed / (completed + failed) × 100; absent when neither.
    """
    total_embeddings: int = Field(..., ge=0)
    """
    Stored vectors.
    """


class EndedSessions(BaseModel):
    """
    The answer of `DELETE /v1/auth/sessions`: how many other sessions were ended.
    """

    ended: int = Field(..., ge=0)


class ErrorDetail(BaseModel):
    """
    What went wrong, for programs (`code`) and people (`message`).
    """

    code: str
    """
    Stable, machine-readable: `not_found`, `validation_failed`, `rate_limited`, …
    """
    field: str | None = None
    """
    For validation errors: which field failed and why.
    """
    message: str
    """
    Human-readable explanation; never contains secrets or internal error text.
    """
    request_id: str
    """
    The request's `x-request-id`, to find it in the server's logs.
    """


class ExportCounts(BaseModel):
    conversations: int = Field(..., ge=0)
    messages: int = Field(..., ge=0)
    retention_rules: int = Field(..., ge=0)


class ExportHeader(BaseModel):
    dimensions: int = Field(..., ge=0)
    embedding_model: str
    """
    The model the server embeds with (messages' own `embedding_model` says which embedded
    each).
    """
    exported_at: str
    format: int = Field(..., ge=0)
    tenant_id: str


class Kind(Enum):
    export = 'export'


class ExportRecord1(ExportHeader):
    """
    The first line: what follows and how it was made.
    """

    kind: Kind


class Kind1(Enum):
    tenant = 'tenant'


class Kind2(Enum):
    conversation = 'conversation'


class ExportRecord3(ConversationResponse):
    """
    One line of an export.
    """

    kind: Kind2


class Kind3(Enum):
    message = 'message'


class Kind4(Enum):
    retention_policy = 'retention_policy'


class Kind5(Enum):
    retention_rule = 'retention_rule'


class Kind6(Enum):
    end = 'end'


class ExportRecord7(ExportCounts):
    """
    The last line: an export without it was cut short.
    """

    kind: Kind6


class ExportedTenant(BaseModel):
    created_at: str
    id: str
    name: str


class HealthReport(BaseModel):
    """
    Liveness answer: the process serves requests.
    """

    environment: str
    """
    `development`, `test`, `staging` or `production`.
    """
    status: str
    """
    Always `"ok"` when the process answers at all.
    """
    timestamp: str
    """
    RFC 3339 time of the answer.
    """
    uptime_seconds: int = Field(..., ge=0)
    """
    Seconds since the process started.
    """
    version: str
    """
    Crate version of the running server.
    """


class LoginRequest(BaseModel):
    """
    `POST /v1/auth/login`: by email or by username.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    email: str | None = None
    password: str
    remember_me: bool | None = None
    """
    Longer-lived refresh token (4× the configured lifetime).
    """
    username: str | None = None
    """
    A username; one holding `@` is read as the email (usernames never hold it).
    """


class MemberResponse(BaseModel):
    """
    A member of a tenant (`GET /v1/tenants/{tenant_id}/members`).
    """

    email: str
    joined_at: str
    role: str
    user_id: str
    username: str


class MessageResponse(BaseModel):
    """
    A stored message.
    """

    archive_reason: str | None = None
    archived: bool
    """
    Archived messages are out of search and of the active counts; restore brings them back.
    """
    archived_at: str | None = None
    """
    When and why it was archived (`manual`, `policy`, or a retention rule's name).
    """
    cold_storage: bool | None = None
    """
    In cold storage: archived without its vector; restore embeds it again.
    """
    content: str
    conversation_id: str
    created_at: str
    embedding_job: EmbeddingProgress | None = None
    embedding_status: str
    """
    `pending`, `completed` or `failed`.
    """
    id: str
    importance_score: float
    metadata: Any
    role: str
    tenant_id: str
    updated_at: str


class ReadinessReport(BaseModel):
    """
    Readiness answer: whether each dependency this instance needs answers.
    """

    components: list[ComponentStatus]
    """
    One entry per dependency, in a fixed order.
    """
    status: str
    """
    `ok` when every component is `ok`, `degraded` when only optional ones fail (HTTP 200),
    `down` when a required one fails (HTTP 503).
    """


class RefreshRequest(BaseModel):
    """
    `POST /v1/auth/refresh`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    refresh_token: str


class RegisterRequest(BaseModel):
    """
    `POST /v1/auth/register`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    email: str = Field(
        ...,
        max_length=255,
        min_length=3,
        pattern='^[^@\\s]+@[^@\\s.][^@\\s]*\\.[^@\\s]*[^@\\s.]$',
    )
    full_name: str | None = Field(None, max_length=255, min_length=0)
    password: str = Field(
        ...,
        max_length=128,
        min_length=8,
        pattern='^.*([A-Za-z].*[0-9]|[0-9].*[A-Za-z]).*$',
    )
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    """
    A new tenant to create and administer; omitted: a personal tenant.
    """
    username: str = Field(..., max_length=64, min_length=3, pattern='^[A-Za-z0-9_]+$')


class RetentionPolicy(BaseModel):
    """
    A tenant's policy: what is archived and deleted when it is enabled.
    """

    delete_after_days: int = Field(..., ge=0)
    """
    Messages archived for longer than this are deleted.
    """
    enabled: bool
    """
    Nothing happens under a disabled policy (the default) unless an administrator runs it.
    """
    importance_threshold: float
    """
    Live messages older than `min_age_days` with importance at or below this are archived.
    """
    max_age_days: int = Field(..., ge=0)
    """
    Live messages older than this are archived.
    """
    max_items: int | None = Field(None, ge=0)
    """
    Keep at most this many live messages (the newest); `null`: no limit.
    """
    min_age_days: int = Field(..., ge=0)
    tenant_id: str
    updated_at: str | None = None
    """
    Absent until the tenant sets its own (the server's defaults apply).
    """


class RetentionRule(BaseModel):
    """
    A retention rule.
    """

    action: str
    """
    `archive`, `delete` or `move_to_cold_storage`.
    """
    conditions: Any
    created_at: str
    description: str | None = None
    enabled: bool
    id: str
    last_applied: str | None = None
    """
    The same as `last_applied_at`, under the original API's name.
    """
    last_applied_at: str | None = None
    name: str
    priority: int
    """
    Lower runs first (1..1000).
    """
    rule_type: str
    """
    `age`, `importance`, `conversation_age`, `max_items` or `custom`.
    """
    tenant_id: str
    updated_at: str


class RunMessages(BaseModel):
    """
    `GET /v1/retention/runs/{id}/messages`: the messages a run sampled (the first 100 of each
    action, [`RetentionRun::sample_ids`]) that still exist, oldest first — for a dry run, what a
    real run would touch now; a real run's deleted messages are gone.
    """

    archive: list[MessageResponse]
    cold: list[MessageResponse]
    delete: list[MessageResponse]
    run_id: str


class RunRestored(BaseModel):
    """
    `POST /v1/retention/runs/{id}/restore`.
    """

    messages_restored: int = Field(..., ge=0)
    run_id: str


class RunSamples(BaseModel):
    """
    Ids a run acted on, per action (the first 100 of each).
    """

    archive: list[str]
    cold: list[str]
    delete: list[str]


class Fusion(Enum):
    """
    How hybrid mode fuses its retrievers: `score` (default) or `rrf`.
    """

    score = 'score'
    rrf = 'rrf'
    NoneType_None = None


class Mode(Enum):
    """
    `vector`, `lexical` or `hybrid` (default).
    """

    vector = 'vector'
    lexical = 'lexical'
    hybrid = 'hybrid'
    NoneType_None = None


class Role1(Enum):
    user = 'user'
    assistant = 'assistant'
    system = 'system'
    NoneType_None = None


class SearchRequest(BaseModel):
    """
    `POST /v1/memory/search` (the GET form takes the same fields as query parameters, with
    metadata filters as `metadata.<key>=<value>`).
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    conversation_id: str | None = Field(
        None, max_length=128, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    end: str | None = None
    explain: bool | None = None
    fusion: Fusion | None = None
    """
    How hybrid mode fuses its retrievers: `score` (default) or `rrf`.
    """
    half_life_hours: float | None = None
    """
    This search's recency half-life in hours (0.01 to 10⁶).
    """
    importance_min: float | None = Field(None, ge=0.0, le=1.0)
    """
    `min_importance` (the original dashboard's name) is accepted as its alias.
    """
    include_archived: bool | None = None
    """
    Archived messages too (default false); those in cold storage are never found.
    """
    metadata: dict[str, Any] | None = None
    """
    Equality filters on metadata keys, typed as JSON is: numbers compare as numbers,
    booleans, strings and `null` match only their own type (`null` an explicit null, not
    a missing key). In the GET form (`metadata.<key>=<value>`) a value matches the JSON
    literal it spells or the same string.
    """
    mode: Mode | None = None
    """
    `vector`, `lexical` or `hybrid` (default).
    """
    query: str = Field(..., max_length=10000, min_length=1)
    role: Role1 | None = None
    start: str | None = None
    """
    RFC 3339 bounds on `created_at`, inclusive.
    """
    tenant_id: str | None = Field(
        None, max_length=64, min_length=1, pattern='^[A-Za-z0-9_.-]+$'
    )
    top_k: int | None = Field(None, ge=1, le=100)
    weight_importance: float | None = None
    weight_recency: float | None = None
    weight_relevance: float | None = None
    """
    This search's ranking weights, each from 0 to 1000 (only their ratios matter; not all
    0), in place of the server's settings; `explain.weights` shows those used.
    """


class SessionResponse(BaseModel):
    """
    One of the caller's login sessions (`GET /v1/auth/sessions`): a sign-in on some device,
    live until it is ended or expires.
    """

    created_at: str
    current: bool
    """
    The session this request came with.
    """
    expires_at: str
    id: str
    ip_address: str | None = None
    last_used_at: str
    """
    Recorded at most once a minute.
    """
    remember_me: bool
    """
    Signed in with "remember me" (a longer-lived refresh token).
    """
    user_agent: str | None = None
    """
    The browser or client that signed in, as it named itself.
    """


class SkippedRule(BaseModel):
    """
    An enabled rule a run did not run, and why: its stored conditions break a rule that holds
    now (a metadata key outside the identifier rule, say). Edit or delete it.
    """

    name: str
    reason: str
    rule_id: str


class TenantMembership(BaseModel):
    """
    One tenant a user belongs to, with their role there.
    """

    role: str
    """
    `admin`, `member` or `read_only`.
    """
    tenant_id: str


class TenantResponse(BaseModel):
    """
    A tenant as one of its members (or keys) sees it.
    """

    conversations: int
    created_at: str
    id: str
    members: int
    messages: int
    name: str
    role: str
    """
    The caller's role there: `admin`, `member` or `read_only`.
    """
    updated_at: str


class TenantUsage(BaseModel):
    """
    One tenant's footprint, as instance administrators see it in `GET /v1/analytics/tenants`.
    """

    created_at: str
    last_activity: str | None = None
    """
    RFC 3339 time of the tenant's newest message, if it has any.
    """
    members: int = Field(..., ge=0)
    """
    Users with a membership in the tenant.
    """
    name: str
    pending_embeddings: int = Field(..., ge=0)
    """
    Messages whose embedding is still queued (or failed for now and being retried).
    """
    tenant_id: str
    total_conversations: int = Field(..., ge=0)
    total_messages: int = Field(..., ge=0)


class TokenResponse(BaseModel):
    """
    Answer of login and refresh.
    """

    access_token: str
    expires_in: int = Field(..., ge=0)
    """
    Seconds until the access token expires.
    """
    refresh_token: str
    token_type: str
    """
    Always `bearer`.
    """


class TopConversation(BaseModel):
    """
    One row of `GET /v1/analytics/top-conversations`: most recently active first, those without
    messages last.
    """

    avg_importance: float | None = None
    conversation_id: str
    last_activity: str | None = None
    """
    Its newest message's time; absent without messages.
    """
    message_count: int = Field(..., ge=0)
    tenant_id: str


class RoleBreakdown(RootModel[int]):
    root: int = Field(..., ge=0)


class TrendDay(BaseModel):
    """
    One day of `GET /v1/analytics/trends` (UTC), oldest first; days without messages count 0.
    """

    count: int = Field(..., ge=0)
    date: str
    """
    `YYYY-MM-DD`.
    """
    role_breakdown: dict[str, RoleBreakdown]


class UpdateConversationRequest(BaseModel):
    """
    `PUT /v1/conversations/{id}`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    archived: bool | None = None
    metadata: Any | None = None
    title: str | None = None


class UpdateMeRequest(BaseModel):
    """
    `PUT /v1/auth/me`: profile fields only — tenant and role cannot be changed here.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    email: str | None = Field(
        None,
        max_length=255,
        min_length=3,
        pattern='^[^@\\s]+@[^@\\s.][^@\\s]*\\.[^@\\s]*[^@\\s.]$',
    )
    full_name: str | None = Field(None, max_length=255, min_length=0)
    username: str | None = Field(
        None, max_length=64, min_length=3, pattern='^[A-Za-z0-9_]+$'
    )


class UpdateMemberRequest(BaseModel):
    """
    `PUT /v1/tenants/{tenant_id}/members/{user_id}`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    role: str


class UpdateMessageRequest(BaseModel):
    """
    `PUT /v1/messages/{id}`: every field optional. `"metadata": null` clears metadata.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    archived: bool | None = None
    content: str | None = Field(None, max_length=100000, min_length=1)
    importance_override: float | None = Field(None, ge=0.0, le=1.0)
    """
    `importance` is accepted as its alias.
    """
    metadata: Any | None = None


class UpdateRetentionPolicy(BaseModel):
    """
    `PUT /v1/retention/policy`: the fields to change (`max_items: null` removes the limit).
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    delete_after_days: int | None = Field(None, ge=1, le=3650)
    enabled: bool | None = None
    importance_threshold: float | None = Field(None, ge=0.0, le=1.0)
    max_age_days: int | None = Field(None, ge=1, le=3650)
    max_items: int | None = Field(None, ge=1, le=9223372036854775807)
    min_age_days: int | None = Field(None, ge=1, le=3650)


class UpdateRetentionRule(BaseModel):
    """
    `PUT /v1/retention/rules/{id}`: the fields to change (the type stays).
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    action: str | None = None
    conditions: Any | None = None
    description: str | None = None
    enabled: bool | None = None
    name: str | None = Field(None, max_length=255, min_length=1)
    priority: int | None = Field(None, ge=1, le=1000)


class UpdateTenantRequest(BaseModel):
    """
    `PUT /v1/tenants/{id}`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    name: str = Field(..., max_length=255, min_length=1)
    """
    A display name, 1–255 characters.
    """


class UsageStats(BaseModel):
    """
    `GET /v1/analytics/usage`: one tenant's memory in numbers.
    """

    active_conversations: int = Field(..., ge=0)
    """
    Conversations not archived.
    """
    active_messages: int = Field(..., ge=0)
    """
    Messages not archived: what search sees.
    """
    archived_conversations: int = Field(..., ge=0)
    archived_messages: int = Field(..., ge=0)
    """
    Archived messages, cold ones included.
    """
    avg_importance_score: float | None = None
    """
    Over every message; absent when there are none.
    """
    cold_messages: int = Field(..., ge=0)
    failed_embeddings: int = Field(..., ge=0)
    messages_this_month: int = Field(..., ge=0)
    messages_this_week: int = Field(..., ge=0)
    messages_today: int = Field(..., ge=0)
    """
    Created today (UTC), in the last 7 UTC days (today included), in the last 30.
    """
    pending_embeddings: int = Field(..., ge=0)
    """
    Messages waiting for their vector (cold ones excluded: they wait for a restore).
    """
    search_latency_p50_ms: float | None = None
    """
    Their median and 95th percentile latency, exact to within the latency bucket (about
    ±25 %); absent without searches.
    """
    search_latency_p95_ms: float | None = None
    searches_last_24h: int = Field(..., ge=0)
    """
    Searches in the last 24 hours, on every instance (each reports its own once a minute).
    """
    storage_bytes: int = Field(..., ge=0)
    """
    Text and metadata bytes plus 4 bytes per vector dimension.
    """
    tenant_id: str
    total_conversations: int = Field(..., ge=0)
    total_embeddings: int = Field(..., ge=0)
    """
    Stored vectors.
    """
    total_messages: int = Field(..., ge=0)
    """
    Every stored message, archived ones included.
    """


class UserResponse(BaseModel):
    """
    A user as the API shows it: never any password material.
    """

    created_at: str
    email: str
    full_name: str | None = None
    id: str
    is_active: bool
    is_instance_admin: bool
    last_login_at: str | None = None
    tenants: list[TenantMembership]
    username: str


class Weights(BaseModel):
    """
    The score's weights.
    """

    half_life_hours: float
    importance: float
    recency: float
    relevance: float


class BatchCreateRequest(BaseModel):
    """
    `POST /v1/messages/batch`: up to 1000 messages.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    messages: list[CreateMessageRequest] = Field(..., max_length=1000, min_length=1)


class BatchResponse(BaseModel):
    """
    The answer of every batch route: 201/200 when every item succeeded, 207 otherwise.
    """

    created: list[MessageResponse]
    deleted: list[str]
    errors: list[BatchItemError]
    updated: list[MessageResponse]


class BatchUpdateItem(BaseModel):
    """
    One item of `PUT /v1/messages/batch/update`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    message_id: str
    update: UpdateMessageRequest


class BatchUpdateRequest(BaseModel):
    """
    `PUT /v1/messages/batch/update`.
    """

    model_config = ConfigDict(
        extra='forbid',
    )
    updates: list[BatchUpdateItem] = Field(..., max_length=1000, min_length=1)


class ContextResponse(BaseModel):
    """
    The context: ready-to-paste text and the same messages as data.
    """

    dropped: list[DroppedMemory]
    """
    Memories found but left out for the budget, best first.
    """
    max_tokens: int = Field(..., ge=0)
    messages: list[ContextMessage]
    """
    The messages of `text`, in its order.
    """
    text: str
    """
    The messages in the documented template (`docs/context.md`).
    """
    token_counter: str
    """
    `tokenizer` (the local model's `tokenizer.json`) or `chars/4` (4 characters a token).
    """
    tokens: int = Field(..., ge=0)
    """
    Tokens of `text`, counted as `token_counter` says; never above `max_tokens`.
    """


class ConversationPage(BaseModel):
    """
    `GET /v1/conversations`.
    """

    conversations: list[ConversationResponse]
    next_cursor: str | None = None
    """
    Pass as `cursor` for the next page (keyset paging: stable and fast at any depth);
    absent on the last page.
    """
    page: int = Field(..., ge=0)
    page_size: int = Field(..., ge=0)
    total: int = Field(..., ge=0)


class ErrorBody(BaseModel):
    """
    `{"error": {...}}` — the body of every 4xx and 5xx answer of the API.
    """

    error: ErrorDetail


class Explain(BaseModel):
    """
    With `explain=true`: every component of the score.
    """

    fusion: str | None = None
    """
    Hybrid mode only: `score` or `rrf`.
    """
    lexical_rank: int | None = Field(None, ge=0)
    mode: str
    relevance: float
    """
    The retrieval relevance used in the score: cosine (vector), lexical relevance normalised
    to the best match (lexical), or their fusion (hybrid: see `fusion`).
    """
    vector_rank: int | None = Field(None, ge=0)
    """
    1-based rank in each retriever's list, if it found the message.
    """
    weights: Weights


class ExportRecord2(ExportedTenant):
    """
    One line of an export.
    """

    kind: Kind1


class ExportRecord5(RetentionPolicy):
    """
    One line of an export.
    """

    kind: Kind4


class ExportRecord6(RetentionRule):
    """
    One line of an export.
    """

    kind: Kind5


class ExportedMessage(MessageResponse):
    """
    A message as stored: its answer form plus what an import needs to keep it as it was.
    """

    embedding: list[float] | None = None
    """
    Its vector, when the export was asked for vectors (`vectors=true`) and it has one.
    """
    embedding_model: str | None = None
    """
    The model that last embedded it, if one has (kept while a new embedding is pending
    and in cold storage).
    """
    importance_override: float | None = None
    """
    The importance set by hand, if any (`importance_score` is computed from it).
    """


class InstanceHealth(BaseModel):
    """
    What an instance administrator sees of this instance (`GET /v1/admin/instance`): the
    readiness answer, the embedding model's health and the job queue.
    """

    embedding: EmbeddingHealth
    """
    The embedding model, checked by embedding a short text.
    """
    queue_depth: int | None = Field(None, ge=0)
    """
    Embedding jobs waiting or running, on every instance (absent when the database does
    not answer).
    """
    readiness: ReadinessReport
    """
    The readiness answer, as `GET /v1/admin/readiness` gives it.
    """


class MessagePage(BaseModel):
    """
    `GET /v1/conversations/{id}/messages`: one page of a conversation's messages.
    """

    messages: list[MessageResponse]
    next_cursor: str | None = None
    """
    Pass as `cursor` for the next page, in the same order; absent on the last page.
    """


class Overview(BaseModel):
    """
    `GET /v1/analytics/overview`: a tenant's usage, trends, embedding progress and most active
    conversations in one answer (the dashboard's landing page).
    """

    embeddings: EmbeddingStats
    top_conversations: list[TopConversation]
    """
    The 10 most recently active conversations.
    """
    trends: list[TrendDay]
    """
    The last `days` UTC days, oldest first.
    """
    usage: UsageStats


class RetentionRun(BaseModel):
    """
    What a retention run did (or, dry, would do).
    """

    actor: str
    """
    `user:<id>`, `key:<id>` or `scheduler`.
    """
    dry_run: bool
    error: str | None = None
    """
    What interrupted the run, if anything: its counts and ids are what it did until then
    (each batch is all or nothing), and running it again does the rest.
    """
    finished_at: str | None = None
    """
    Absent while the run is in progress.
    """
    messages_archived: int = Field(..., ge=0)
    messages_deleted: int = Field(..., ge=0)
    messages_moved_to_cold: int = Field(..., ge=0)
    messages_restored: int = Field(..., ge=0)
    restored_at: str | None = None
    rules_applied: list[str]
    """
    The rules' names in the order they ran, and `policy` when the policy ran.
    """
    rules_skipped: list[SkippedRule] | None = None
    """
    Enabled rules the run could not run, and why.
    """
    run_id: str
    sample_ids: RunSamples
    started_at: str
    tenant_id: str
    trigger: str
    """
    `manual`, `admin` or `scheduled`.
    """


class RetentionRunList(BaseModel):
    """
    The runs of `POST /v1/admin/retention/run`, one per tenant.
    """

    archived: int | None = Field(None, ge=0)
    """
    The original API's totals over `runs`: messages archived (cold ones included) and
    deleted, and whether the runs were dry.
    """
    deleted: int | None = Field(None, ge=0)
    dry_run: bool | None = None
    runs: list[RetentionRun]


class RetentionRunPage(BaseModel):
    """
    `GET /v1/retention/runs`: newest first.
    """

    next_cursor: str | None = None
    runs: list[RetentionRun]


class SearchHit(BaseModel):
    """
    One remembered message and why it ranks where it does.
    """

    archived: bool | None = None
    """
    Present (true) only for an archived message, found with `include_archived=true`.
    """
    content: str
    conversation_id: str
    created_at: str
    decay: float
    """
    `0.5^(age / half-life)`.
    """
    explain: Explain | None = None
    importance: float
    message_id: str
    metadata: Any
    role: str
    score: float
    """
    `w_relevance·relevance + w_importance·importance + w_recency·decay`.
    """
    similarity: float | None = None
    """
    Cosine similarity of the message to the query (null without a stored vector).
    """


class SearchResponse(BaseModel):
    """
    Search results, best first.
    """

    items: list[SearchHit]
    notice: str | None = None
    """
    Set when the answer is degraded (hybrid search without its vector half).
    """
    total: int = Field(..., ge=0)
    """
    Number of items returned.
    """


class TenantList(BaseModel):
    """
    `GET /v1/tenants`: the caller's tenants, by id.
    """

    tenants: list[TenantResponse]


class ExportRecord4(ExportedMessage):
    """
    One line of an export.
    """

    kind: Kind3


class ExportRecord(
    RootModel[
        ExportRecord1
        | ExportRecord2
        | ExportRecord3
        | ExportRecord4
        | ExportRecord5
        | ExportRecord6
        | ExportRecord7
    ]
):
    root: (
        ExportRecord1
        | ExportRecord2
        | ExportRecord3
        | ExportRecord4
        | ExportRecord5
        | ExportRecord6
        | ExportRecord7
    )
    """
    One line of an export.
    """
