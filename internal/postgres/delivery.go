package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

// Notifications reach people beyond the API as delivery rows: one per
// notification, channel and address, written in the transaction that writes
// the notification, each with an outbox row that the relay hands to the
// queue. The worker's delivery task sends it and records how it went; the
// queue retries with backoff, and a delivery whose retries are spent is
// dead until `caseflow notifications retry-dead`. Nothing here reaches the
// network.

// addNotification writes a notification once (a repeat is a no-op) and its
// deliveries; it says whether the notification is new.
func (db *DB) addNotification(tx *gorm.DB, row *notificationRow) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Omit("ID").Create(row)
	if res.Error != nil || res.RowsAffected == 0 {
		return false, res.Error
	}
	return true, db.queueDeliveries(tx, row)
}

// notifyNewWork tells an agency that a case came to it (referred, or
// returned), naming the deadline its work runs against when a clock of the
// case answers to it. One per case version and agency.
func (db *DB) notifyNewWork(tx *gorm.DB, c caseRow, version int, agencyID int64, now time.Time) error {
	var k struct {
		ID         int64
		Clock      string
		DueAt      time.Time
		LegalBasis string
	}
	if err := tx.Raw(`SELECT id, clock, due_at, legal_basis FROM case_clocks WHERE case_id = ? AND status = 'running'
		AND responsible_agency = ? ORDER BY due_at, id LIMIT 1`, c.ID, agencyID).Scan(&k).Error; err != nil {
		return err
	}
	row := notificationRow{Kind: caseflow.NotificationNewWork, Audience: "agency", AgencyID: &agencyID, UnitPath: c.UnitPath,
		CaseID: &c.ID, CaseCode: c.Code, Generation: version, CreatedAt: now}
	row.Message = fmt.Sprintf("Hồ sơ %s: việc mới cho cơ quan / Case %s: new work for your agency", c.Code, c.Code)
	if k.ID != 0 {
		due := k.DueAt
		row.ClockID, row.DueAt, row.Clock, row.LegalBasis = &k.ID, &due, k.Clock, k.LegalBasis
		local := due.In(caseflow.Zone).Format("02/01/2006 15:04")
		row.Message = fmt.Sprintf("Hồ sơ %s: việc mới — %s, hạn %s (%s) / Case %s: new work — %s, due %s (%s)",
			c.Code, k.Clock, local, k.LegalBasis, c.Code, k.Clock, local, k.LegalBasis)
	}
	_, err := db.addNotification(tx, &row)
	return err
}

// recipient is an address a notification goes to.
type recipient struct {
	Channel   string
	Address   string
	Kinds     array[string] `gorm:"type:text[]"`
	QuietFrom *int
	QuietTo   *int
}

// recipients are the contact points a notification reaches: for an agency,
// the agency's own and those of its active users; for supervisors, those of
// the supervisors' agencies over the case's unit and of the supervisors
// themselves. Each wants the notification's kind, or every kind.
func (db *DB) recipients(tx *gorm.DB, row *notificationRow) ([]recipient, error) {
	var out []recipient
	var err error
	if row.Audience == "agency" {
		err = tx.Raw(`SELECT channel, address, kinds, quiet_from, quiet_to FROM contact_points
			WHERE (agency_id = @agency OR user_id IN (SELECT id FROM users WHERE agency_id = @agency AND NOT disabled))
				AND (kinds = '{}' OR @kind = ANY(kinds))
			ORDER BY channel, address`, map[string]any{"agency": row.AgencyID, "kind": row.Kind}).Scan(&out).Error
	} else {
		err = tx.Raw(`WITH sup AS (SELECT us.id, us.agency_id FROM users us
				JOIN agencies a ON a.id = us.agency_id JOIN units u ON u.id = a.unit_id
				WHERE us.role = 'supervisor' AND NOT us.disabled AND @path LIKE u.path || '%')
			SELECT channel, address, kinds, quiet_from, quiet_to FROM contact_points
			WHERE (agency_id IN (SELECT agency_id FROM sup) OR user_id IN (SELECT id FROM sup))
				AND (kinds = '{}' OR @kind = ANY(kinds))
			ORDER BY channel, address`, map[string]any{"path": row.UnitPath, "kind": row.Kind}).Scan(&out).Error
	}
	if err != nil {
		return nil, err
	}
	if row.Audience == "supervisors" && row.Kind == caseflow.NotificationBreach {
		for _, a := range db.DutyEmails {
			out = append(out, recipient{Channel: caseflow.ChannelEmail, Address: a})
		}
	}
	return out, nil
}

