-- +goose Up
-- The legal basis of processing a case's personal data and the consents
-- the law asks for (Law 91/2025/QH15 Điều 19, 24): one row per case, once
-- recorded; a case without one is processed under the legal obligation of
-- reporting and protection. Who gave consent in place of a representative
-- who is the suspect is personal: sealed with the case's data key.
CREATE TABLE case_processing (
    case_id                    bigint PRIMARY KEY REFERENCES cases (id),
    legal_basis                text NOT NULL CHECK (legal_basis IN ('legal_obligation', 'consent')),
    child_consent              text NOT NULL DEFAULT '' CHECK (child_consent IN ('', 'given', 'refused', 'not_required')),
    guardian_consent           text NOT NULL DEFAULT '' CHECK (guardian_consent IN ('', 'given', 'refused', 'not_required')),
    representative_is_suspect  boolean NOT NULL DEFAULT false,
    consent_note_enc           text NOT NULL DEFAULT '',
    updated_at                 timestamptz NOT NULL,
    updated_by                 bigint REFERENCES users (id)
);

-- +goose Down
DROP TABLE case_processing;
