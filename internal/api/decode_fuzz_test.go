package api

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"caseflow/internal/caseflow"
)

// Fuzz tests of the two decoders most input goes through. Whatever the
// bytes, a decoder answers a malformed or invalid error naming text fields,
// or a value whose every string may be stored (valid UTF-8 without NUL);
// it never panics. ./test runs each for a few seconds; run one longer with
//
//	go test ./internal/api -run '^$' -fuzz FuzzDecodeReport -fuzztime 5m

var fuzzNow = time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)

const validReportJSON = `{"received_at": "2026-11-29T08:00:00+07:00", "channel": "hotline_111", "commune_code": "12004",
	"abuse_types": ["sexual"], "setting": "family", "immediate_danger": true,
	"children": [{"full_name": "Bé Hư Cấu", "sex": "female", "date_of_birth": "2015-03-02"}],
	"suspects": [{"full_name": "Nghi Phạm Hư Cấu", "relationship": "relative"}],
	"reporter": {"full_name": "Người Báo Hư Cấu", "phone": "0900 000 111", "anonymous": false},
	"narrative": "Câu chuyện hư cấu"}`

// hostileSeeds are the input classes that once reached the database or
// were read loosely.
var hostileSeeds = []string{
	`{"children": [{"full_name": "Bé\u0000"}]}`,
	"{\"children\": [{\"full_name\": \"B\xff\xfe\"}]}",
	`{"EVENT": "x", "version": 1}`,
	`{"children": [{"Full_Name": "Bé"}]}`,
	`{"event": "a", "event": "b"}`,
	`{"children": [{"sex": "female", "sex": "male"}]}`,
	`{"event": "a"}}}`,
	`{"event": "a"} {"event": "b"}`,
	`{"children": [{"full_name": "\u200b\u200c\u200d"}]}`,
	`{"children": [{"full_name": "\ufeff"}]}`,
	`{"received_at": "2026-11-28T20:30:00Z", "children": [{"full_name": "Bé", "sex": "male", "date_of_birth": "2008-11-29"}]}`,
	`{"received_at": "2027-01-01T00:00:00+07:00"}`,
	`{"data": {"note": "\u0000", "n": 1e400, "deep": [[[[{"x": "\ud800"}]]]]}}`,
	`[]`, `null`, `"x"`, `1`, ``, `{`, `{"version": "1"}`, `{"version": 1.5}`, `{"data": []}`,
}

// checkDecoded holds the decoders' promise for one input.
func checkDecoded(t *testing.T, err error, v any) {
	t.Helper()
	if err != nil {
		var de *caseflow.Error
		if !errors.As(err, &de) {
			t.Fatalf("not a domain error: %T %v", err, err)
		}
		if de.Code != caseflow.EMalformed && de.Code != caseflow.EInvalid {
			t.Fatalf("code %q: %v", de.Code, err)
		}
		for name := range de.Fields {
			if !caseflow.IsText(name) {
				t.Fatalf("a field name that is not text: %q", name)
			}
		}
		return
	}
	if p := notText(reflect.ValueOf(v), ""); p != "" {
		t.Fatalf("%s is not text, yet decoded", p)
	}
}

func FuzzDecodeReport(f *testing.F) {
	f.Add([]byte(validReportJSON))
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req reportRequest
		err := decodeBytes(raw, &req)
		checkDecoded(t, err, &req)
		if err != nil {
			return
		}
		rep, err := req.report(func(r *caseflow.Report) error { return r.Validate(fuzzNow) })
		if err == nil {
			err = rep.Validate(fuzzNow) // as the service does before filing
		}
		checkDecoded(t, err, rep)
		if err != nil {
			return
		}
		for _, c := range rep.Children {
			if caseflow.Blank(c.FullName) {
				t.Fatalf("a child with a blank name passed: %q", c.FullName)
			}
			if age := caseflow.AgeWhen(c.Age, c.DateOfBirth, rep.ReceivedAt); age == nil || *age < 0 || *age > 17 {
				t.Fatalf("a child of age %v passed", age)
			}
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"event": "record_emergency_measures", "version": 3, "data": {"measures": "Đưa trẻ đến nơi an toàn"}}`))
	f.Add([]byte(`{"event": "refer_police", "version": 2, "occurred_at": "2026-11-29", "late_reason": "Nhập lại hồ sơ giấy", "data": {"remote_commune": false}}`))
	for _, s := range hostileSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req eventRequest
		err := decodeBytes(raw, &req)
		checkDecoded(t, err, &req)
		if err != nil {
			return
		}
		_, _, err = parseOccurred(req.OccurredAt)
		checkDecoded(t, err, nil)
	})
}