// queueDeliveries writes the deliveries of a new notification and their
// outbox rows.
func (db *DB) queueDeliveries(tx *gorm.DB, row *notificationRow) error {
	return db.queueDeliveriesOf(tx, []notificationRow{*row})
}

// queueDeliveriesOf writes the deliveries of new notifications and their
// outbox rows, one statement each for the set; the recipients of an
// audience are read once per set. A person's quiet hours hold back a
// warning, new work or a digest until they end; a breach or an escalation
// goes at once.
func (db *DB) queueDeliveriesOf(tx *gorm.DB, ns []notificationRow) error {
	known := map[string][]recipient{}
	var rows []deliveryRow
	for i := range ns {
		row := &ns[i]
		key := row.Kind + " " + row.Audience + " " + row.UnitPath
		if row.Audience == "agency" && row.AgencyID != nil {
			key = fmt.Sprintf("%s agency %d", row.Kind, *row.AgencyID)
		}
		rs, ok := known[key]
		if !ok {
			var err error
			if rs, err = db.recipients(tx, row); err != nil {
				return err
			}
			known[key] = rs
		}
		seen := map[string]bool{}
		for _, r := range rs {
			addr := r.Channel + " " + r.Address
			if seen[addr] {
				continue
			}
			seen[addr] = true
			at := row.CreatedAt
			if row.Kind != caseflow.NotificationBreach && row.Kind != caseflow.NotificationEscalation {
				at = afterQuietHours(at, r.QuietFrom, r.QuietTo)
			}
			rows = append(rows, deliveryRow{NotificationID: row.ID, Channel: r.Channel, Address: r.Address, Status: caseflow.DeliveryPending,
				NotBefore: at, CreatedAt: row.CreatedAt})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Omit("ID").CreateInBatches(&rows, 1000).Error; err != nil {
		return err
	}
	tasks := make([]outboxRow, 0, len(rows))
	for _, d := range rows {
		t, err := deliveryTask(d.ID, caseflow.DeliveryTaskID(d.ID), d.NotBefore, d.CreatedAt)
		if err != nil {
			return err
		}
		tasks = append(tasks, t)
	}
	return tx.Omit("ID").CreateInBatches(&tasks, 1000).Error
}

// deliveryTask is the outbox row of a delivery's task.
func deliveryTask(id int64, taskID string, at, now time.Time) (outboxRow, error) {
	raw, err := json.Marshal(caseflow.DeliveryPayload{DeliveryID: id})
	if err != nil {
		return outboxRow{}, err
	}
	return outboxRow{Kind: caseflow.DeliveryTaskType, TaskID: taskID, Payload: raw, RunAt: at, CreatedAt: now}, nil
}

// afterQuietHours moves t to the end of the quiet hours (whole hours in
// Vietnam, from inclusive, to exclusive, possibly across midnight) if it
// falls in them.
func afterQuietHours(t time.Time, from, to *int) time.Time {
	if from == nil || to == nil || *from == *to {
		return t
	}
	local := t.In(caseflow.Zone)
	h := local.Hour()
	quiet := (*from < *to && h >= *from && h < *to) || (*from > *to && (h >= *from || h < *to))
	if !quiet {
		return t
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), *to, 0, 0, 0, caseflow.Zone)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return end.UTC()
}

type deliveryRow struct {
	ID             int64
	NotificationID int64
	Channel        string
	Address        string
	Status         string
	Attempts       int
	LastError      string
	NotBefore      time.Time
	CreatedAt      time.Time
	SentAt         *time.Time
}

func (deliveryRow) TableName() string { return "notification_deliveries" }

func (r deliveryRow) delivery(n caseflow.Notification) caseflow.Delivery {
	return caseflow.Delivery{ID: r.ID, Notification: n, Channel: r.Channel, Address: r.Address, Status: r.Status,
		Attempts: r.Attempts, LastError: r.LastError, NotBefore: r.NotBefore.UTC(), SentAt: utcPtr(r.SentAt)}
}

// Delivery returns a delivery with its notification, for the task that
// sends it.
func (db *DB) Delivery(ctx context.Context, id int64) (*caseflow.Delivery, error) {
	var d deliveryRow
	if err := db.gorm.WithContext(ctx).Take(&d, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, caseflow.Errorf(caseflow.ENotFound, "no delivery %d", id)
		}
		return nil, err
	}
	var n notificationRow
	if err := db.gorm.WithContext(ctx).Take(&n, d.NotificationID).Error; err != nil {
		return nil, err
	}
	out := d.delivery(n.notification())
	return &out, nil
}

