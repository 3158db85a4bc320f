-- +goose Up
-- Every write a client may send again carries an Idempotency-Key (the web
-- forms, a key per form): the key, its caller and route, a hash of the
-- request, and the answer given, so that a retry gets the same answer and
-- the change is made once. applied is set in the transaction of the change
-- itself, so that a retry after a crash between the change and its stored
-- answer knows the change was made. The answer may name a child: it is
-- sealed with the key ring, removed with its case's data when the case is
-- erased, and pruned after a day. (Intake keeps idempotency_keys, claimed
-- inside its own transaction.)
CREATE TABLE request_keys (
    user_id        bigint NOT NULL REFERENCES users (id),
    key            text NOT NULL,
    route          text NOT NULL,
    request_hash   bytea NOT NULL,
    case_code      text NOT NULL DEFAULT '',
    applied        boolean NOT NULL DEFAULT false,
    status         smallint,
    answer_enc     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL,
    claimed_until  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX request_keys_created_idx ON request_keys (created_at);
CREATE INDEX request_keys_case_idx ON request_keys (case_code) WHERE case_code <> '';

-- +goose Down
DROP TABLE request_keys;
