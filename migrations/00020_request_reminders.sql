-- +goose Up
-- Requests about a child's data remind the agency that filed the case when
-- the deadline to answer is near and when it has passed, once per point.
ALTER TABLE subject_requests ADD COLUMN reminded smallint NOT NULL DEFAULT 0;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest', 'role_granted', 'data_breach', 'data_request'));

-- +goose Down
DELETE FROM notification_deliveries WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'data_request');
DELETE FROM notification_reads WHERE notification_id IN (SELECT id FROM notifications WHERE kind = 'data_request');
DELETE FROM notifications WHERE kind = 'data_request';
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('warning', 'breach', 'new_work', 'escalation', 'digest', 'role_granted', 'data_breach'));
ALTER TABLE subject_requests DROP COLUMN reminded;
