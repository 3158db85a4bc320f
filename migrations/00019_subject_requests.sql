-- +goose Up
-- Requests by a child's representative about the child's personal data
-- (Law 91/2025/QH15; Decree 356/2025/NĐ-CP): access, correction,
-- restriction, objection, erasure. Each has a deadline to acknowledge and
-- one to answer, in working days from the request on the legal calendar.
-- Who asked, what they asked and why a request was refused are sealed with
-- the case's data key.
CREATE TABLE subject_requests (
    id                   bigserial PRIMARY KEY,
    case_id              bigint NOT NULL REFERENCES cases (id),
    kind                 text NOT NULL CHECK (kind IN ('access', 'correction', 'restriction', 'objection', 'erasure')),
    requested_at         timestamptz NOT NULL,
    recorded_at          timestamptz NOT NULL,
    recorded_by          bigint NOT NULL REFERENCES users (id),
    requester_enc        text NOT NULL DEFAULT '',
    details_enc          text NOT NULL DEFAULT '',
    acknowledge_due_at   timestamptz NOT NULL,
    respond_due_at       timestamptz NOT NULL,
    decision             text CHECK (decision IN ('approved', 'refused')),
    decided_at           timestamptz,
    decided_by           bigint REFERENCES users (id),
    refusal_reason_enc   text NOT NULL DEFAULT '',
    exported_at          timestamptz,
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX subject_requests_case_idx ON subject_requests (case_id, id);

-- +goose Down
DROP TABLE subject_requests;
