package server_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIntake(t *testing.T) {
	tok := login(t, "officer1")

	t.Run("HappyPath", func(t *testing.T) {
		body := report()
		r := call(t, http.MethodPost, "/api/v1/reports", tok, body)
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Regexp(t, `^HY-2026-\d{6}$`, r.Body["code"])
		require.Equal(t, "received", r.Body["state"])
		require.EqualValues(t, 1, r.Body["version"])
		require.Contains(t, r.Body, "possible_duplicates")
		children := r.Body["children"].([]any)
		require.Equal(t, body["children"].([]map[string]any)[0]["full_name"], children[0].(map[string]any)["full_name"])
	})
}
