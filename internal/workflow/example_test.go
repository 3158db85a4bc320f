package workflow_test

import (
	"fmt"
	"log"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// A commune officer refers a newly received report of a child in danger to
// the police: the case moves to the police, the police gain access, and the
// 12-hour clock for the commune police to pass the report to the
// investigation agency starts, with the commune's own 24 hours to tell the
// procuracy.
func Example() {
	reg, err := workflow.LoadDir("../../workflows")
	if err != nil {
		log.Fatal(err) // a *workflow.ValidationError lists every file:line: problem
	}
	def, _ := reg.Latest("child-abuse")
	facts := def.ReadingFacts(nil) // every contested reading at its default
	facts[workflow.FactImmediateDanger], facts[workflow.FactCommuneRemote] = true, false

	for _, c := range def.ClocksOnIntake(def.IntakeEvent, facts) {
		l, _ := c.LimitFor("")
		fmt.Printf("on intake: %s, %d %s (%s)\n", c.ID, l.Amount, l.Rule, c.Basis)
	}

	cx := workflow.Context{State: def.Initial, Fired: []string{def.IntakeEvent}, Facts: facts}
	tr, err := def.FireIn(cx, "refer_police", caseflow.RoleCommuneOfficer,
		map[string]any{"note_to_police": "Trẻ 9 tuổi, nghi bị xâm hại"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s -> %s, referred to %s\n", tr.From, tr.To, tr.Refer)
	for _, c := range tr.StartClocks {
		l, _ := c.LimitFor("")
		fmt.Printf("starts %s: %d %s\n", c.ID, l.Amount, l.Rule)
	}

	// The police decide only once the investigation agency has received
	// the report.
	cx = workflow.Context{State: tr.To, Fired: []string{def.IntakeEvent, "refer_police"}, Facts: facts}
	_, err = def.FireIn(cx, "decide_prosecution", caseflow.RolePolice, nil)
	fmt.Println(caseflow.ErrorCode(err))
	// Output:
	// on intake: emergency_measures, 12 hours (Nghị định 56/2017/NĐ-CP Điều 26.3)
	// received -> police, referred to police
	// starts procuracy_told_of_referral: 24 hours
	// starts police_receipt: 12 hours
	// invalid
}
