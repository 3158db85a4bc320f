package account_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/testenv"
)

func TestHashPassword(t *testing.T) {
	t.Parallel()

	t.Run("IsArgon2idInPHCFormatWithTheGivenCosts", func(t *testing.T) {
		t.Parallel()
		h, err := account.HashPassword("correct horse 1", account.Params{Time: 3, Memory: 2048, Threads: 2})
		require.NoError(t, err)
		parts := strings.Split(h, "$")
		require.Len(t, parts, 6, h)
		require.Equal(t, []string{"", "argon2id", "v=19", "m=2048,t=3,p=2"}, parts[:4])
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		require.NoError(t, err)
		require.Len(t, salt, 16)
		key, err := base64.RawStdEncoding.DecodeString(parts[5])
		require.NoError(t, err)
		require.Len(t, key, 32)
		require.NotContains(t, h, "correct horse")
	})

	t.Run("SaltDiffersEachTime", func(t *testing.T) {
		t.Parallel()
		a, err := account.HashPassword("same password 1", testenv.FastParams)
		require.NoError(t, err)
		b, err := account.HashPassword("same password 1", testenv.FastParams)
		require.NoError(t, err)
		require.NotEqual(t, a, b)
	})

	t.Run("ServiceHashUsesItsParams", func(t *testing.T) {
		t.Parallel()
		s := &account.Service{Params: account.Params{Time: 1, Memory: 512, Threads: 1}}
		h, err := s.Hash("service password 1")
		require.NoError(t, err)
		require.Contains(t, h, "$m=512,t=1,p=1$")
		ok, err := account.CheckPassword("service password 1", h)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("ServiceWithoutParamsUsesTheDefaults", func(t *testing.T) {
		t.Parallel()
		h, err := (&account.Service{}).Hash("default password 1")
		require.NoError(t, err)
		require.Contains(t, h, "$m=19456,t=2,p=1$")
	})
}

func TestCheckPassword(t *testing.T) {
	t.Parallel()
	hash, err := account.HashPassword("Mật khẩu đúng 42", testenv.FastParams)
	require.NoError(t, err)

	t.Run("RightPasswordMatches", func(t *testing.T) {
		t.Parallel()
		ok, err := account.CheckPassword("Mật khẩu đúng 42", hash)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("WrongPasswordDoesNotMatch", func(t *testing.T) {
		t.Parallel()
		for _, pw := range []string{"", "Mật khẩu đúng 4", "Mật khẩu đúng 42 ", "mật khẩu đúng 42", "Mat khau dung 42"} {
			ok, err := account.CheckPassword(pw, hash)
			require.NoError(t, err, "%q", pw)
			require.False(t, ok, "%q", pw)
		}
	})

	t.Run("HashOfTheDefaultParamsVerifies", func(t *testing.T) {
		t.Parallel()
		h, err := account.HashPassword("slow but sure 7", account.DefaultParams)
		require.NoError(t, err)
		ok, err := account.CheckPassword("slow but sure 7", h)
		require.NoError(t, err)
		require.True(t, ok)
	})

	t.Run("TamperedKeyDoesNotMatch", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(hash, "$")
		key, err := base64.RawStdEncoding.DecodeString(parts[5])
		require.NoError(t, err)
		key[0] ^= 1
		parts[5] = base64.RawStdEncoding.EncodeToString(key)
		ok, err := account.CheckPassword("Mật khẩu đúng 42", strings.Join(parts, "$"))
		require.NoError(t, err)
		require.False(t, ok)
	})

	t.Run("MalformedStoredHashIsAnError", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(hash, "$")
		salt, key := parts[4], parts[5]
		for name, h := range map[string]string{
			"Empty":          "",
			"Bcrypt":         "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
			"Argon2i":        "$argon2i$v=19$m=1024,t=1,p=1$" + salt + "$" + key,
			"TooFewParts":    "$argon2id$v=19$m=1024,t=1,p=1$" + salt,
			"TooManyParts":   hash + "$extra",
			"OtherVersion":   "$argon2id$v=16$m=1024,t=1,p=1$" + salt + "$" + key,
			"NoVersion":      "$argon2id$x$m=1024,t=1,p=1$" + salt + "$" + key,
			"BadParameters":  "$argon2id$v=19$m=a,t=1,p=1$" + salt + "$" + key,
			"ThreadsOver255": "$argon2id$v=19$m=1024,t=1,p=256$" + salt + "$" + key,
			"SaltNotBase64":  "$argon2id$v=19$m=1024,t=1,p=1$!!!$" + key,
			"KeyNotBase64":   "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$!!!",
			"ZeroTime":       "$argon2id$v=19$m=1024,t=0,p=1$" + salt + "$" + key,
			"ZeroThreads":    "$argon2id$v=19$m=1024,t=1,p=0$" + salt + "$" + key,
			"EmptySalt":      "$argon2id$v=19$m=1024,t=1,p=1$$" + key,
			"EmptyKey":       "$argon2id$v=19$m=1024,t=1,p=1$" + salt + "$",
		} {
			var ok bool
			var err error
			require.NotPanics(t, func() { ok, err = account.CheckPassword("Mật khẩu đúng 42", h) }, name)
			require.Error(t, err, name)
			require.False(t, ok, name)
		}
	})
}

func TestCheckNewPassword(t *testing.T) {
	t.Parallel()
	for pw, want := range map[string]string{
		"short1!":                       "must be at least 10 characters",
		"đủ1!":                          "must be at least 10 characters",
		"Mật khẩu 9":                    "", // ten characters, though more bytes
		"abcdefghij":                    "must mix letters with digits or symbols",
		"1234567890":                    "must mix letters with digits or symbols",
		"!@#$%^&*()":                    "must mix letters with digits or symbols",
		"letters and spaces":            "",
		"Password12":                    "",
		strings.Repeat("a1", 100):       "",
		strings.Repeat("a1", 100) + "b": "must be at most 200 bytes",
	} {
		got := account.CheckNewPassword(pw)
		if want == "" {
			require.Nil(t, got, "%q", pw)
			continue
		}
		require.NotNil(t, got, "%q", pw)
		require.Equal(t, want, got.Message, "%q", pw)
		require.NotEmpty(t, got.Code, "%q", pw)
	}
}
