-- +goose Up
-- Compliance, referrals and synthetic data read what an event or a clock
-- means — its role, declared by the workflow file (`counts_as`) — never its
-- id, so that a workflow version may rename its events and clocks without
-- changing a figure. The service stores the roles on the rows it writes, in
-- the transaction that records the event.

-- The roles of a recorded event (the conditional ones that held for its
-- data). NULL only on rows recorded before this column existed, until
-- `caseflow migrate` derives them from the loaded workflow definitions.
ALTER TABLE case_history ADD COLUMN roles text[];
ALTER TABLE case_history ALTER COLUMN roles SET DEFAULT '{}';
-- What a clock measures, and the roles of the event that stopped it.
ALTER TABLE case_clocks ADD COLUMN role text, ADD COLUMN stop_roles text[];
ALTER TABLE case_clocks ALTER COLUMN role SET DEFAULT '', ALTER COLUMN stop_roles SET DEFAULT '{}';

-- The flag that named events by id gives way to the conditional roles.
DROP INDEX case_history_compliance_cx, case_history_cleared_cx, case_clocks_started_cx, case_clocks_due_cx,
    case_clocks_stopped_cx, case_clocks_running_cx;
ALTER TABLE case_history DROP COLUMN compliance_flag;

-- Rows whose roles are still to be derived.
CREATE INDEX case_history_underived ON case_history (case_id) WHERE roles IS NULL;
CREATE INDEX case_clocks_underived ON case_clocks (case_id) WHERE role IS NULL OR stop_roles IS NULL;

-- The same index-only scans as before, keyed by role instead of by id.
CREATE INDEX case_clocks_started_cx ON case_clocks (role, commune_id, started_at)
    INCLUDE (responsible_agency, status, due_at, stopped_at, stop_roles, clock, case_id)
    WHERE role IN ('police_acceptance', 'emergency_protection', 'support_plan_draft', 'support_plan_approval');
CREATE INDEX case_clocks_due_cx ON case_clocks (role, commune_id, due_at)
    INCLUDE (responsible_agency, status, stopped_at, stop_roles, clock, case_id)
    WHERE role IN ('resolution', 'trial_preparation_limit');
CREATE INDEX case_clocks_stopped_cx ON case_clocks (role, commune_id, stopped_at)
    INCLUDE (responsible_agency, due_at, stop_roles, clock, case_id)
    WHERE role IN ('resolution', 'indictment_limit') AND stopped_at IS NOT NULL;
CREATE INDEX case_history_roles_cx ON case_history (commune_id, at)
    INCLUDE (agency_id, case_id, roles)
    WHERE kind = 'transition' AND roles && '{prosecution,prosecution_declined,verdict}';
CREATE INDEX case_history_cleared_cx ON case_history (case_id) INCLUDE (at)
    WHERE kind = 'transition' AND 'clearance' = ANY(roles);
CREATE INDEX case_clocks_running_cx ON case_clocks (role, due_at) INCLUDE (case_id) WHERE status = 'running';

-- +goose Down
DROP INDEX case_clocks_running_cx, case_history_cleared_cx, case_history_roles_cx, case_clocks_stopped_cx,
    case_clocks_due_cx, case_clocks_started_cx, case_clocks_underived, case_history_underived;
ALTER TABLE case_history ADD COLUMN compliance_flag boolean GENERATED ALWAYS AS (
    CASE event
        WHEN 'decide_prosecution' THEN data->>'crime_category' IN ('very_serious', 'especially_serious')
        WHEN 'decline_prosecution' THEN data->>'crime_signs' = 'true'
        WHEN 'record_verdict' THEN data->>'charge_upheld' = 'true'
    END) STORED;
ALTER TABLE case_clocks DROP COLUMN role, DROP COLUMN stop_roles;
ALTER TABLE case_history DROP COLUMN roles;
CREATE INDEX case_clocks_started_cx ON case_clocks (clock, commune_id, started_at)
    INCLUDE (responsible_agency, status, due_at, stopped_at, stopped_by_event, case_id)
    WHERE clock IN ('transfer_to_police', 'transfer_to_police_remote', 'emergency_measures', 'support_plan_drafted',
        'support_plan_approved');
CREATE INDEX case_clocks_due_cx ON case_clocks (clock, commune_id, due_at)
    INCLUDE (responsible_agency, status, stopped_at, stopped_by_event, case_id)
    WHERE clock IN ('resolve_report', 'trial_preparation');
CREATE INDEX case_clocks_stopped_cx ON case_clocks (clock, commune_id, stopped_at)
    INCLUDE (responsible_agency, due_at, stopped_by_event, case_id)
    WHERE clock IN ('resolve_report', 'indictment') AND stopped_at IS NOT NULL;
CREATE INDEX case_history_compliance_cx ON case_history (event, commune_id, at)
    INCLUDE (agency_id, case_id, compliance_flag)
    WHERE kind = 'transition' AND event IN ('decide_prosecution', 'decline_prosecution', 'record_verdict');
CREATE INDEX case_history_cleared_cx ON case_history (case_id) INCLUDE (at)
    WHERE kind = 'transition' AND event = 'record_case_cleared';
CREATE INDEX case_clocks_running_cx ON case_clocks (clock, due_at) INCLUDE (case_id) WHERE status = 'running';
