package web

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

func TestFieldMessage(t *testing.T) {
	t.Parallel()
	t.Run("EveryCodeHasAText", func(t *testing.T) {
		for _, code := range caseflow.FieldCodes {
			ft, ok := fieldTexts[code]
			require.True(t, ok, "no text for %s", code)
			_, ok = messages[ft.key]
			require.True(t, ok, "code %s: no message %s", code, ft.key)
		}
		require.Len(t, fieldTexts, len(caseflow.FieldCodes), "a text for a code the domain does not declare")
	})
	t.Run("EveryWordingIsOfAKnownCodeAndExists", func(t *testing.T) {
		for k, key := range fieldWordings {
			code, _, _ := strings.Cut(k, " ")
			_, ok := fieldTexts[caseflow.FieldCode(code)]
			require.True(t, ok, "wording %q of an unknown code", k)
			_, ok = messages[key]
			require.True(t, ok, "wording %q: no message %s", k, key)
		}
	})
	t.Run("ParametersFillEveryText", func(t *testing.T) {
		fe := caseflow.FieldError{Min: 3, Max: 7, Allowed: []string{"x"}, Value: "v", Type: "string"}
		fields := []string{"x", "age", "children[0].age", "password", "from", "status", "clock", "note", "version"}
		for _, code := range caseflow.FieldCodes {
			fe.Code = code
			for _, f := range fields {
				for _, lang := range []string{"vi", "en"} {
					s := fieldMessage(lang, f, fe)
					require.NotContains(t, s, "%!", "%s on %s in %s", code, f, lang)
					require.NotContains(t, s, "msg.", "%s on %s in %s", code, f, lang)
				}
			}
		}
	})
	t.Run("ByCodeFieldAndParameters", func(t *testing.T) {
		for _, tc := range []struct {
			field string
			fe    caseflow.FieldError
			want  string
		}{
			{"commune_code", caseflow.FieldError{Code: caseflow.FieldRequired}, "Bắt buộc nhập."},
			{"children", caseflow.FieldError{Code: caseflow.FieldRequired}, "Cần nhập ít nhất một trẻ em."},
			{"children[2].date_of_birth", caseflow.FieldError{Code: caseflow.FieldRequired}, "Nhập ngày sinh hoặc tuổi."},
			{"children[0].age", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Min: 0, Max: 17}, "Tuổi của trẻ phải từ 0 đến 17."},
			{"suspects[1].age", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Min: 0, Max: 120}, "Tuổi phải từ 0 đến 120."},
			{"limit", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Min: 1, Max: 200}, "Giá trị phải từ 1 đến 200."},
			{"received_at", caseflow.FieldError{Code: caseflow.FieldTooOld, Max: 5}, "Thời điểm này đã quá 5 năm."},
			{"data.n", caseflow.FieldError{Code: caseflow.FieldWrongType, Type: "integer"}, "Nhập một số nguyên."},
			{"data.b", caseflow.FieldError{Code: caseflow.FieldWrongType, Type: "boolean"}, "Hãy chọn Có hoặc Không."},
			{"status", caseflow.FieldError{Code: caseflow.FieldWrongState, Allowed: []string{caseflow.ReferralPending}}, "Yêu cầu chuyển gửi này đã được trả lời."},
			{"status", caseflow.FieldError{Code: caseflow.FieldWrongState, Allowed: []string{caseflow.ReferralAccepted}}, "Chỉ hoàn thành được yêu cầu đã tiếp nhận."},
			{"password", caseflow.FieldError{Code: caseflow.FieldTooShort, Min: 10}, "Mật khẩu phải có ít nhất 10 ký tự."},
		} {
			require.Equal(t, tc.want, fieldMessage("vi", tc.field, tc.fe), "%s %+v", tc.field, tc.fe)
		}
	})
	t.Run("NeverByEnglishWords", func(t *testing.T) {
		same := caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "is taken"}
		require.Equal(t, "Không tìm thấy giá trị này.", fieldMessage("vi", "x", same))
	})
	t.Run("UnknownCodeKeepsItsWords", func(t *testing.T) {
		fe := caseflow.FieldError{Code: "made_up", Message: "is odd"}
		require.Equal(t, "Giá trị không hợp lệ. (is odd)", fieldMessage("vi", "x", fe))
		require.Equal(t, "is odd", fieldMessage("en", "x", fe))
	})
}

func TestErrorText(t *testing.T) {
	t.Parallel()
	one := caseflow.InvalidField("note", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "a reason is required to decline"})
	require.Equal(t, "Cần ghi lý do từ chối.", errorText("vi", one))
	fe := caseflow.FieldErrors{}
	fe.Add("a", caseflow.FieldError{Code: caseflow.FieldRequired})
	fe.Add("b", caseflow.FieldError{Code: caseflow.FieldRequired})
	require.Equal(t, "Giá trị không hợp lệ.", errorText("vi", fe.Err()))
	none := caseflow.Errorf(caseflow.EInvalid, "no police agency has jurisdiction")
	require.Equal(t, "Giá trị không hợp lệ. (no police agency has jurisdiction)", errorText("vi", none))
	require.Equal(t, "no police agency has jurisdiction", errorText("en", none))
	require.Equal(t, "Giá trị không hợp lệ. (internal error)", errorText("vi", errors.New("boom")))
}

func TestDueTimeAtMidnightIsTheEndOfTheDayBefore(t *testing.T) {
	// 24:00 of 4 December 2026 in Hanoi is 17:00 UTC.
	end := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	require.Equal(t, "hết ngày 04/12/2026", dueTime("vi", end))
	require.Equal(t, "end of 04/12/2026", dueTime("en", end))
	require.Equal(t, "05/12/2026 08:30", dueTime("vi", time.Date(2026, 12, 5, 1, 30, 0, 0, time.UTC)), "an hour limit keeps its time")
	require.Equal(t, "", dueTime("vi", time.Time{}))
}
