package seal

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func testRing(t *testing.T, spec string) *KeyRing {
	t.Helper()
	kr, err := NewKeyRing(spec, []byte(strings.Repeat("b", 32)))
	require.NoError(t, err)
	return kr
}

func TestKeyRing(t *testing.T) {
	t.Parallel()
	k1, k2 := NewKey(), NewKey()

	t.Run("RoundTripHidesPlaintext", func(t *testing.T) {
		kr := testRing(t, "k1:"+k1)
		ct, err := kr.Encrypt("person.full_name", "Trần Thị Hoa")
		require.NoError(t, err)
		require.NotContains(t, ct, "Hoa")
		require.Equal(t, "k1", KeyID(ct))
		pt, err := kr.Decrypt("person.full_name", ct)
		require.NoError(t, err)
		require.Equal(t, "Trần Thị Hoa", pt)
	})
	t.Run("OldKeyStillDecryptsAfterRotation", func(t *testing.T) {
		old := testRing(t, "k1:"+k1)
		ct, err := old.Encrypt("case.narrative", "text")
		require.NoError(t, err)
		rotated := testRing(t, "k2:"+k2+",k1:"+k1)
		require.Equal(t, "k2", rotated.ActiveKeyID())
		pt, err := rotated.Decrypt("case.narrative", ct)
		require.NoError(t, err)
		require.Equal(t, "text", pt)
		ct2, err := rotated.Encrypt("case.narrative", "text")
		require.NoError(t, err)
		require.Equal(t, "k2", KeyID(ct2))
	})
	t.Run("WrongContextFails", func(t *testing.T) {
		kr := testRing(t, "k1:"+k1)
		ct, err := kr.Encrypt("person.full_name", "x")
		require.NoError(t, err)
		_, err = kr.Decrypt("person.address", ct)
		require.Error(t, err)
	})
	t.Run("UnknownKeyFails", func(t *testing.T) {
		ct, err := testRing(t, "k1:"+k1).Encrypt("f", "x")
		require.NoError(t, err)
		_, err = testRing(t, "k2:"+k2).Decrypt("f", ct)
		require.ErrorContains(t, err, "k1")
	})
	t.Run("BadSpecsAreRefused", func(t *testing.T) {
		for _, spec := range []string{"", "nokey", "k1:notbase64!!", "k1:" + k1[:10], "k1:" + k1 + ",k1:" + k2} {
			_, err := NewKeyRing(spec, []byte(strings.Repeat("b", 32)))
			require.Error(t, err, spec)
			require.NotContains(t, err.Error(), k1[12:], "the error must not print key material")
		}
	})
}

func TestBlindIndex(t *testing.T) {
	t.Parallel()
	kr := testRing(t, "k1:"+NewKey())
	a := kr.BlindIndex("Nguyễn  Thị Mai", "2015-03-02")
	require.Equal(t, a, kr.BlindIndex("nguyen thi mai ", "2015-03-02"))
	require.Equal(t, a, kr.BlindIndex("NGUYỄN THỊ MAI", "2015-03-02"))
	require.NotEqual(t, a, kr.BlindIndex("Nguyễn Thị Mai", "2015-03-03"))
	require.NotEqual(t, a, kr.BlindIndex("Nguyễn Thị Mại Anh", "2015-03-02"))
	require.Equal(t, "dang van duc", NormaliseName("Đặng Văn Đức"))
}
