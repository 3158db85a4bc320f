package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
	"caseflow/internal/outage"
)

// Warnings and breaches are written set-wise: whether one clock's timer
// fired on time or ten thousand clocks fell due together (a holiday
// backlog, a worker restart, a Redis loss), the clocks are marked with one
// conditional statement and their history rows, notifications, deliveries
// and outbox rows are written with one statement per table, in the
// transaction that marked them. A set of one is the on-time timer.

// clockEventCase is a case as its clock events are recorded against it.
type clockEventCase struct {
	ID      int64
	State   string
	Version int
}

// recordDue marks up to limit running clocks whose warning or due time has
// passed (kind caseflow.NotificationWarning or NotificationBreach) and
// writes their events, all in one transaction. Clocks locked by another
// transaction are skipped, so that several workers share a backlog without
// doing a clock twice; a clock is marked only while running and, for a
// warning, not yet warned, so that nothing is recorded twice however often
// it runs.
func (db *DB) recordDue(ctx context.Context, kind string, limit int) ([]*caseflow.TimerOutcome, error) {
	var outs []*caseflow.TimerOutcome
	err := db.write(ctx, func(tx *gorm.DB) error {
		now := db.now()
		var ks []clockRow
		var err error
		if kind == caseflow.NotificationBreach {
			// Newest clocks first among those due together: the queue runs
			// their timers oldest first, so that each timer that runs finds
			// its own clock still to do and writes the next set, rather than
			// the timers of a set just written running one after another
			// with nothing to do.
			err = tx.Raw(`WITH due AS (
					SELECT id FROM case_clocks WHERE status = 'running' AND due_at <= @now AND `+notStuck+`
					ORDER BY due_at, id DESC LIMIT @limit FOR UPDATE SKIP LOCKED)
				UPDATE case_clocks k SET `+breachSet+` FROM due WHERE k.id = due.id RETURNING `+clockEventColumns,
				map[string]any{"now": now, "limit": limit}).Scan(&ks).Error
		} else {
			// A clock already due gets its breach, not a warning.
			err = tx.Raw(`WITH due AS (
					SELECT id FROM case_clocks WHERE status = 'running' AND warned_at IS NULL AND warn_at <= @now AND due_at > @now
						AND `+notStuck+`
					ORDER BY warn_at LIMIT @limit FOR UPDATE SKIP LOCKED)
				UPDATE case_clocks k SET warned_at = @now FROM due WHERE k.id = due.id RETURNING `+clockEventColumns,
				map[string]any{"now": now, "limit": limit}).Scan(&ks).Error
		}
		if err != nil {
			return err
		}
		outs, err = db.clockEvents(tx, kind, ks, now, "")
		return err
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

// clockEventColumns are the columns of a clock its events are written from.
const clockEventColumns = "k.id, k.case_id, k.clock, k.generation, k.responsible_agency, k.notify, k.warn_at, k.due_at"

// notStuck leaves out of the sets the clocks set aside (see stuck.go).
const notStuck = "NOT EXISTS (SELECT 1 FROM stuck_items s WHERE s.kind = 'clock' AND s.item_id = case_clocks.id)"

// BreachDue records the breaches of up to limit running clocks past their
// due time, set-wise in one transaction, and returns them. If the set
// cannot be written (one clock of it fails), its clocks are recorded one
// by one and those that fail are set aside, so that one bad clock does not
// keep the others from their breach.
func (db *DB) BreachDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error) {
	return db.recordSet(ctx, caseflow.NotificationBreach, limit)
}

func (db *DB) recordSet(ctx context.Context, kind string, limit int) ([]*caseflow.TimerOutcome, error) {
	outs, err := db.recordDue(ctx, kind, limit)
	if err == nil || ctx.Err() != nil || outage.Is(err) {
		// An outage is not the fault of a clock: the set is tried again.
		return outs, err
	}
	return db.recordEach(ctx, kind, limit, err)
}

// ClockDue reads, without locking, when the clock of timer p is due and
// whether it still runs in the timer's generation: a timer whose clock was
// recorded with a set, stopped or extended has nothing left to do.
func (db *DB) ClockDue(ctx context.Context, p caseflow.TimerPayload) (time.Time, bool, error) {
	var rows []struct {
		DueAt   time.Time
		Running bool
	}
	if err := db.gorm.WithContext(ctx).Raw("SELECT due_at, status = 'running' AND generation = ? AS running FROM case_clocks WHERE id = ?",
		p.Generation, p.ClockID).Scan(&rows).Error; err != nil {
		return time.Time{}, false, err
	}
	if len(rows) == 0 {
		return time.Time{}, false, nil
	}
	return rows[0].DueAt, rows[0].Running, nil
}

// WarnDue records the warnings of up to limit running clocks past their
// warning time and not yet due, as BreachDue does breaches.
func (db *DB) WarnDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error) {
	return db.recordSet(ctx, caseflow.NotificationWarning, limit)
}

// clockEvents writes the history rows and notifications (with their
// deliveries) of clocks ks, just marked warned or breached in tx at now; by
// names the event whose late step revealed a breach, or "" for a timer or
// the sweeper. Both are written by one statement from the clock and case
// rows, whatever the size of the set; known, when given, is a case whose
// transition is being written, recorded as it was before it. It returns
// one outcome per clock, in the order of ks.
func (db *DB) clockEvents(tx *gorm.DB, kind string, ks []clockRow, now time.Time, by string, known ...clockEventCase) ([]*caseflow.TimerOutcome, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	ids := make(array[int64], len(ks))
	var communes []int64
	for i, k := range ks {
		ids[i] = k.ID
		if needsJurisdiction(k) {
			communes = append(communes, k.CaseID)
		}
	}
	// The communes are read only for a clock whose notify list names an
	// agency type: the agency with jurisdiction is looked up in Go.
	commune := map[int64]int64{}
	if len(communes) > 0 {
		var rows []struct{ ID, CommuneID int64 }
		if err := tx.Raw("SELECT id, commune_id FROM cases WHERE id = ANY(?)", array[int64](communes)).Scan(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			commune[r.ID] = r.CommuneID
		}
	}
	var audClock, audAgency array[int64]
	resolved := map[string]*int64{}
	for _, k := range ks {
		as, err := db.audiences(tx, k, commune[k.CaseID], now, resolved)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			audClock = append(audClock, k.ID)
			if a == nil {
				audAgency = append(audAgency, 0)
			} else {
				audAgency = append(audAgency, *a)
			}
		}
	}
	event, msg := "clock_warning", warningMessage
	if kind == caseflow.NotificationBreach {
		event, msg = "clock_breached", breachMessage
	}
	var kc clockEventCase
	if len(known) > 0 {
		kc = known[0]
	}
	var added []notificationRow
	if err := tx.Raw(`WITH k AS (
			SELECT k.id, k.case_id, k.clock, k.instance, k.generation, k.due_at, k.legal_basis, c.code, c.unit_path, c.commune_id,
				CASE WHEN c.id = @kcase THEN @kversion ELSE c.version END AS version,
				CASE WHEN c.id = @kcase THEN @kstate ELSE c.state END AS state
			FROM case_clocks k JOIN cases c ON c.id = k.case_id WHERE k.id = ANY(@ids)),
		h AS (
			INSERT INTO case_history (case_id, version, event, from_state, to_state, data, at, kind, commune_id)
			SELECT case_id, version, @event, state, state,
				jsonb_build_object('clock', clock, 'due_at', to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
					|| CASE WHEN instance <> '' THEN jsonb_build_object('instance', instance) ELSE '{}' END
					|| CASE WHEN @by <> '' THEN jsonb_build_object('stopped_late_by', CAST(@by AS text)) ELSE '{}' END,
				@now, 'clock', commune_id
			FROM k)
		INSERT INTO notifications (kind, audience, agency_id, unit_path, case_id, case_code, clock_id, clock, generation,
			due_at, legal_basis, message, created_at)
		SELECT @kind, CASE WHEN a.agency = 0 THEN 'supervisors' ELSE 'agency' END, nullif(a.agency, 0), k.unit_path, k.case_id, k.code,
			k.id, k.clock, k.generation, k.due_at, k.legal_basis,
			format(@msg, k.code, k.clock, to_char(k.due_at AT TIME ZONE @zone, 'DD/MM/YYYY HH24:MI'), k.legal_basis), @now
		FROM unnest(CAST(@aclock AS bigint[]), CAST(@aagency AS bigint[])) AS a(clock_id, agency) JOIN k ON k.id = a.clock_id
		ON CONFLICT DO NOTHING RETURNING id, kind, audience, agency_id, unit_path, clock_id, created_at`,
		map[string]any{"ids": ids, "kcase": kc.ID, "kversion": kc.Version, "kstate": kc.State, "event": event, "by": by, "now": now,
			"kind": kind, "msg": msg, "zone": caseflow.Zone.String(), "aclock": audClock, "aagency": audAgency}).Scan(&added).Error; err != nil {
		return nil, err
	}
	if err := db.queueDeliveriesOf(tx, added); err != nil {
		return nil, err
	}
	notified := map[int64]int{}
	for _, n := range added {
		notified[*n.ClockID]++
	}
	codes, err := db.agencyCodes(tx, ks)
	if err != nil {
		return nil, err
	}
	outs := make([]*caseflow.TimerOutcome, len(ks))
	for i, k := range ks {
		at := k.DueAt
		if kind == caseflow.NotificationWarning {
			at = k.WarnAt
		}
		o := &caseflow.TimerOutcome{ClockID: k.ID, Recorded: true, Notified: notified[k.ID], Lateness: now.Sub(at), Clock: k.Clock, Kind: kind}
		if k.ResponsibleAgency != nil {
			o.Agency = codes[*k.ResponsibleAgency]
		}
		outs[i] = o
	}
	return outs, nil
}

