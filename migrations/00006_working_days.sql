-- +goose Up
-- The government swaps days: a Friday becomes a day off and a Saturday a
-- working day in its place (26/4/2025 for 2/5/2025, 10/1/2026 for
-- 2/1/2026, 22/8/2026 for 31/8/2026). A row with working = true marks a
-- weekend day as a working day; every other row is a day off. Each row says
-- where it comes from and whether a source confirmed it.
ALTER TABLE holidays ADD COLUMN working boolean NOT NULL DEFAULT false,
    ADD COLUMN verified boolean NOT NULL DEFAULT true,
    ADD COLUMN source text NOT NULL DEFAULT '';

-- The reading of Điều 134 each clock's due time was computed under (see
-- calendar.Policy): shown beside the due time. Clocks computed before the
-- readings were a choice were computed leniently.
ALTER TABLE case_clocks ADD COLUMN calendar_policy text NOT NULL DEFAULT 'lenient';
ALTER TABLE case_clocks ALTER COLUMN calendar_policy SET DEFAULT 'strict';

-- +goose Down
ALTER TABLE case_clocks DROP COLUMN calendar_policy;
ALTER TABLE holidays DROP COLUMN source, DROP COLUMN verified, DROP COLUMN working;
