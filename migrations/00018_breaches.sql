-- +goose Up
-- Suspected breaches of personal data, as an administrator records them,
-- with the fields of the notice to the specialised agency (A05) and its
-- 72-hour deadline from detection (Decree 356/2025/NĐ-CP; W). What may
-- describe people is sealed with the key ring.
CREATE TABLE data_breaches (
    id                   bigserial PRIMARY KEY,
    detected_at          timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL,
    recorded_by          bigint NOT NULL REFERENCES users (id),
    unit_path            text NOT NULL,
    description_enc      text NOT NULL,
    data_categories      text[] NOT NULL DEFAULT '{}',
    subjects_estimate    int,
    records_estimate     int,
    consequences_enc     text NOT NULL DEFAULT '',
    measures_enc         text NOT NULL DEFAULT '',
    contact              text NOT NULL DEFAULT '',
    notify_due_at        timestamptz NOT NULL,
    notified_at          timestamptz,
    notified_by          bigint REFERENCES users (id),
    authority_reference  text NOT NULL DEFAULT '',
    reminded             smallint NOT NULL DEFAULT 0
);
CREATE INDEX data_breaches_open_idx ON data_breaches (notify_due_at) WHERE notified_at IS NULL;

ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest', 'role_granted', 'data_breach'));

-- +goose Down
DELETE FROM notification_deliveries WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'data_breach');
DELETE FROM notification_reads WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'data_breach');
DELETE FROM notifications WHERE kind = 'data_breach';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest', 'role_granted'));
DROP TABLE data_breaches;
