package testenv

import "testing"

func TestPlaceholdersNumberArgumentsOutsideQuotesAndComments(t *testing.T) {
	for _, c := range []struct {
		query string
		args  int
		want  string
	}{
		{"SELECT 1 WHERE a = ? AND b = ?", 2, "SELECT 1 WHERE a = $1 AND b = $2"},
		{"SELECT '?' || ? FROM \"t?\"", 1, "SELECT '?' || $1 FROM \"t?\""},
		{"SELECT ? -- why?\n, ?", 2, "SELECT $1 -- why?\n, $2"},
		{"SELECT data ? 'k'", 0, "SELECT data ? 'k'"},
		{"UPDATE t SET x = '\\x00'", 0, "UPDATE t SET x = '\\x00'"},
	} {
		if got := placeholders(c.query, c.args); got != c.want {
			t.Errorf("placeholders(%q) = %q, want %q", c.query, got, c.want)
		}
	}
}
