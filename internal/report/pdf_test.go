package report_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/report"
)

// TestPDF writes the report as a document and reads its text layer back
// with pdftotext (poppler-utils, which ./test installs): the Vietnamese
// comes out as written, diacritics included, in the layout of Decree 30.
func TestPDF(t *testing.T) {
	r := sample(t)
	var buf bytes.Buffer
	require.NoError(t, report.WritePDF(&buf, r, report.DefaultLetterhead(r)))
	require.True(t, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")))

	bin, err := exec.LookPath("pdftotext")
	require.NoError(t, err, "pdftotext is needed: apt-get install -y poppler-utils (./test installs it)")
	dir := t.TempDir()
	in := filepath.Join(dir, "bao-cao.pdf")
	require.NoError(t, os.WriteFile(in, buf.Bytes(), 0o600))
	out, err := exec.Command(bin, in, "-").Output()
	require.NoError(t, err)
	text := string(out)
	for _, want := range []string{
		"ỦY BAN NHÂN DÂN TỈNH HƯNG YÊN", "BAN CHỈ ĐẠO CÔNG TÁC TRẺ EM",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		"Hưng Yên, ngày 15 tháng 04 năm 2026", "BÁO CÁO",
		"Tỷ lệ giải quyết tin báo về tội phạm", "60,0%", "Không đạt",
		"Số vụ phạm tội xâm hại trẻ em so với cùng kỳ năm trước", "-5,0%",
		"Huyện Văn Lâm", "Công an huyện Văn Lâm", "TRẺ EM BỊ XÂM HẠI", "Bạo lực thể chất",
		"Nơi nhận:", "Lưu: VT.", "TRƯỞNG BAN",
	} {
		require.Contains(t, squash(text), squash(want), "the text layer has %q", want)
	}
	require.NotContains(t, text, "á»", "no mojibake (UTF-8 read as Latin-1)")
}

// squash collapses runs of spaces and the line breaks of wrapped cells.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
