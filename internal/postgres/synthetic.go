package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
	"caseflow/internal/synthetic"
)

// The storage side of synthetic data (internal/synthetic makes the
// stories): the reference data a story refers to, case numbers and ids
// reserved ahead, and batches of rows written with COPY.
//
// When the database user is a superuser, a batch skips the triggers that
// check foreign keys (session_replication_role = replica), which cost a
// lookup per row: the generator refers only to rows it has just written or
// read; it then queues its cases for the compliance roll-up itself.
// CopySynthetic's checkReferences keeps the triggers.

// SyntheticReference returns every commune, in every structure, with the
// days it existed and, by agency type, the agency the jurisdiction table
// names for it over each span of days (the district police until March
// 2025, the provincial investigation agency after, today's agencies once
// the commune became part of another);
// the synthetic user (created, disabled, if missing) and the names and
// narratives sealed.
func (db *DB) SyntheticReference(ctx context.Context, names, narratives []string) (*synthetic.Reference, error) {
	if db.Keys == nil {
		return nil, errors.New("synthetic: ENCRYPTION_KEYS and BLIND_INDEX_KEY are needed to seal the fictional names")
	}
	ref := &synthetic.Reference{}
	g := db.gorm.WithContext(ctx)
	now := db.now()
	today := caseflow.Day(now)
	var units []unitRow
	if err := g.Where("level = ? AND valid_from <= ?", caseflow.LevelCommune, today).Order("path").Find(&units).Error; err != nil {
		return nil, err
	}
	// The days on which some agency or jurisdiction row starts or ends:
	// between two of them, a commune is served by the same agencies.
	var changes []time.Time
	if err := g.Raw(`SELECT DISTINCT d FROM (SELECT valid_from AS d FROM jurisdiction UNION SELECT valid_to + 1 FROM jurisdiction
		UNION SELECT valid_from FROM agencies UNION SELECT valid_to + 1 FROM agencies) x WHERE d IS NOT NULL ORDER BY d`).
		Scan(&changes).Error; err != nil {
		return nil, err
	}
	var filer int64
	err := g.Transaction(func(tx *gorm.DB) error {
		for _, u := range units {
			c := synthetic.Commune{ID: u.ID, Path: u.Path, Remote: u.Remote, From: localDay(u.ValidFrom)}
			if u.ValidTo != nil {
				c.To = localDay(u.ValidTo.AddDate(0, 0, 1))
			}
			// Spans run to today, past the commune's end: a case goes on
			// with the agencies of the unit its commune became part of.
			starts := []time.Time{u.ValidFrom}
			for _, d := range changes {
				if d.After(u.ValidFrom) && !d.After(today) {
					starts = append(starts, d)
				}
			}
			for _, from := range starts {
				agencies := map[caseflow.AgencyType]int64{}
				at := from.In(caseflow.Zone).Add(12 * time.Hour) // midday of the span's first day
				for _, t := range caseflow.AgencyTypes {
					id, err := db.resolveAgency(tx, u.ID, at, t, "")
					if caseflow.ErrorCode(err) == caseflow.EInvalid {
						continue // no agency of this type serves the commune then
					}
					if err != nil {
						return err
					}
					agencies[t] = id
				}
				switch {
				case c.Agencies == nil:
					c.Agencies = agencies
				case maps.Equal(c.AgenciesAt(localDay(from)), agencies):
				default:
					c.Later = append(c.Later, synthetic.Span{From: localDay(from), Agencies: agencies})
				}
			}
			if filer == 0 && c.To.IsZero() {
				filer = c.Agencies[caseflow.AgencyCommune]
			}
			ref.Communes = append(ref.Communes, c)
		}
		return nil
	}, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	if filer == 0 {
		return nil, errors.New("synthetic: no commune has a child-protection agency; run `caseflow seed` first")
	}

	user := userRow{Username: synthetic.User, DisplayName: "Dữ liệu tổng hợp (không đăng nhập)", PasswordHash: "!",
		Role: string(caseflow.RoleCommuneOfficer), AgencyID: filer, Disabled: true, CreatedAt: now, UpdatedAt: now}
	if err := g.Clauses(clause.OnConflict{DoNothing: true}).Omit("ID").Create(&user).Error; err != nil {
		return nil, err
	}
	if err := g.Model(&userRow{}).Where("username = ?", synthetic.User).Pluck("id", &ref.UserID).Error; err != nil {
		return nil, err
	}
	for _, n := range names {
		s, err := db.Keys.Encrypt("person.full_name", n)
		if err != nil {
			return nil, err
		}
		ref.Names = append(ref.Names, s)
	}
	for _, n := range narratives {
		s, err := db.Keys.Encrypt("case.narrative", n)
		if err != nil {
			return nil, err
		}
		ref.Narratives = append(ref.Narratives, s)
	}
	return ref, nil
}

// ReserveCaseCodes takes a block of case numbers per year from the
// counters and hands one to each report, in order, so that cases filed
// later never reuse a synthetic code.
func (db *DB) ReserveCaseCodes(ctx context.Context, received []time.Time) ([]string, error) {
	perYear := map[int]int64{}
	for _, t := range received {
		perYear[t.In(caseflow.Zone).Year()]++
	}
	next := map[int]int64{}
	for y, n := range perYear {
		var last int64
		if err := db.gorm.WithContext(ctx).Raw(`INSERT INTO case_counters (prefix, year, last) VALUES (?, ?, ?)
			ON CONFLICT (prefix, year) DO UPDATE SET last = case_counters.last + EXCLUDED.last RETURNING last`,
			db.CodePrefix, y, n).Scan(&last).Error; err != nil {
			return nil, err
		}
		next[y] = last - n + 1
	}
	codes := make([]string, len(received))
	for i, t := range received {
		y := t.In(caseflow.Zone).Year()
		codes[i] = fmt.Sprintf("%s-%d-%06d", db.CodePrefix, y, next[y])
		next[y]++
	}
	return codes, nil
}

// ReserveCaseIDs takes n ids from the cases' sequence.
func (db *DB) ReserveCaseIDs(ctx context.Context, n int) ([]int64, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Raw("SELECT nextval('cases_id_seq') FROM generate_series(1, ?)", n).Scan(&ids).Error
	return ids, err
}

// AnalyzeSynthetic refreshes the statistics of the tables synthetic data
// fills, so the planner knows their new sizes, and their visibility maps,
// so the compliance indexes are read without the tables.
func (db *DB) AnalyzeSynthetic(ctx context.Context) error {
	for _, t := range []string{"cases", "case_people", "case_access", "case_history", "case_clocks"} {
		if err := db.gorm.WithContext(ctx).Exec("VACUUM ANALYZE " + t).Error; err != nil {
			return err
		}
	}
	return nil
}

// CopySynthetic writes a batch in one transaction with COPY, on a
// connection of its own. Commit need not wait for the disk: a lost batch is
// regenerated by running again on a fresh database.
func (db *DB) CopySynthetic(ctx context.Context, b *synthetic.Batch, checkReferences bool) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.BeginTx(ctx, pgx.TxOptions{})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
		skipTriggers := false
		if !checkReferences {
			var super bool
			if err := tx.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
				return err
			}
			if super {
				if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
					return err
				}
				skipTriggers = true
			}
		}
		for _, t := range []struct {
			name string
			cols []string
			src  pgx.CopyFromSource
		}{
			{"cases", synthCaseCols, &copyRows[synthetic.Case]{all: b.Cases, values: caseValues}},
			{"case_people", synthPeopleCols, &copyRows[synthetic.Person]{all: b.People, values: personValues}},
			{"case_access", synthAccessCols, &copyRows[synthetic.Access]{all: b.Access, values: accessValues}},
			{"case_history", synthHistoryCols, &copyRows[synthetic.History]{all: b.History, values: historyValues}},
			{"case_clocks", synthClockCols, &copyRows[synthetic.Clock]{all: b.Clocks, values: clockValues}},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, t.src); err != nil {
				return fmt.Errorf("synthetic: copy into %s: %w", t.name, err)
			}
		}
		if skipTriggers {
			// The triggers that queue cases for the compliance roll-up did
			// not run either.
			ids := make([]int64, len(b.Cases))
			for i := range b.Cases {
				ids[i] = b.Cases[i].ID
			}
			if _, err := tx.Exec(ctx, "INSERT INTO compliance_queue (case_id) SELECT unnest($1::bigint[])", ids); err != nil {
				return fmt.Errorf("synthetic: queue for the roll-up: %w", err)
			}
		}
		return tx.Commit(ctx)
	})
}

