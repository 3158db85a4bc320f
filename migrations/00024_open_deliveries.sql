-- +goose Up
-- The deliveries not yet sent nor dead, which the worker puts back on the
-- queue when their task was lost with Redis (a failover, a flush).
CREATE INDEX notification_deliveries_open_idx ON notification_deliveries (id) WHERE status IN ('pending', 'failed');

-- +goose Down
DROP INDEX notification_deliveries_open_idx;
