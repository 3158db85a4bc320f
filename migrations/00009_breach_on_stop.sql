-- +goose Up
-- A clock stopped after its due time is a breach, whatever its timer did.
-- Clocks recorded before the stopping transaction marked such breaches (a
-- report logged after its emergency clock had run out, a late step recorded
-- before the timer ran) are marked now, each with the history row the
-- service writes for a breach; no notification is sent for the past.
INSERT INTO case_history (case_id, version, event, from_state, to_state, data, at, kind)
SELECT k.case_id, c.version, 'clock_breached', c.state, c.state,
    jsonb_strip_nulls(jsonb_build_object('clock', k.clock, 'due_at', to_char(k.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'instance', nullif(k.instance, ''), 'stopped_late_by', nullif(k.stopped_by_event, ''), 'migrated', true)),
    k.stopped_at, 'clock'
FROM case_clocks k JOIN cases c ON c.id = k.case_id
WHERE k.status = 'stopped' AND k.stopped_at > k.due_at;

UPDATE case_clocks SET status = 'breached', breached_at = stopped_at
WHERE status = 'stopped' AND stopped_at > due_at;

-- +goose Down
-- The breaches are facts about the past and stay: nothing to undo.
SELECT 1;
