-- +goose Up
-- Alerts that reach people: new work for an agency, and a delivery row per
-- recipient and channel for every notification, written in the transaction
-- that makes the notification, delivered by the worker through the outbox.

-- New work (a case referred or returned to an agency) is a notification
-- without a clock; its generation is the case version that made it.
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest'));
-- A daily digest is about an agency's cases, not one case.
ALTER TABLE notifications ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN clock_id DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN due_at DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN legal_basis text NOT NULL DEFAULT '';
-- level: the rung of the escalation ladder an escalation is (1, 2, ...).
ALTER TABLE notifications ADD COLUMN level smallint NOT NULL DEFAULT 0;
-- An acknowledgement of a breach or an escalation, by the agency told of it.
ALTER TABLE notifications ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE notifications ADD COLUMN acknowledged_by bigint REFERENCES users (id);
DROP INDEX notifications_once_idx;
CREATE UNIQUE INDEX notifications_once_idx ON notifications (coalesce(case_id, 0), coalesce(clock_id, 0), generation, kind, audience,
    coalesce(agency_id, 0), level);

-- The escalation ladder a clock climbs, copied from its workflow when it
-- starts (as notify is), the rung reached, when the next is due (NULL: none
-- left, or the breach was acknowledged or mended), and the acknowledgement.
ALTER TABLE case_clocks ADD COLUMN escalation jsonb NOT NULL DEFAULT '[]';
ALTER TABLE case_clocks ADD COLUMN escalation_level int NOT NULL DEFAULT 0;
ALTER TABLE case_clocks ADD COLUMN escalate_at timestamptz;
ALTER TABLE case_clocks ADD COLUMN acknowledged_at timestamptz;
ALTER TABLE case_clocks ADD COLUMN acknowledged_by bigint REFERENCES users (id);
ALTER TABLE case_clocks ADD COLUMN ack_note_enc text NOT NULL DEFAULT '';
CREATE INDEX case_clocks_escalate_idx ON case_clocks (escalate_at) WHERE escalate_at IS NOT NULL;
-- Escalated clocks by commune and due time, for the compliance figure.
CREATE INDEX case_clocks_escalated_cx ON case_clocks (commune_id, due_at) INCLUDE (case_id, responsible_agency, clock)
    WHERE escalation_level > 0;

-- Where an agency or a person is reached: an e-mail address or a phone
-- (SMS / Zalo through the gateway), for the kinds of notification wanted
-- (empty: all). A person's quiet hours hold back warnings and new work,
-- never breaches.
CREATE TABLE contact_points (
    id          bigserial PRIMARY KEY,
    agency_id   bigint REFERENCES agencies (id),
    user_id     bigint REFERENCES users (id),
    channel     text NOT NULL CHECK (channel IN ('email', 'sms')),
    address     text NOT NULL,
    kinds       text[] NOT NULL DEFAULT '{}',
    quiet_from  smallint CHECK (quiet_from BETWEEN 0 AND 23),
    quiet_to    smallint CHECK (quiet_to BETWEEN 0 AND 23),
    created_at  timestamptz NOT NULL,
    CHECK ((agency_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX contact_points_agency_idx ON contact_points (agency_id, channel, address) WHERE agency_id IS NOT NULL;
CREATE UNIQUE INDEX contact_points_user_idx ON contact_points (user_id, channel, address) WHERE user_id IS NOT NULL;

-- One row per notification, channel and address: what was sent, when, and
-- how the last attempt went. dead: every retry failed.
CREATE TABLE notification_deliveries (
    id               bigserial PRIMARY KEY,
    notification_id  bigint NOT NULL REFERENCES notifications (id),
    channel          text NOT NULL CHECK (channel IN ('email', 'sms')),
    address          text NOT NULL,
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    attempts         int NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    not_before       timestamptz NOT NULL,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz
);
CREATE UNIQUE INDEX notification_deliveries_once_idx ON notification_deliveries (notification_id, channel, address);
CREATE INDEX notification_deliveries_dead_idx ON notification_deliveries (id) WHERE status = 'dead';

-- +goose Down
DROP TABLE notification_deliveries, contact_points;
DROP INDEX case_clocks_escalate_idx, case_clocks_escalated_cx, notifications_once_idx;
ALTER TABLE case_clocks DROP COLUMN escalation, DROP COLUMN escalation_level, DROP COLUMN escalate_at,
    DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by, DROP COLUMN ack_note_enc;
DELETE FROM notification_reads WHERE notification_id IN (SELECT id FROM notifications WHERE kind IN ('new_work', 'escalation', 'digest'));
DELETE FROM notifications WHERE kind IN ('new_work', 'escalation', 'digest');
ALTER TABLE notifications DROP COLUMN level, DROP COLUMN acknowledged_at, DROP COLUMN acknowledged_by, DROP COLUMN legal_basis;
ALTER TABLE notifications ALTER COLUMN case_id SET NOT NULL;
ALTER TABLE notifications ALTER COLUMN due_at SET NOT NULL;
ALTER TABLE notifications ALTER COLUMN clock_id SET NOT NULL;
CREATE UNIQUE INDEX notifications_once_idx ON notifications (clock_id, generation, kind, audience, coalesce(agency_id, 0));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('warning', 'breach'));
