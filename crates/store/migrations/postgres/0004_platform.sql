-- The platform: logins, companies, memberships, custom roles, invitations, API keys,
-- sessions and login throttles. Only what the database needs to find rows is in the
-- clear (ids, company ids, roles, permission names, timestamps, blind indexes, hashes);
-- names and e-mail addresses are sealed by the server before they arrive here.
CREATE TABLE login (
    id              TEXT    PRIMARY KEY,
    email_index     BYTEA    NOT NULL UNIQUE,
    email_sealed    BYTEA    NOT NULL,
    password_phc    TEXT    NOT NULL,
    totp_sealed     BYTEA,
    totp_last_step  BIGINT,
    created_us      BIGINT  NOT NULL,
    last_login_us   BIGINT,
    disabled_us     BIGINT  
);

CREATE TABLE company (
    id              TEXT    PRIMARY KEY,
    name_sealed     BYTEA    NOT NULL,
    tier            TEXT    NOT NULL,
    created_us      BIGINT  NOT NULL
);

CREATE TABLE custom_role (
    id              TEXT    PRIMARY KEY,
    company_id      TEXT    NOT NULL REFERENCES company (id),
    name_sealed     BYTEA    NOT NULL,
    permissions     TEXT    NOT NULL,
    created_us      BIGINT  NOT NULL
);
CREATE INDEX custom_role_company ON custom_role (company_id, created_us, id);

CREATE TABLE membership (
    id              TEXT    PRIMARY KEY,
    company_id      TEXT    NOT NULL REFERENCES company (id),
    login_id        TEXT    NOT NULL REFERENCES login (id),
    role            TEXT    NOT NULL,
    created_us      BIGINT  NOT NULL,
    UNIQUE (company_id, login_id)
);
CREATE INDEX membership_login ON membership (login_id);
CREATE INDEX membership_company ON membership (company_id, created_us, id);

CREATE TABLE invitation (
    id              TEXT    PRIMARY KEY,
    company_id      TEXT    NOT NULL REFERENCES company (id),
    email_sealed    BYTEA    NOT NULL,
    role            TEXT    NOT NULL,
    token_hash      BYTEA    NOT NULL UNIQUE,
    invited_by      TEXT    NOT NULL,
    created_us      BIGINT  NOT NULL,
    expires_us      BIGINT  NOT NULL,
    accepted_us     BIGINT  
);
CREATE INDEX invitation_company ON invitation (company_id, created_us, id);

CREATE TABLE api_key (
    id              TEXT    PRIMARY KEY,
    company_id      TEXT    NOT NULL REFERENCES company (id),
    key_hash        BYTEA    NOT NULL UNIQUE,
    hint            TEXT    NOT NULL,
    name_sealed     BYTEA    NOT NULL,
    scopes          TEXT    NOT NULL,
    created_by      TEXT    NOT NULL,
    created_us      BIGINT  NOT NULL,
    last_used_us    BIGINT,
    revoked_us      BIGINT  
);
CREATE INDEX api_key_company ON api_key (company_id, created_us, id);

CREATE TABLE session (
    token_hash      BYTEA    PRIMARY KEY,
    login_id        TEXT    NOT NULL REFERENCES login (id),
    csrf_hash       BYTEA    NOT NULL,
    created_us      BIGINT  NOT NULL,
    last_seen_us    BIGINT  NOT NULL,
    expires_us      BIGINT  NOT NULL
);
CREATE INDEX session_login ON session (login_id);

CREATE TABLE login_throttle (
    subject         BYTEA    PRIMARY KEY,
    failures        BIGINT  NOT NULL,
    locked_until_us BIGINT  NOT NULL,
    updated_us      BIGINT  NOT NULL
);

CREATE INDEX audit_entry_company ON audit_entry (company, seq);