// The messages of a warning and a breach (Postgres format(): the case code,
// the clock, its due time in Vietnam, its legal basis).
const (
	breachMessage  = "Hồ sơ %1$s: quá hạn %2$s (hạn %3$s, %4$s) / Case %1$s: deadline %2$s breached (due %3$s, %4$s)"
	warningMessage = "Hồ sơ %1$s: sắp đến hạn %2$s (hạn %3$s, %4$s) / Case %1$s: deadline %2$s approaching (due %3$s, %4$s)"
)

// needsJurisdiction says whether a clock's notify list names an agency type.
func needsJurisdiction(k clockRow) bool {
	for _, who := range notifyList(k.Notify) {
		if who != "supervisors" && who != "responsible" {
			return true
		}
	}
	return false
}

// audiences lists whom a clock's warning or breach is for, from the clock's
// notify list: nil for the supervisors over the case's unit, else an
// agency's id. An agency type names the agency of that type with
// jurisdiction over the case's commune on the day; resolved keeps those
// already looked up in this set, and one that none serves is passed over.
func (db *DB) audiences(tx *gorm.DB, k clockRow, communeID int64, now time.Time, resolved map[string]*int64) ([]*int64, error) {
	var out []*int64
	seen := map[int64]bool{}
	agency := func(id *int64) {
		if id != nil && !seen[*id] {
			seen[*id] = true
			out = append(out, id)
		}
	}
	supervisors := false
	for _, who := range notifyList(k.Notify) {
		switch who {
		case "supervisors":
			if !supervisors {
				supervisors = true
				out = append(out, nil)
			}
		case "responsible":
			agency(k.ResponsibleAgency)
		default: // an agency type: the one with jurisdiction over the case
			key := fmt.Sprintf("%d %s %s", communeID, caseflow.Day(now), who)
			id, ok := resolved[key]
			if !ok {
				if found, err := db.resolveAgency(tx, communeID, now, caseflow.AgencyType(who), ""); err == nil {
					id = &found
				} else if caseflow.ErrorCode(err) == caseflow.EInternal && !errors.Is(err, gorm.ErrRecordNotFound) {
					// A failed statement aborts the transaction: it cannot be passed over.
					return nil, err
				}
				resolved[key] = id
			}
			agency(id)
		}
	}
	return out, nil
}

// agencyCodes returns the codes of the responsible agencies of ks.
func (db *DB) agencyCodes(tx *gorm.DB, ks []clockRow) (map[int64]string, error) {
	var ids array[int64]
	for _, k := range ks {
		if k.ResponsibleAgency != nil {
			ids = append(ids, *k.ResponsibleAgency)
		}
	}
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID   int64
		Code string
	}
	if err := tx.Raw("SELECT id, code FROM agencies WHERE id = ANY(?)", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("reading the codes of the responsible agencies: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Code
	}
	return out, nil
}
