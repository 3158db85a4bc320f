-- +goose Up
-- The government swaps days: a Friday becomes a day off and a Saturday a
-- working day in its place (26/4/2025 for 2/5/2025, 10/1/2026 for
-- 2/1/2026, 22/8/2026 for 31/8/2026). A row with working = true marks a
-- weekend day as a working day; every other row is a day off. Each row says
-- where it comes from and whether a source confirmed it.
ALTER TABLE holidays ADD COLUMN working boolean NOT NULL DEFAULT false,
    ADD COLUMN verified boolean NOT NULL DEFAULT true,
    ADD COLUMN source text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE holidays DROP COLUMN source, DROP COLUMN verified, DROP COLUMN working;
