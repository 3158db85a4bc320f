package casework

import (
	"context"

	"caseflow/seeds"
)

// demoSteps fires the workflow steps of a demo case.
func (s *Service) demoSteps(ctx context.Context, code string, steps []seeds.Step) error {
	return nil
}
