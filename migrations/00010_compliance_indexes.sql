-- +goose Up
-- What court resolution and the share of cases with a support plan look up
-- per case: whether a verdict, the court's disposal or a plan was recorded.
CREATE INDEX case_history_outcome_roles_cx ON case_history (case_id, at)
    WHERE kind = 'transition' AND roles && '{verdict,court_disposal,plan_drafted}';
-- Clocks still running past their due time, which count as breaches before
-- the worker marks them, are read through case_clocks_due_idx.

-- +goose Down
DROP INDEX case_history_outcome_roles_cx;
