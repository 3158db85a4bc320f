-- +goose Up
-- A history row's at is when the act happened: the date of the decision as
-- the user stated it (occurred_at), or the moment it was recorded. When the
-- two differ, recorded_at keeps the moment of recording and, for an entry
-- made later than the workflow allows without one, late_reason_enc its
-- sealed reason. NULL recorded_at means the act was recorded as it happened.
ALTER TABLE case_history ADD COLUMN recorded_at timestamptz,
    ADD COLUMN late_reason_enc text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE case_history DROP COLUMN late_reason_enc, DROP COLUMN recorded_at;
