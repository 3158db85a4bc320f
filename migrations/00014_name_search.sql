-- +goose Up
-- Finding a case by the child's name without decrypting any: a keyed hash
-- of each child's normalised name (seal.NameIndex), one row per child.
-- It lives beside case_people, not in it, so that indexing the children
-- filed before this table existed does not queue their cases for the
-- compliance roll-up.
CREATE TABLE case_name_index (
    case_id     bigint NOT NULL REFERENCES cases (id),
    position    int NOT NULL,
    name_index  bytea NOT NULL,
    PRIMARY KEY (case_id, position)
);
CREATE INDEX case_name_index_idx ON case_name_index (name_index);

-- +goose Down
DROP TABLE case_name_index;