// DeliveryAttempted records how an attempt went: sent, or failed with its
// error (dead when it was the last the queue will make). A delivery
// already sent stays sent.
func (db *DB) DeliveryAttempted(ctx context.Context, id int64, sendErr error, last bool) error {
	now := db.now()
	q := db.gorm.WithContext(ctx).Model(&deliveryRow{}).Where("id = ? AND status <> ?", id, caseflow.DeliverySent)
	if sendErr == nil {
		return q.Updates(map[string]any{"status": caseflow.DeliverySent, "sent_at": now, "attempts": gorm.Expr("attempts + 1"),
			"last_error": ""}).Error
	}
	status := caseflow.DeliveryFailed
	if last {
		status = caseflow.DeliveryDead
	}
	return q.Updates(map[string]any{"status": status, "attempts": gorm.Expr("attempts + 1"),
		"last_error": clip(sendErr.Error(), 500)}).Error
}

// clip shortens s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// RetryDeadDeliveries puts every dead delivery back on the queue, under a
// new task id, and says how many.
func (db *DB) RetryDeadDeliveries(ctx context.Context) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *gorm.DB) error {
		now := db.now()
		var rows []deliveryRow
		if err := tx.Raw(`UPDATE notification_deliveries SET status = 'pending', not_before = ? WHERE status = 'dead' RETURNING *`,
			now).Scan(&rows).Error; err != nil {
			return err
		}
		n = len(rows)
		if n == 0 {
			return nil
		}
		tasks := make([]outboxRow, 0, n)
		for _, d := range rows {
			t, err := deliveryTask(d.ID, fmt.Sprintf("%s:retry%d", caseflow.DeliveryTaskID(d.ID), d.Attempts), now, now)
			if err != nil {
				return err
			}
			tasks = append(tasks, t)
		}
		return tx.Omit("ID").Create(&tasks).Error
	})
	return n, err
}

