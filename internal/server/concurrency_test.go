package server_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConcurrentIntakesGetDistinctCodes(t *testing.T) {
	const n = 50
	tok := login(t, "officer1")
	bodies := make([][]byte, n)
	for i := range bodies {
		raw, err := json.Marshal(report())
		require.NoError(t, err)
		bodies[i] = raw
	}
	t.Parallel()

	answers := postAtOnce(t, n, "/api/v1/reports", tok, func(i int) []byte { return bodies[i] })
	codes := map[string]bool{}
	for _, a := range answers {
		require.Equal(t, http.StatusCreated, a.Status, string(a.Raw))
		code, _ := a.Body["code"].(string)
		require.Regexp(t, `^HY-2026-\d{6}$`, code)
		require.False(t, codes[code], "code %s handed out twice", code)
		codes[code] = true
	}
	require.Len(t, codes, n)
}
