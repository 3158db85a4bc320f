package api_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"caseflow/internal/api"
	"caseflow/internal/caseflow"
)

// TestOpenAPIListsEveryFieldCode keeps the codes the document promises and
// the codes the domain declares the same set.
func TestOpenAPIListsEveryFieldCode(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas struct {
				Error struct {
					Properties struct {
						Error struct {
							Properties struct {
								FieldCodes struct {
									AdditionalProperties struct {
										Enum []caseflow.FieldCode `yaml:"enum"`
									} `yaml:"additionalProperties"`
								} `yaml:"field_codes"`
							} `yaml:"properties"`
						} `yaml:"error"`
					} `yaml:"properties"`
				} `yaml:"Error"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	require.NoError(t, yaml.Unmarshal(api.OpenAPI(), &doc))
	require.ElementsMatch(t, caseflow.FieldCodes, doc.Components.Schemas.Error.Properties.Error.Properties.FieldCodes.AdditionalProperties.Enum)
}
