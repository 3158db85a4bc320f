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

func TestDataKeysAndTheirWrapping(t *testing.T) {
	ring, err := NewKeyRing("a:"+NewKey(), make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	raw := NewDataKey()
	key, err := OpenDataKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := key.Seal("person.full_name", "Bé Hư Cấu")
	if err != nil || !IsCaseSealed(sealed) {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	if got, err := key.Open("person.full_name", sealed); err != nil || got != "Bé Hư Cấu" {
		t.Fatalf("opened %q, %v", got, err)
	}
	if _, err := key.Open("person.address", sealed); err == nil {
		t.Fatal("a value opened under another context")
	}
	other, _ := OpenDataKey(NewDataKey())
	if _, err := other.Open("person.full_name", sealed); err == nil {
		t.Fatal("a value opened with another case's key")
	}
	if _, err := OpenDataKey(raw[:16]); err == nil {
		t.Fatal("a short data key was taken")
	}

	wrapped, err := ring.WrapKey("HY-2026-000001", raw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.UnwrapKey("HY-2026-000002", wrapped); err == nil {
		t.Fatal("a wrapped key opened for another case")
	}
	rotated, err := ring.WithKey("b", make([]byte, 32))
	if err != nil || rotated.ActiveKeyID() != "b" {
		t.Fatalf("rotated ring: %v", err)
	}
	if back, err := rotated.UnwrapKey("HY-2026-000001", wrapped); err != nil || string(back) != string(raw) {
		t.Fatalf("the rotated ring does not open the old wrapping: %v", err)
	}
	rewrapped, _ := rotated.WrapKey("HY-2026-000001", raw)
	if KeyID(rewrapped) != "b" {
		t.Fatalf("wrapped with %q", KeyID(rewrapped))
	}
	newOnly, err := rotated.Without("a")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newOnly.UnwrapKey("HY-2026-000001", wrapped); err == nil {
		t.Fatal("the old wrapping opened without the old key")
	}
	if _, err := newOnly.UnwrapKey("HY-2026-000001", rewrapped); err != nil {
		t.Fatal(err)
	}
	if _, err := rotated.Without("b"); err == nil {
		t.Fatal("the active key was dropped")
	}
	if _, err := ring.WithKey("a", make([]byte, 32)); err == nil {
		t.Fatal("a key id was taken twice")
	}
	merged := ring.Merge(rotated)
	if merged.ActiveKeyID() != "a" {
		t.Fatal("the merged ring changed its active key")
	}
	if _, err := merged.UnwrapKey("HY-2026-000001", rewrapped); err != nil {
		t.Fatal("the merged ring does not hold the other's keys")
	}
}
