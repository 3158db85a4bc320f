-- +goose Up
-- What court resolution and the share of cases with a support plan look up
-- per case: whether a verdict, the court's disposal or a plan was recorded.
CREATE INDEX case_history_outcome_roles_cx ON case_history (case_id, at)
    WHERE kind = 'transition' AND roles && '{verdict,court_disposal,plan_drafted}';
-- Clocks still running past their due time count as breaches before the
-- worker marks them.
CREATE INDEX case_clocks_running_due_cx ON case_clocks (due_at) INCLUDE (commune_id)
    WHERE status = 'running';

-- +goose Down
DROP INDEX case_clocks_running_due_cx;
DROP INDEX case_history_outcome_roles_cx;
