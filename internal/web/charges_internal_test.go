package web

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseCharges(t *testing.T) {
	got, ok := parseCharges("1: 142\n\n2 : Điều 146 : không\n3:147:có")
	require.True(t, ok)
	require.Equal(t, []any{
		map[string]any{"suspect": int64(1), "article": "142"},
		map[string]any{"suspect": int64(2), "article": "Điều 146", "upheld": false},
		map[string]any{"suspect": int64(3), "article": "147", "upheld": true},
	}, got)
	for _, bad := range []string{"142", "một: 142", "1: 142: có lẽ", "1:2:3:4"} {
		_, ok := parseCharges(bad)
		require.False(t, ok, "%q", bad)
	}
}
