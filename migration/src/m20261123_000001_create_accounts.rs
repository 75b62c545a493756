//! Tenants, users, tenant memberships (roles), API keys and login sessions.

use crate::sql;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE tenants (
    id varchar(64) PRIMARY KEY,
    name varchar(255) NOT NULL,
    settings {json} NOT NULL DEFAULT '{}',
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE TABLE users (
    id {uuid} PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,
    username varchar(64) NOT NULL UNIQUE,
    password_hash {text} NOT NULL,
    full_name varchar(255),
    is_active {bool} NOT NULL DEFAULT TRUE,
    is_instance_admin {bool} NOT NULL DEFAULT FALSE,
    last_login_at {ts},
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL
);
CREATE TABLE memberships (
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role varchar(16) NOT NULL CHECK (role IN ('admin', 'member', 'read_only')),
    created_at {ts} NOT NULL,
    updated_at {ts} NOT NULL,
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX ix_memberships_user ON memberships (user_id);
CREATE TABLE api_keys (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id varchar(64) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name varchar(255) NOT NULL,
    prefix varchar(32) NOT NULL UNIQUE,
    key_hash varchar(128) NOT NULL,
    scope varchar(8) NOT NULL CHECK (scope IN ('read', 'write')),
    last_used_at {ts},
    expires_at {ts},
    revoked_at {ts},
    created_at {ts} NOT NULL
);
CREATE INDEX ix_api_keys_tenant ON api_keys (tenant_id);
CREATE INDEX ix_api_keys_user ON api_keys (user_id);
CREATE TABLE auth_sessions (
    id {uuid} PRIMARY KEY,
    user_id {uuid} NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    refresh_generation integer NOT NULL DEFAULT 0,
    refresh_hash varchar(128) NOT NULL,
    remember_me {bool} NOT NULL DEFAULT FALSE,
    ip_address varchar(64),
    user_agent varchar(512),
    created_at {ts} NOT NULL,
    last_used_at {ts} NOT NULL,
    expires_at {ts} NOT NULL,
    revoked_at {ts}
);
CREATE INDEX ix_auth_sessions_user ON auth_sessions (user_id)
"#;

const DOWN: &str = r#"
DROP TABLE auth_sessions;
DROP TABLE api_keys;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE tenants
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        sql::run(manager, DOWN).await
    }
}
