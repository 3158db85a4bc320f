-- +goose Up
-- The relay claims outbox rows for a short lease, hands them to the queue
-- with no transaction open, then marks them relayed: claimed_until keeps
-- another relay off rows being sent, and lets them go if the relay dies.
ALTER TABLE outbox ADD COLUMN claimed_until timestamptz;

-- Each statement that writes outbox rows wakes the relays when its
-- transaction commits (Postgres folds the notices of one transaction into
-- one), so that they need not poll.
-- +goose StatementBegin
CREATE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('caseflow_outbox', '');
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();

-- +goose Down
DROP TRIGGER outbox_wake ON outbox;
DROP FUNCTION outbox_wake();
ALTER TABLE outbox DROP COLUMN claimed_until;
