package gateway

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"caseflow/internal/caseflow"
)

func TestTextIsOnePlainSMS(t *testing.T) {
	n := caseflow.Notification{Kind: caseflow.NotificationBreach, CaseCode: "HY-2026-000042", Clock: "transfer_to_police",
		DueAt: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC), LegalBasis: "Điều 145 Bộ luật Tố tụng hình sự " + strings.Repeat("và các văn bản hướng dẫn ", 10)}
	s := Text(n)
	if got := utf8.RuneCountInString(s); got > MaxSMS {
		t.Fatalf("%d characters: %q", got, s)
	}
	for _, r := range s {
		if r > 127 {
			t.Fatalf("not plain: %q in %q", r, s)
		}
	}
	for _, want := range []string{"HY-2026-000042", "QUA HAN", "17:00 03/12", "Dieu 145"} {
		if !strings.Contains(s, want) {
			t.Fatalf("%q lacks %q", s, want)
		}
	}
}

func TestSignCoversTimestampAndBody(t *testing.T) {
	a := Sign([]byte("k"), "1", []byte(`{}`))
	if a == Sign([]byte("k"), "2", []byte(`{}`)) || a == Sign([]byte("k"), "1", []byte(`{ }`)) || a == Sign([]byte("j"), "1", []byte(`{}`)) {
		t.Fatal("the signature does not cover timestamp, body and key")
	}
}
