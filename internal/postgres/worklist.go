package postgres

import (
	"context"
	"time"

	"caseflow/internal/caseflow"
)

// Worklist returns what the viewer's agency must act on now: cases in the
// given states (those the workflow assigns to the agency's type) that the
// agency has access to, and referrals sent to it that are still open;
// nearest due first, then oldest.
func (db *DB) Worklist(ctx context.Context, v caseflow.Viewer, states []string, limit int) ([]caseflow.WorkItem, error) {
	if limit <= 0 || limit > 500 {
		limit = 200
	}
	var rows []struct {
		CaseID          int64
		Access          string
		WorkflowID      string
		WorkflowVersion int
		Code            string
		State           string
		ReceivedAt      time.Time
		WaitingSince    time.Time
		DueAt           *time.Time
		DueClock        string
		Reason          string
		ReferralID      *int64
	}
	acc, accArgs := accessExpr(v)
	err := db.gorm.WithContext(ctx).Raw(`
		SELECT w.*, `+acc+` AS access, cases.workflow_id, cases.workflow_version FROM (
			SELECT c.id AS case_id, c.code, c.state, c.received_at, c.updated_at AS waiting_since,
				d.due_at, coalesce(d.clock, '') AS due_clock,
				'state' AS reason, NULL::bigint AS referral_id
			FROM cases c
			LEFT JOIN LATERAL (SELECT k.due_at, k.clock FROM case_clocks k WHERE k.case_id = c.id AND k.stopped_at IS NULL
				AND k.status IN ('running', 'breached') AND k.responsible_agency = ? ORDER BY k.due_at, k.id LIMIT 1) d ON true
			WHERE c.state = ANY(?) AND EXISTS (SELECT 1 FROM case_access ca WHERE ca.case_id = c.id
				AND ca.agency_id = ? AND ca.revoked_at IS NULL AND ca.reason NOT LIKE 'referral:%')
			UNION ALL
			-- A step the agency answers for while the case is with another
			-- (the commune's support plan during the investigation, a
			-- forensic exam during the report's resolution).
			SELECT c.id AS case_id, c.code, c.state, c.received_at, min(k.started_at) AS waiting_since, min(k.due_at) AS due_at,
				(array_agg(k.clock ORDER BY k.due_at, k.id))[1] AS due_clock, 'clock' AS reason, NULL::bigint AS referral_id
			FROM case_clocks k JOIN cases c ON c.id = k.case_id
			WHERE k.responsible_agency = ? AND k.stopped_at IS NULL AND k.status IN ('running', 'breached')
				AND k.role IS DISTINCT FROM ? AND NOT (c.state = ANY(?))
			GROUP BY c.id
			UNION ALL
			SELECT c.id AS case_id, c.code, c.state, c.received_at, r.created_at AS waiting_since,
				d.due_at, coalesce(d.clock, '') AS due_clock, 'referral' AS reason, r.id AS referral_id
			FROM referrals r JOIN cases c ON c.id = r.case_id
			LEFT JOIN LATERAL (SELECT k.due_at, k.clock FROM case_clocks k WHERE k.case_id = c.id AND k.instance = r.id::text
				AND k.stopped_at IS NULL AND k.status IN ('running', 'breached') ORDER BY k.due_at, k.id LIMIT 1) d ON true
			WHERE r.agency_id = ? AND r.status IN ('pending', 'accepted')
		) w JOIN cases ON cases.id = w.case_id ORDER BY w.due_at NULLS LAST, w.waiting_since, w.code LIMIT ?`,
		append(accArgs, v.Agency.ID, array[string](states), v.Agency.ID, v.Agency.ID, string(caseflow.ClockServiceReferralResponse), array[string](states),
			v.Agency.ID, limit)...).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]caseflow.WorkItem, 0, len(rows))
	// A case may be on the list twice (its stage and a referral); its
	// children are read once.
	byID := map[int64]*caseflow.Case{}
	var cases []*caseflow.Case
	for _, r := range rows {
		out = append(out, caseflow.WorkItem{Code: r.Code, WorkflowID: r.WorkflowID, WorkflowVersion: r.WorkflowVersion, State: r.State, ReceivedAt: r.ReceivedAt.UTC(),
			WaitingSince: r.WaitingSince.UTC(), DueAt: utcPtr(r.DueAt), DueClock: r.DueClock, Reason: r.Reason, ReferralID: r.ReferralID})
		if byID[r.CaseID] == nil {
			byID[r.CaseID] = &caseflow.Case{ID: r.CaseID, Code: r.Code, Access: caseflow.Access(r.Access), ReceivedAt: r.ReceivedAt.UTC()}
			cases = append(cases, byID[r.CaseID])
		}
	}
	if err := db.briefChildren(ctx, v, cases); err != nil {
		return nil, err
	}
	for i, r := range rows {
		out[i].Briefs = byID[r.CaseID].Briefs
	}
	return out, nil
}
