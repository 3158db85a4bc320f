-- +goose Up
-- The compliance roll-up (internal/postgres/rollup.go).
--
-- compliance_queue: the cases whose rows changed since they were last rolled
-- up, one row per writing statement, written by the triggers below in the
-- transaction of the change.
CREATE TABLE compliance_queue (
    id       bigserial PRIMARY KEY,
    case_id  bigint NOT NULL
);

-- compliance_case_items: each case's settled items as last rolled up,
-- counted per indicator, commune, agency (0: none), key and day (in
-- Vietnam). What the roll-up holds for the case, so that a change replaces
-- it. No primary key: a roll-up deletes a case's rows and inserts the new
-- ones in one statement.
CREATE TABLE compliance_case_items (
    case_id     bigint NOT NULL,
    ind         text NOT NULL,
    commune_id  bigint NOT NULL,
    agency_id   bigint NOT NULL,
    key         text NOT NULL,
    day         date NOT NULL,
    num         bigint NOT NULL,
    den         bigint NOT NULL
);
CREATE INDEX compliance_case_items_case_idx ON compliance_case_items (case_id);

-- compliance_rollup: the sums of compliance_case_items by day (grain 'd'),
-- month (grain 'm', bucket the first of the month) and year (grain 'y',
-- bucket 1 January).
CREATE TABLE compliance_rollup (
    commune_id  bigint NOT NULL,
    grain       char(1) NOT NULL CHECK (grain IN ('d', 'm', 'y')),
    bucket      date NOT NULL,
    ind         text NOT NULL,
    agency_id   bigint NOT NULL,
    key         text NOT NULL,
    num         bigint NOT NULL,
    den         bigint NOT NULL,
    PRIMARY KEY (commune_id, grain, bucket, ind, agency_id, key)
);
-- The year-on-year change reads the year before the period on its own.
CREATE INDEX compliance_rollup_yoy_idx ON compliance_rollup (commune_id, grain, bucket) INCLUDE (agency_id, key, den)
    WHERE ind = 'yoy_change';

-- The running clocks of each type of agency, by case: a report counts the
-- court's open items live from them.
CREATE INDEX case_clocks_running_type_cx ON case_clocks (responsible_type, case_id) WHERE status = 'running';
-- The running clocks by role and start: the pending items of a report.
CREATE INDEX case_clocks_running_started_cx ON case_clocks (role, commune_id, started_at) INCLUDE (due_at) WHERE status = 'running';

-- +goose StatementBegin
CREATE FUNCTION compliance_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'cases' THEN
        INSERT INTO compliance_queue (case_id) SELECT DISTINCT id FROM changed;
    ELSE
        INSERT INTO compliance_queue (case_id) SELECT DISTINCT case_id FROM changed;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER cases_compliance_ins AFTER INSERT ON cases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER cases_compliance_upd AFTER UPDATE ON cases
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_people_compliance_ins AFTER INSERT ON case_people
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_people_compliance_upd AFTER UPDATE ON case_people
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_people_compliance_del AFTER DELETE ON case_people
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_clocks_compliance_ins AFTER INSERT ON case_clocks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_clocks_compliance_upd AFTER UPDATE ON case_clocks
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_history_compliance_ins AFTER INSERT ON case_history
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();
CREATE TRIGGER case_history_compliance_upd AFTER UPDATE ON case_history
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION compliance_enqueue();

-- Every existing case is rolled up by the worker.
INSERT INTO compliance_queue (case_id) SELECT id FROM cases ORDER BY id;

-- +goose Down
DROP TRIGGER cases_compliance_ins ON cases;
DROP TRIGGER cases_compliance_upd ON cases;
DROP TRIGGER case_people_compliance_ins ON case_people;
DROP TRIGGER case_people_compliance_upd ON case_people;
DROP TRIGGER case_people_compliance_del ON case_people;
DROP TRIGGER case_clocks_compliance_ins ON case_clocks;
DROP TRIGGER case_clocks_compliance_upd ON case_clocks;
DROP TRIGGER case_history_compliance_ins ON case_history;
DROP TRIGGER case_history_compliance_upd ON case_history;
DROP FUNCTION compliance_enqueue();
DROP INDEX case_clocks_running_type_cx, case_clocks_running_started_cx;
DROP TABLE compliance_rollup, compliance_case_items, compliance_queue;
