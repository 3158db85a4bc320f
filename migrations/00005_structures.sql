-- +goose Up
-- A province's administrative structure changes over time, and codes are
-- reused: 11953 is Phường Hiến Nam until 30 June 2025 and Phường Phố Hiến
-- since. A unit is therefore its code and its first day, and a path names
-- units by id, so that "every unit under X" stays a prefix match across
-- structures.
ALTER TABLE units DROP CONSTRAINT units_code_key;
ALTER TABLE units ADD CONSTRAINT units_code_from_key UNIQUE (code, valid_from);

WITH RECURSIVE tree AS (
    SELECT id, '/' || id || '/' AS path FROM units WHERE parent_id IS NULL
    UNION ALL
    SELECT u.id, tree.path || u.id || '/' FROM units u JOIN tree ON u.parent_id = tree.id
)
UPDATE units SET path = tree.path FROM tree WHERE tree.id = units.id AND units.path <> tree.path;
UPDATE cases SET unit_path = u.path FROM units u WHERE u.id = cases.commune_id AND cases.unit_path <> u.path;
UPDATE notifications n SET unit_path = c.unit_path FROM cases c WHERE c.id = n.case_id AND n.unit_path <> c.unit_path;

-- The structures of a province, each valid over a span of days.
CREATE TABLE structures (
    province_id  bigint NOT NULL REFERENCES units (id),
    id           text NOT NULL,
    label        text NOT NULL DEFAULT '',
    label_en     text NOT NULL DEFAULT '',
    valid_from   date NOT NULL,
    valid_to     date,
    PRIMARY KEY (province_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);

-- Which unit each unit became, in whole or in part, when it ended. A case of
-- a former unit counts, and is referred, under its main successor.
CREATE TABLE unit_successions (
    from_unit_id  bigint NOT NULL REFERENCES units (id),
    to_unit_id    bigint NOT NULL REFERENCES units (id),
    effective     date NOT NULL,
    portion       text NOT NULL CHECK (portion IN ('full', 'partial', 'remaining')),
    main          boolean NOT NULL,
    verified      boolean NOT NULL,
    basis         text NOT NULL DEFAULT '',
    PRIMARY KEY (from_unit_id, to_unit_id)
);
CREATE UNIQUE INDEX unit_successions_main_idx ON unit_successions (from_unit_id) WHERE main;

-- Agencies act over a span of days: the district police until 28 February
-- 2025, the regional courts since 1 July 2025.
ALTER TABLE agencies ADD COLUMN valid_from date NOT NULL DEFAULT DATE '2020-01-01',
    ADD COLUMN valid_to date, ADD CONSTRAINT agencies_valid_check CHECK (valid_to IS NULL OR valid_to >= valid_from);
ALTER TABLE agencies ALTER COLUMN valid_from DROP DEFAULT;

-- The jurisdiction table: which agency of a type serves the communes under a
-- unit, in one structure, over a span of days. The most specific primary row
-- is chosen; a row that is not primary is an agency a user may name.
-- Seeded rows are added, never overwritten: an administrator's correction
-- (ending a row, adding another) survives the next seed.
CREATE TABLE jurisdiction (
    id           bigserial PRIMARY KEY,
    province_id  bigint NOT NULL REFERENCES units (id),
    structure    text NOT NULL,
    unit_id      bigint NOT NULL REFERENCES units (id),
    agency_type  text NOT NULL,
    agency_id    bigint NOT NULL REFERENCES agencies (id),
    is_primary   boolean NOT NULL,
    verified     boolean NOT NULL,
    valid_from   date NOT NULL,
    valid_to     date,
    source       text NOT NULL DEFAULT '',
    origin       text NOT NULL CHECK (origin IN ('seed', 'admin')),
    -- A withdrawn row is kept (the seed would add it back if it were
    -- deleted) but never chosen.
    withdrawn_at timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    FOREIGN KEY (province_id, structure) REFERENCES structures (province_id, id),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE UNIQUE INDEX jurisdiction_seed_key ON jurisdiction (structure, unit_id, agency_type, agency_id, valid_from);
CREATE INDEX jurisdiction_lookup_idx ON jurisdiction (agency_type, structure, unit_id);

-- +goose Down
DROP TABLE jurisdiction;
ALTER TABLE agencies DROP CONSTRAINT agencies_valid_check, DROP COLUMN valid_to, DROP COLUMN valid_from;
DROP TABLE unit_successions;
DROP TABLE structures;
ALTER TABLE units DROP CONSTRAINT units_code_from_key;
ALTER TABLE units ADD CONSTRAINT units_code_key UNIQUE (code);
