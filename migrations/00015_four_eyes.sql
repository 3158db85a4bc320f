-- +goose Up
-- Four eyes on every grant of a role that reads children's personal data:
-- the administrator who asks cannot approve. An account created with such a
-- role waits (approved_at is NULL) and cannot log in; a change of an
-- existing account's role or agency waits as a pending grant while the
-- account keeps what it had.
ALTER TABLE users ADD COLUMN approved_at timestamptz DEFAULT now();
UPDATE users SET approved_at = created_at;

CREATE TABLE role_grants (
    id            bigserial PRIMARY KEY,
    user_id       bigint NOT NULL REFERENCES users (id),
    role          text NOT NULL,
    agency_id     bigint NOT NULL REFERENCES agencies (id),
    requested_by  bigint NOT NULL REFERENCES users (id),
    requested_at  timestamptz NOT NULL,
    decided_by    bigint REFERENCES users (id),
    decided_at    timestamptz,
    decision      text CHECK (decision IN ('approved', 'refused')),
    reason        text NOT NULL DEFAULT '',
    CHECK ((decided_at IS NULL) = (decision IS NULL)),
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
-- One pending grant per account.
CREATE UNIQUE INDEX role_grants_pending_idx ON role_grants (user_id) WHERE decided_at IS NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest', 'role_granted'));

-- +goose Down
DELETE FROM notification_deliveries WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'role_granted');
DELETE FROM notification_reads WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'role_granted');
DELETE FROM notifications WHERE kind = 'role_granted';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest'));
DROP TABLE role_grants;
ALTER TABLE users DROP COLUMN approved_at;
