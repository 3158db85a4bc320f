-- +goose Up
-- Reports the police received themselves (workflow v2's police intake) count
-- as received by the police: the intake figure reads their intake rows.
CREATE INDEX case_history_police_intake_cx ON case_history (commune_id, at) INCLUDE (case_id, agency_id)
    WHERE kind = 'transition' AND from_state = '' AND roles && '{police_acceptance}';

-- +goose Down
DROP INDEX case_history_police_intake_cx;
