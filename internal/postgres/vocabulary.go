package postgres

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// DeriveRoles fills in the roles of history and clock rows recorded before
// roles were stored (their roles are NULL), from what each workflow
// version's events and clocks mean. It runs after the migrations; rows the
// service writes carry their roles already. It returns how many rows it
// derived.
func (db *DB) DeriveRoles(ctx context.Context, vocab []caseflow.Vocabulary) (int64, error) {
	var n int64
	err := db.write(ctx, func(tx *gorm.DB) error {
		var pending int64
		if err := tx.Raw(`SELECT (SELECT count(*) FROM case_history WHERE roles IS NULL) +
			(SELECT count(*) FROM case_clocks WHERE role IS NULL OR stop_roles IS NULL)`).Scan(&pending).Error; err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		// History is append-only; filling a derived column of rows written
		// before it existed is not a change of what was recorded, so the
		// guard is lifted inside this transaction only.
		if err := tx.Exec(`ALTER TABLE case_history DISABLE TRIGGER case_history_append_only`).Error; err != nil {
			return err
		}
		for _, v := range vocab {
			for event, rules := range v.Events {
				res := tx.Exec(`UPDATE case_history h SET roles = `+rolesExpr(rules)+`
					FROM cases c WHERE c.id = h.case_id AND c.workflow_id = ? AND c.workflow_version = ?
					AND h.kind = 'transition' AND h.event = ? AND h.roles IS NULL`, v.WorkflowID, v.Version, event)
				if res.Error != nil {
					return fmt.Errorf("deriving the roles of %s v%d %s: %w", v.WorkflowID, v.Version, event, res.Error)
				}
				n += res.RowsAffected
			}
			for clock, role := range v.Clocks {
				res := tx.Exec(`UPDATE case_clocks k SET role = ? FROM cases c WHERE c.id = k.case_id
					AND c.workflow_id = ? AND c.workflow_version = ? AND k.clock = ? AND k.role IS NULL`,
					string(role), v.WorkflowID, v.Version, clock)
				if res.Error != nil {
					return fmt.Errorf("deriving the role of %s v%d clock %s: %w", v.WorkflowID, v.Version, clock, res.Error)
				}
				n += res.RowsAffected
			}
		}
		res := tx.Exec(`UPDATE case_history SET roles = '{}' WHERE roles IS NULL`)
		if res.Error != nil {
			return res.Error
		}
		n += res.RowsAffected
		if err := tx.Exec(`ALTER TABLE case_history ENABLE TRIGGER case_history_append_only`).Error; err != nil {
			return err
		}
		// A stopped clock takes the roles of the transition that stopped it,
		// or, where that row cannot be found, the stopping event's plain roles.
		for _, v := range vocab {
			for event, rules := range v.Events {
				var plain []string
				for _, r := range rules {
					if r.Field == "" {
						plain = append(plain, string(r.Role))
					}
				}
				res := tx.Exec(`UPDATE case_clocks k SET stop_roles = coalesce((SELECT h.roles FROM case_history h
					WHERE h.case_id = k.case_id AND h.kind = 'transition' AND h.event = k.stopped_by_event AND h.at = k.stopped_at
					ORDER BY h.id LIMIT 1), ?::text[])
					FROM cases c WHERE c.id = k.case_id AND c.workflow_id = ? AND c.workflow_version = ?
					AND k.stopped_by_event = ? AND k.stop_roles IS NULL`, roleArray(nil).with(plain), v.WorkflowID, v.Version, event)
				if res.Error != nil {
					return fmt.Errorf("deriving the stop roles of %s v%d %s: %w", v.WorkflowID, v.Version, event, res.Error)
				}
				n += res.RowsAffected
			}
		}
		if err := tx.Exec(`UPDATE case_clocks SET stop_roles = '{}' WHERE stop_roles IS NULL`).Error; err != nil {
			return err
		}
		return tx.Exec(`UPDATE case_clocks SET role = '' WHERE role IS NULL`).Error
	})
	return n, err
}

// rolesExpr is the SQL array of an event's roles for its stored data: the
// plain roles, and each conditional one whose field's value (as text) is
// one of its values. Roles and field names come from validated workflow
// definitions (lower_snake_case); values are quoted.
func rolesExpr(rules []caseflow.RoleRule) string {
	parts := make([]string, 0, len(rules))
	for _, r := range rules {
		lit := quote(string(r.Role))
		if r.Field == "" {
			parts = append(parts, lit+"::text")
			continue
		}
		vals := make([]string, len(r.Values))
		for i, v := range r.Values {
			vals[i] = quote(v)
		}
		parts = append(parts, "CASE WHEN h.data->>"+quote(r.Field)+" IN ("+strings.Join(vals, ", ")+") THEN "+lit+" END")
	}
	return "array_remove(ARRAY[" + strings.Join(parts, ", ") + "]::text[], NULL)"
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// with returns the array with the values appended.
func (a array[T]) with(vs []T) array[T] { return append(a, vs...) }