// copyRows feeds a slice of rows to COPY. Each row hands pgx pointers to its
// fields (a nil pointer is NULL), so no value is copied into an interface.
type copyRows[T any] struct {
	all    []T
	i      int
	vals   []any
	values func(*T, []any) []any
}

func (r *copyRows[T]) Next() bool { r.i++; return r.i <= len(r.all) }
func (r *copyRows[T]) Values() ([]any, error) {
	r.vals = r.values(&r.all[r.i-1], r.vals)
	return r.vals, nil
}
func (r *copyRows[T]) Err() error { return nil }

var synthCaseCols = []string{"id", "code", "workflow_id", "workflow_version", "state", "version", "commune_id", "unit_path",
	"received_at", "channel", "abuse_types", "setting", "immediate_danger", "crime_category", "outcome", "narrative_enc",
	"data", "filed_by", "filing_agency_id", "created_at", "updated_at", "closed_at"}

func caseValues(r *synthetic.Case, v []any) []any {
	return append(v[:0], &r.ID, &r.Code, &r.WorkflowID, &r.WorkflowVersion, &r.State, &r.Version, &r.CommuneID, &r.UnitPath,
		&r.ReceivedAt, &r.Channel, &r.AbuseTypes, &r.Setting, &r.ImmediateDanger, &r.CrimeCategory, &r.Outcome, &r.NarrativeEnc,
		&r.Data, &r.FiledBy, &r.FilingAgencyID, &r.CreatedAt, &r.UpdatedAt, r.ClosedAt)
}

