-- +goose Up
-- When several agencies of one type sit on the same unit, the default one
-- receives referrals by jurisdiction (e.g. the forensic centre for health).
ALTER TABLE agencies ADD COLUMN is_default boolean NOT NULL DEFAULT false;

-- Support-service referrals: each with its own status and receiving agency.
CREATE TABLE referrals (
    id            bigserial PRIMARY KEY,
    case_id       bigint NOT NULL REFERENCES cases (id),
    service       text NOT NULL,
    agency_id     bigint NOT NULL REFERENCES agencies (id),
    status        text NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'done')),
    note_enc      text NOT NULL DEFAULT '',
    created_by    bigint NOT NULL REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    responded_at  timestamptz,
    done_at       timestamptz
);
CREATE INDEX referrals_case_idx ON referrals (case_id);
CREATE INDEX referrals_agency_idx ON referrals (agency_id, status);

-- Statutory deadline clocks. Postgres is their record; timers in Redis only
-- say when to look. generation changes whenever the due time changes, so a
-- timer of an older generation does nothing.
CREATE TABLE case_clocks (
    id                  bigserial PRIMARY KEY,
    case_id             bigint NOT NULL REFERENCES cases (id),
    clock               text NOT NULL,
    instance            text NOT NULL DEFAULT '',
    generation          int NOT NULL DEFAULT 1,
    status              text NOT NULL CHECK (status IN ('running', 'stopped', 'breached', 'cancelled')),
    responsible_type    text NOT NULL,
    responsible_agency  bigint REFERENCES agencies (id),
    category            text NOT NULL DEFAULT '',
    limit_rule          text NOT NULL,
    limit_amount        int NOT NULL,
    legal_basis         text NOT NULL,
    notify              text[] NOT NULL DEFAULT '{responsible,supervisors}',
    started_at          timestamptz NOT NULL,
    due_at              timestamptz NOT NULL,
    warn_at             timestamptz NOT NULL,
    warned_at           timestamptz,
    stopped_at          timestamptz,
    stopped_by_event    text NOT NULL DEFAULT '',
    breached_at         timestamptz,
    extensions          jsonb NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX case_clocks_running_idx ON case_clocks (case_id, clock, instance) WHERE status = 'running';
CREATE INDEX case_clocks_due_idx ON case_clocks (due_at) WHERE status = 'running';
CREATE INDEX case_clocks_warn_idx ON case_clocks (warn_at) WHERE status = 'running' AND warned_at IS NULL;
CREATE INDEX case_clocks_case_idx ON case_clocks (case_id);

-- Transactional outbox: rows written with the change that needs them,
-- relayed to the queue afterwards.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    task_id     text NOT NULL,
    payload     jsonb NOT NULL,
    run_at      timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    relayed_at  timestamptz
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE relayed_at IS NULL;

-- Warnings and breaches for the responsible agency and for the supervisors
-- over the case's unit. No personal data: case code, clock, due time.
CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('warning', 'breach')),
    audience    text NOT NULL CHECK (audience IN ('agency', 'supervisors')),
    agency_id   bigint REFERENCES agencies (id),
    unit_path   text NOT NULL,
    case_id     bigint NOT NULL REFERENCES cases (id),
    case_code   text NOT NULL,
    clock_id    bigint NOT NULL REFERENCES case_clocks (id),
    clock       text NOT NULL,
    generation  int NOT NULL,
    due_at      timestamptz NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL
);
-- One notification per clock generation, kind and recipient, however often
-- the timer runs.
CREATE UNIQUE INDEX notifications_once_idx ON notifications (clock_id, generation, kind, audience, coalesce(agency_id, 0));
CREATE INDEX notifications_agency_idx ON notifications (agency_id, created_at DESC);
CREATE INDEX notifications_unit_idx ON notifications (unit_path text_pattern_ops, created_at DESC) WHERE audience = 'supervisors';

CREATE TABLE notification_reads (
    notification_id  bigint NOT NULL REFERENCES notifications (id),
    user_id          bigint NOT NULL REFERENCES users (id),
    read_at          timestamptz NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);

-- +goose Down
DROP TABLE notification_reads, notifications, outbox, case_clocks, referrals;
ALTER TABLE agencies DROP COLUMN is_default;
