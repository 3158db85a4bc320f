package workflow_test

import (
	"fmt"
	"log"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// A commune officer refers a newly received report to the police: the case
// moves to the police, the police gain access, and the 24-hour clock for the
// police to accept the report starts.
func Example() {
	reg, err := workflow.LoadDir("../../workflows")
	if err != nil {
		log.Fatal(err) // a *workflow.ValidationError lists every file:line: problem
	}
	def, _ := reg.Latest("child-abuse")

	for _, c := range def.IntakeClocks() {
		l, _ := c.LimitFor("")
		fmt.Printf("on intake: %s, %d %s (%s)\n", c.ID, l.Amount, l.Rule, c.Basis)
	}

	tr, err := def.Fire(def.Initial, "refer_police", caseflow.RoleCommuneOfficer,
		map[string]any{"remote_commune": false, "note_to_police": "Trẻ 9 tuổi, nghi bị xâm hại"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s -> %s, referred to %s\n", tr.From, tr.To, tr.Refer)
	for _, c := range tr.StartClocks {
		l, _ := c.LimitFor("")
		fmt.Printf("starts %s: %d %s\n", c.ID, l.Amount, l.Rule)
	}

	_, err = def.Fire(tr.To, "decide_prosecution", caseflow.RoleCommuneOfficer, nil)
	fmt.Println(caseflow.ErrorCode(err))
	// Output:
	// on intake: emergency_measures, 12 hours (Nghị định 56/2017/NĐ-CP Điều 26.3)
	// received -> police, referred to police
	// starts transfer_to_police: 24 hours
	// forbidden
}
