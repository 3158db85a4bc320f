package report_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/report"
)

var errBroken = errors.New("the disk is full")

// brokenWriter takes left bytes and then fails every write.
type brokenWriter struct{ left int }

func (w *brokenWriter) Write(p []byte) (int, error) {
	if len(p) <= w.left {
		w.left -= len(p)
		return len(p), nil
	}
	n := w.left
	w.left = 0
	return n, errBroken
}

func TestWriterErrorIsReturned(t *testing.T) {
	t.Parallel()
	for _, format := range []struct {
		name  string
		write func(io.Writer, *caseflow.ComplianceReport) error
	}{
		{"CSV", report.WriteCSV},
		{"XLSX", report.WriteXLSX},
	} {
		t.Run(format.name, func(t *testing.T) {
			t.Parallel()
			var whole bytes.Buffer
			require.NoError(t, format.write(&whole, sample(t)))
			size := whole.Len()
			require.Greater(t, size, 4096, "the output is larger than one buffer, so a failure can come mid-way")

			for name, left := range map[string]int{"AtOnce": 0, "MidWay": size / 2, "AtTheLastByte": size - 1} {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					w := &brokenWriter{left: left}
					err := format.write(w, sample(t))
					require.ErrorIs(t, err, errBroken)
					require.Contains(t, err.Error(), "report: writing")
				})
			}

			t.Run("WriterThatTakesItAllSucceeds", func(t *testing.T) {
				t.Parallel()
				require.NoError(t, format.write(&brokenWriter{left: size}, sample(t)))
			})
		})
	}
}