// DeliveryCounts counts deliveries by channel and status, for the metrics.
func (db *DB) DeliveryCounts(ctx context.Context) (map[[2]string]int64, error) {
	var rows []struct {
		Channel, Status string
		N               int64
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT channel, status, count(*) AS n FROM notification_deliveries GROUP BY 1, 2`).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[[2]string]int64{}
	for _, r := range rows {
		out[[2]string{r.Channel, r.Status}] = r.N
	}
	return out, nil
}

// deliveriesOf loads the deliveries of notifications, by notification.
func deliveriesOf(tx *gorm.DB, ids []int64) (map[int64][]caseflow.Delivery, error) {
	out := map[int64][]caseflow.Delivery{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []deliveryRow
	if err := tx.Where("notification_id IN ?", ids).Order("notification_id, channel, address").Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.NotificationID] = append(out[r.NotificationID], r.delivery(caseflow.Notification{}))
	}
	return out, nil
}

// contactRow is where an agency or a person is reached.
type contactRow struct {
	ID        int64
	AgencyID  *int64
	UserID    *int64
	Channel   string
	Address   string
	Kinds     array[string] `gorm:"type:text[]"`
	QuietFrom *int
	QuietTo   *int
	CreatedAt time.Time
}

func (contactRow) TableName() string { return "contact_points" }

func (r contactRow) contact() caseflow.ContactPoint {
	return caseflow.ContactPoint{ID: r.ID, Channel: r.Channel, Address: r.Address, Kinds: slices.Clone([]string(r.Kinds)),
		QuietFrom: r.QuietFrom, QuietTo: r.QuietTo}
}

// ContactPoints lists the contact points of an agency (agencyID) or of a
// person (userID); one of the two is zero.
func (db *DB) ContactPoints(ctx context.Context, agencyID, userID int64) ([]caseflow.ContactPoint, error) {
	var rows []contactRow
	q := db.gorm.WithContext(ctx)
	if agencyID != 0 {
		q = q.Where("agency_id = ?", agencyID)
	} else {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Order("channel, address").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.ContactPoint, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.contact())
	}
	return out, nil
}

// SetContactPoints replaces the contact points of an agency or a person
// with cs, in one transaction.
func (db *DB) SetContactPoints(ctx context.Context, v caseflow.Viewer, agencyID, userID int64, cs []caseflow.ContactPoint) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		del := tx.Where("agency_id = ?", agencyID)
		if agencyID == 0 {
			del = tx.Where("user_id = ?", userID)
		}
		if err := del.Delete(&contactRow{}).Error; err != nil {
			return err
		}
		now := db.now()
		for _, c := range cs {
			row := contactRow{Channel: c.Channel, Address: c.Address, Kinds: array[string](c.Kinds), QuietFrom: c.QuietFrom,
				QuietTo: c.QuietTo, CreatedAt: now}
			if row.Kinds == nil {
				row.Kinds = array[string]{}
			}
			if agencyID != 0 {
				row.AgencyID = &agencyID
			} else {
				row.UserID = &userID
			}
			if err := tx.Omit("ID").Create(&row).Error; err != nil {
				return err
			}
		}
		// Addresses are an official's contact, not a child's; the audit
		// records how many, not which.
		return db.audit(tx, v, "contacts.set", "", map[string]any{"agency_id": agencyID, "user_id": userID, "count": len(cs)})
	})
}

// maxDigestItems bounds the deadlines a digest names one by one.
const maxDigestItems = 20

// SendDigests writes, once a day for each agency that answers for any, a
// digest of its deadlines falling due in the next 48 hours and of those
// overdue — from the digest hour on (Vietnam time), for agencies with a
// contact point — and says how many it wrote. Each agency's digest is its
// own transaction: one that fails leaves the others written.
func (db *DB) SendDigests(ctx context.Context, hour int) (int, error) {
	now := db.now()
	local := now.In(caseflow.Zone)
	if local.Hour() < hour {
		return 0, nil
	}
	day := local.Year()*10000 + int(local.Month())*100 + local.Day()
	var rows []struct {
		AgencyID int64
		UnitPath string
		Soon     int
		Overdue  int
		Items    array[string] `gorm:"type:text[]"`
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT a.id AS agency_id, u.path AS unit_path,
			count(*) FILTER (WHERE k.due_at > @now) AS soon, count(*) FILTER (WHERE k.due_at <= @now) AS overdue,
			(array_agg(c.code || ' ' || k.clock || ' ' || to_char(k.due_at AT TIME ZONE '`+caseflow.ZoneName+`', 'HH24:MI DD/MM')
				ORDER BY k.due_at))[1:`+fmt.Sprint(maxDigestItems)+`] AS items
		FROM case_clocks k
		JOIN agencies a ON a.id = k.responsible_agency
		JOIN units u ON u.id = a.unit_id
		JOIN cases c ON c.id = k.case_id
		WHERE k.stopped_at IS NULL AND (
				(k.status = 'running' AND k.due_at <= @soon) OR k.status = 'breached')
			AND EXISTS (SELECT 1 FROM contact_points cp WHERE cp.agency_id = a.id
				OR cp.user_id IN (SELECT us.id FROM users us WHERE us.agency_id = a.id AND NOT us.disabled))
			AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.kind = 'digest' AND n.agency_id = a.id AND n.generation = @day)
		GROUP BY a.id, u.path ORDER BY a.id`,
		map[string]any{"now": now, "soon": now.Add(48 * time.Hour), "day": day}).Scan(&rows).Error; err != nil {
		return 0, err
	}
	n := 0
	var firstErr error
	for _, r := range rows {
		agency := r.AgencyID
		msg := fmt.Sprintf("Tổng hợp ngày %s: %d hạn đến trong 48 giờ, %d quá hạn / Digest of %s: %d deadlines in the next 48 hours, %d overdue",
			local.Format("02/01/2006"), r.Soon, r.Overdue, local.Format("02/01/2006"), r.Soon, r.Overdue)
		if len(r.Items) > 0 {
			msg += "\n" + strings.Join(r.Items, "\n")
		}
		row := notificationRow{Kind: caseflow.NotificationDigest, Audience: "agency", AgencyID: &agency, UnitPath: r.UnitPath,
			Generation: day, Message: msg, CreatedAt: now}
		err := db.write(ctx, func(tx *gorm.DB) error {
			added, err := db.addNotification(tx, &row)
			if added {
				n++
			}
			return err
		})
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("digest for agency %d: %w", agency, err)
		}
	}
	return n, firstErr
}

// OpenDeliveries pages through the deliveries neither sent nor dead that
// were due before before (their task may have been lost with Redis), after
// delivery id after; it returns their ids and the last id seen.
func (db *DB) OpenDeliveries(ctx context.Context, before time.Time, after int64, limit int) ([]int64, int64, error) {
	var ids []int64
	if err := db.gorm.WithContext(ctx).Raw(`SELECT id FROM notification_deliveries WHERE status IN ('pending', 'failed')
		AND not_before < ? AND id > ? ORDER BY id LIMIT ?`, before, after, limit).Scan(&ids).Error; err != nil {
		return nil, after, err
	}
	if len(ids) == 0 {
		return nil, after, nil
	}
	return ids, ids[len(ids)-1], nil
}
