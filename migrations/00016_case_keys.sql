-- +goose Up
-- Per-case data keys (envelope encryption). Every personal value of a case
-- is sealed with the case's own data key, which the key ring's active
-- master key wraps. Erasing the wrapped key (shredding) makes every value
-- of the case unreadable wherever it is stored, the append-only history
-- included, while codes, states, dates and statistics remain.
CREATE TABLE case_keys (
    case_id       bigint PRIMARY KEY REFERENCES cases (id),
    wrapped       text NOT NULL DEFAULT '',  -- '' once shredded
    kek_id        text NOT NULL DEFAULT '',  -- the master key that wraps it
    created_at    timestamptz NOT NULL,
    rewrapped_at  timestamptz,
    shredded_at   timestamptz,
    CHECK ((shredded_at IS NULL) = (wrapped <> ''))
);
CREATE INDEX case_keys_kek_idx ON case_keys (kek_id) WHERE shredded_at IS NULL;

-- The history stays append-only, with one exception: a value sealed with
-- the key ring before data keys existed may be sealed again under the
-- case's data key (the same text, another key), by a session that says so,
-- and nothing else in the row may change.
-- +goose StatementBegin
CREATE FUNCTION history_reseal_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND current_setting('caseflow.reseal', true) = 'on'
       AND (to_jsonb(OLD) - 'note_enc' - 'data_enc' - 'late_reason_enc')
         = (to_jsonb(NEW) - 'note_enc' - 'data_enc' - 'late_reason_enc') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
DROP TRIGGER case_history_append_only ON case_history;
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION history_reseal_only();

-- +goose Down
DROP TRIGGER case_history_append_only ON case_history;
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON case_history
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
DROP FUNCTION history_reseal_only();
DROP TABLE case_keys;
