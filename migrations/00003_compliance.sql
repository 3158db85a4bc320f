-- +goose Up
-- Compliance against the plan's targets (DESIGN §4, docs/compliance.md) is
-- counted in SQL over clock and history rows, never by loading cases.

-- Each clock and history row carries its case's commune, copied once when the
-- row is written, so that a figure for a unit is an index range scan with no
-- join to cases. A case never changes commune, so the copy never goes stale.
ALTER TABLE case_clocks ADD COLUMN commune_id bigint;
ALTER TABLE case_history ADD COLUMN commune_id bigint;

-- +goose StatementBegin
CREATE FUNCTION copy_case_commune() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.commune_id INTO NEW.commune_id FROM cases c WHERE c.id = NEW.case_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER case_clocks_commune BEFORE INSERT ON case_clocks
    FOR EACH ROW WHEN (NEW.commune_id IS NULL) EXECUTE FUNCTION copy_case_commune();
CREATE TRIGGER case_history_commune BEFORE INSERT ON case_history
    FOR EACH ROW WHEN (NEW.commune_id IS NULL) EXECUTE FUNCTION copy_case_commune();

UPDATE case_clocks k SET commune_id = c.commune_id FROM cases c WHERE c.id = k.case_id;
-- History is append-only; filling a derived column once is not a change of
-- what was recorded, so the guard is lifted for this statement only.
ALTER TABLE case_history DISABLE TRIGGER case_history_append_only;
UPDATE case_history h SET commune_id = c.commune_id FROM cases c WHERE c.id = h.case_id;
ALTER TABLE case_history ENABLE TRIGGER case_history_append_only;
ALTER TABLE case_clocks ALTER COLUMN commune_id SET NOT NULL;
ALTER TABLE case_history ALTER COLUMN commune_id SET NOT NULL;

-- The one structured value of an event that a compliance figure turns on,
-- kept next to the event so that the figure is read from an index alone:
-- for decide_prosecution whether the crime is very or especially serious,
-- for decline_prosecution whether the report had signs of a crime, for
-- record_verdict whether the court upheld the charge; NULL for other events.
ALTER TABLE case_history ADD COLUMN compliance_flag boolean GENERATED ALWAYS AS (
    CASE event
        WHEN 'decide_prosecution' THEN data->>'crime_category' IN ('very_serious', 'especially_serious')
        WHEN 'decline_prosecution' THEN data->>'crime_signs' = 'true'
        WHEN 'record_verdict' THEN data->>'charge_upheld' = 'true'
    END) STORED;

-- A child's age in whole years on the day the report was received, computed
-- at intake from the date of birth (which stays encrypted) or the age given.
-- Circular 13/2021 indicator 0101 counts abused children by age group.
-- Children filed before this column existed with only a date of birth have
-- no age here and count as "age unknown".
ALTER TABLE case_people ADD COLUMN age_at_report int
    CHECK (age_at_report IS NULL OR age_at_report BETWEEN 0 AND 120);
UPDATE case_people SET age_at_report = age WHERE age IS NOT NULL;

-- Indicator 0101 also counts children by their case's commune, day of
-- receipt, setting and abuse types. Intake fixes all four and nothing
-- changes them, so each person row carries a copy, written with it: the
-- breakdown is then one index-only scan, with no join to cases.
ALTER TABLE case_people ADD COLUMN commune_id bigint, ADD COLUMN received_at timestamptz,
    ADD COLUMN setting text, ADD COLUMN abuse_types text[];
-- +goose StatementBegin
CREATE FUNCTION copy_case_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.commune_id, c.received_at, c.setting, c.abuse_types
        INTO NEW.commune_id, NEW.received_at, NEW.setting, NEW.abuse_types
        FROM cases c WHERE c.id = NEW.case_id;
    RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER case_people_facts BEFORE INSERT ON case_people
    FOR EACH ROW WHEN (NEW.commune_id IS NULL) EXECUTE FUNCTION copy_case_facts();
UPDATE case_people p SET commune_id = c.commune_id, received_at = c.received_at, setting = c.setting,
    abuse_types = c.abuse_types FROM cases c WHERE c.id = p.case_id;
ALTER TABLE case_people ALTER COLUMN commune_id SET NOT NULL, ALTER COLUMN received_at SET NOT NULL,
    ALTER COLUMN setting SET NOT NULL, ALTER COLUMN abuse_types SET NOT NULL;

-- Clocks by kind, commune and the date that puts them in a period: a unit's
-- figures read the ranges of its communes only, and every column an
-- indicator reads is in the index, so the counts are index-only scans.
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
CREATE INDEX case_clocks_breached_cx ON case_clocks (commune_id, due_at)
    INCLUDE (clock, responsible_agency, stopped_at, case_id)
    WHERE status = 'breached';
CREATE INDEX case_history_compliance_cx ON case_history (event, commune_id, at)
    INCLUDE (agency_id, case_id, compliance_flag)
    WHERE kind = 'transition' AND event IN ('decide_prosecution', 'decline_prosecution', 'record_verdict');
CREATE INDEX case_history_cleared_cx ON case_history (case_id) INCLUDE (at)
    WHERE kind = 'transition' AND event = 'record_case_cleared';
CREATE INDEX cases_received_cx ON cases (commune_id, received_at);
CREATE INDEX case_people_child_cx ON case_people (commune_id, received_at)
    INCLUDE (sex, age_at_report, setting, abuse_types) WHERE kind = 'child';
-- Investigations still running, for telling a pending clearance from a failed one.
CREATE INDEX case_clocks_running_cx ON case_clocks (clock, due_at) INCLUDE (case_id) WHERE status = 'running';

-- +goose Down
DROP INDEX case_clocks_running_cx, case_people_child_cx, cases_received_cx, case_history_cleared_cx, case_history_compliance_cx,
    case_clocks_breached_cx, case_clocks_stopped_cx, case_clocks_due_cx, case_clocks_started_cx;
DROP TRIGGER case_people_facts ON case_people;
DROP FUNCTION copy_case_facts();
ALTER TABLE case_people DROP COLUMN age_at_report, DROP COLUMN commune_id, DROP COLUMN received_at,
    DROP COLUMN setting, DROP COLUMN abuse_types;
ALTER TABLE case_history DROP COLUMN compliance_flag;
DROP TRIGGER case_history_commune ON case_history;
DROP TRIGGER case_clocks_commune ON case_clocks;
DROP FUNCTION copy_case_commune();
ALTER TABLE case_history DROP COLUMN commune_id;
ALTER TABLE case_clocks DROP COLUMN commune_id;