var (
	synthPeopleCols = []string{"case_id", "kind", "position", "full_name_enc", "age", "sex", "age_at_report",
		"commune_id", "received_at", "setting", "abuse_types"}
	personChild = caseflow.PersonChild
)

func personValues(r *synthetic.Person, v []any) []any {
	return append(v[:0], &r.CaseID, &personChild, &r.Position, &r.FullNameEnc, &r.Age, &r.Sex, &r.Age,
		&r.CommuneID, &r.ReceivedAt, &r.Setting, &r.AbuseTypes)
}

var synthAccessCols = []string{"case_id", "agency_id", "scope", "reason", "granted_at", "revoked_at"}

func accessValues(r *synthetic.Access, v []any) []any {
	return append(v[:0], &r.CaseID, &r.AgencyID, &r.Scope, &r.Reason, &r.GrantedAt, r.RevokedAt)
}

var synthHistoryCols = []string{"case_id", "version", "event", "from_state", "to_state", "actor_id", "agency_id", "data",
	"at", "kind", "commune_id", "roles"}

func historyValues(r *synthetic.History, v []any) []any {
	return append(v[:0], &r.CaseID, &r.Version, &r.Event, &r.From, &r.To, r.ActorID, r.AgencyID, &r.Data, &r.At, &r.Kind,
		&r.CommuneID, &r.Roles)
}

var synthClockCols = []string{"case_id", "clock", "instance", "role", "generation", "status", "responsible_type",
	"responsible_agency", "category", "limit_rule", "limit_amount", "legal_basis", "notify", "started_at", "due_at", "warn_at",
	"warned_at", "stopped_at", "stopped_by_event", "stop_roles", "breached_at", "extensions", "commune_id"}

func clockValues(r *synthetic.Clock, v []any) []any {
	return append(v[:0], &r.CaseID, &r.Clock, &r.Instance, &r.Role, &r.Generation, &r.Status, &r.ResponsibleType,
		r.ResponsibleAgency, &r.Category, &r.LimitRule, &r.LimitAmount, &r.LegalBasis, &r.Notify, &r.StartedAt, &r.DueAt,
		&r.WarnAt, r.WarnedAt, r.StoppedAt, &r.StoppedByEvent, &r.StopRoles, r.BreachedAt, &r.Extensions, &r.CommuneID)
}

// localDay is the first instant of a stored date in the province's zone.
func localDay(d time.Time) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, caseflow.Zone)
}
