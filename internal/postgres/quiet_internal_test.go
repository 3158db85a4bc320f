package postgres

import (
	"testing"
	"time"

	"caseflow/internal/caseflow"
)

func TestAfterQuietHours(t *testing.T) {
	h := func(n int) *int { return &n }
	at := func(d, hh, mm int) time.Time { return time.Date(2026, 12, d, hh, mm, 0, 0, caseflow.Zone) }
	for _, c := range []struct {
		name     string
		t        time.Time
		from, to *int
		want     time.Time
	}{
		{"no quiet hours", at(3, 23, 0), nil, nil, at(3, 23, 0)},
		{"outside, same day span", at(3, 12, 0), h(13), h(14), at(3, 12, 0)},
		{"inside, same day span", at(3, 13, 30), h(13), h(14), at(3, 14, 0)},
		{"inside, before midnight", at(3, 23, 10), h(22), h(6), at(4, 6, 0)},
		{"inside, after midnight", at(4, 2, 0), h(22), h(6), at(4, 6, 0)},
		{"at the end it is over", at(4, 6, 0), h(22), h(6), at(4, 6, 0)},
		{"outside, across midnight", at(3, 21, 59), h(22), h(6), at(3, 21, 59)},
		{"from equals to: none", at(3, 3, 0), h(5), h(5), at(3, 3, 0)},
	} {
		if got := afterQuietHours(c.t.UTC(), c.from, c.to); !got.Equal(c.want) {
			t.Errorf("%s: got %s, want %s", c.name, got.In(caseflow.Zone), c.want)
		}
	}
}
