-- +goose Up
-- An item a batch job could not handle — a clock whose warning or breach
-- cannot be written, an outbox row the queue refuses — is set aside here
-- with its error and tried again with backoff, so that it never stops the
-- others; the metrics and the administrators' page show them.
CREATE TABLE stuck_items (
    kind             text NOT NULL CHECK (kind IN ('clock', 'outbox')),
    item_id          bigint NOT NULL,
    failures         int NOT NULL,
    last_error       text NOT NULL,
    first_failed_at  timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    PRIMARY KEY (kind, item_id)
);

-- +goose Down
DROP TABLE stuck_items;
