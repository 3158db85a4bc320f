-- +goose Up
-- Administrative units: province, district, commune. A unit belongs to one
-- structure (the 2021 one with districts, or the one since 1 July 2025) and
-- carries its validity dates; path lists the codes from the province down so
-- that "every unit under X" is a prefix match.
CREATE TABLE units (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    level       text NOT NULL CHECK (level IN ('province', 'district', 'commune')),
    parent_id   bigint REFERENCES units (id),
    path        text NOT NULL,
    structure   text NOT NULL,
    remote      boolean NOT NULL DEFAULT false,
    valid_from  date NOT NULL,
    valid_to    date,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX units_path_idx ON units (path text_pattern_ops);

CREATE TABLE agencies (
    id          bigserial PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    name_en     text NOT NULL DEFAULT '',
    type        text NOT NULL CHECK (type IN ('commune_child_protection', 'police', 'health', 'procuracy',
                     'court', 'social_services', 'legal_aid', 'education', 'mass_organisation', 'supervision')),
    unit_id     bigint NOT NULL REFERENCES units (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agencies_unit_idx ON agencies (unit_id, type);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    display_name  text NOT NULL DEFAULT '',
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('commune_officer', 'police', 'health', 'prosecutor', 'court',
                       'social_worker', 'legal_aid', 'supervisor', 'admin')),
    agency_id     bigint NOT NULL REFERENCES agencies (id),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Sessions keep only a keyed hash of the bearer token.
CREATE TABLE sessions (
    id          bigserial PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    user_id     bigint NOT NULL REFERENCES users (id),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- Case codes are numbered per prefix and year. Each number is taken by one
-- atomic upsert, so codes are unique under any concurrency (a failed intake
-- leaves a gap).
CREATE TABLE case_counters (
    prefix  text NOT NULL,
    year    int NOT NULL,
    last    bigint NOT NULL,
    PRIMARY KEY (prefix, year)
);

-- Cases. Personal data lives in case_people and in the *_enc columns, each
-- value sealed with AES-256-GCM ("v1.<key id>.<base64>").
CREATE TABLE cases (
    id                bigserial PRIMARY KEY,
    code              text NOT NULL UNIQUE,
    workflow_id       text NOT NULL,
    workflow_version  int NOT NULL,
    state             text NOT NULL,
    version           int NOT NULL DEFAULT 1 CHECK (version >= 1),
    commune_id        bigint NOT NULL REFERENCES units (id),
    unit_path         text NOT NULL,
    received_at       timestamptz NOT NULL,
    channel           text NOT NULL,
    abuse_types       text[] NOT NULL,
    setting           text NOT NULL,
    immediate_danger  boolean NOT NULL,
    crime_category    text NOT NULL DEFAULT '',
    outcome           text NOT NULL DEFAULT '',
    narrative_enc     text NOT NULL DEFAULT '',
    data              jsonb NOT NULL DEFAULT '{}',
    filed_by          bigint NOT NULL REFERENCES users (id),
    filing_agency_id  bigint NOT NULL REFERENCES agencies (id),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    closed_at         timestamptz
);
CREATE INDEX cases_unit_path_idx ON cases (unit_path text_pattern_ops, received_at);
CREATE INDEX cases_received_idx ON cases (received_at);
CREATE INDEX cases_state_idx ON cases (state);

CREATE TABLE case_people (
    id                 bigserial PRIMARY KEY,
    case_id            bigint NOT NULL REFERENCES cases (id),
    kind               text NOT NULL CHECK (kind IN ('child', 'suspect', 'reporter')),
    position           int NOT NULL,
    full_name_enc      text NOT NULL DEFAULT '',
    date_of_birth_enc  text NOT NULL DEFAULT '',
    age                int CHECK (age IS NULL OR age BETWEEN 0 AND 120),
    sex                text NOT NULL DEFAULT '',
    address_enc        text NOT NULL DEFAULT '',
    phone_enc          text NOT NULL DEFAULT '',
    relationship       text NOT NULL DEFAULT '',
    anonymous          boolean NOT NULL DEFAULT false,
    blind_index        bytea
);
CREATE INDEX case_people_case_idx ON case_people (case_id, kind, position);
CREATE INDEX case_people_blind_idx ON case_people (blind_index) WHERE blind_index IS NOT NULL;

-- Which agencies may see a case, and how much. Access is granted by intake
-- and referrals and ended (never deleted) by declines and returns.
CREATE TABLE case_access (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    agency_id   bigint NOT NULL REFERENCES agencies (id),
    scope       text NOT NULL CHECK (scope IN ('full', 'service')),
    reason      text NOT NULL,
    granted_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX case_access_active_idx ON case_access (case_id, agency_id, scope, reason) WHERE revoked_at IS NULL;
CREATE INDEX case_access_agency_idx ON case_access (agency_id, case_id) WHERE revoked_at IS NULL;

-- Every transition of a case and every clock event on it, append-only.
CREATE TABLE case_history (
    id          bigserial PRIMARY KEY,
    case_id     bigint NOT NULL REFERENCES cases (id),
    version     int NOT NULL,
    event       text NOT NULL,
    from_state  text NOT NULL,
    to_state    text NOT NULL,
    actor_id    bigint REFERENCES users (id),
    agency_id   bigint REFERENCES agencies (id),
    note_enc    text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}',
    data_enc    text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    kind        text NOT NULL DEFAULT 'transition' CHECK (kind IN ('transition', 'clock'))
);
-- Transitions have one row per version; clock events (warnings, breaches,
-- extensions) are recorded against the version they happened at.
CREATE UNIQUE INDEX case_history_version_idx ON case_history (case_id, version) WHERE kind = 'transition';
CREATE INDEX case_history_case_idx ON case_history (case_id, id);

CREATE TABLE idempotency_keys (
    user_id       bigint NOT NULL REFERENCES users (id),
    key           text NOT NULL,
    request_hash  bytea NOT NULL,
    case_id       bigint REFERENCES cases (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

CREATE TABLE holidays (
    date  date PRIMARY KEY,
    name  text NOT NULL
);

-- Audit trail. Writers only insert; a trigger refuses UPDATE and DELETE.
-- xid records the writing transaction so that the sealer can tell which
-- entries are committed for good (see audit_seals).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL,
    user_id     bigint,
    username    text NOT NULL DEFAULT '',
    action      text NOT NULL,
    case_code   text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    request_id  text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}',
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE INDEX audit_log_xid_idx ON audit_log (xid);
CREATE INDEX audit_log_case_idx ON audit_log (case_code) WHERE case_code <> '';

-- Each seal commits to every audit entry written by transactions with
-- xid_from <= xid < xid_to (all finished when the seal was made) and to the
-- seal before it, forming a hash chain without a lock on the write path.
CREATE TABLE audit_seals (
    id            bigserial PRIMARY KEY,
    xid_from      xid8 NOT NULL,
    xid_to        xid8 NOT NULL,
    entry_ids     bigint[] NOT NULL,
    entry_hashes  bytea[] NOT NULL,
    prev_hash     bytea NOT NULL,
    hash          bytea NOT NULL,
    sealed_at     timestamptz NOT NULL
);

-- +goose StatementBegin
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- +goose Down
DROP TABLE audit_seals, audit_log, holidays, idempotency_keys, case_history, case_access, case_people,
    cases, case_counters, sessions, users, agencies, units;
DROP FUNCTION refuse_change();
