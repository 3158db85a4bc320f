package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"

	"caseflow/internal/caseflow"
)

// Params are the argon2id cost parameters. The defaults follow the
// recommendation of RFC 9106 for memory-constrained servers.
type Params struct {
	Time    uint32 // iterations; default 2
	Memory  uint32 // KiB; default 19 MiB
	Threads uint8  // default 1
}

// DefaultParams are used for new hashes.
var DefaultParams = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches an argon2id PHC hash.
func CheckPassword(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("account: not an argon2id hash")
	}
	var p Params
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errors.New("account: unsupported argon2 version")
	}
	// argon2.IDKey panics on zero passes or threads and on an empty key, so
	// a damaged stored hash must be refused here. The minimum lengths are
	// those of RFC 9106.
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil || p.Time < 1 || p.Threads < 1 {
		return false, errors.New("account: bad argon2 parameters")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return false, errors.New("account: bad salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) < 4 {
		return false, errors.New("account: bad hash")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// CheckNewPassword enforces the password rule for accounts set by
// administrators: at least 10 characters, not all of one kind. It returns
// what is wrong, or nil.
func CheckNewPassword(pw string) *caseflow.FieldError {
	if len([]rune(pw)) < minPassword {
		return &caseflow.FieldError{Code: caseflow.FieldTooShort, Message: "must be at least 10 characters", Min: minPassword}
	}
	if len(pw) > maxPassword {
		return &caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "must be at most 200 bytes", Max: maxPassword}
	}
	letters, others := false, false
	for _, r := range pw {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') {
			letters = true
		} else {
			others = true
		}
	}
	if !letters || !others {
		return &caseflow.FieldError{Code: caseflow.FieldTooSimple, Message: "must mix letters with digits or symbols"}
	}
	return nil
}

// Bounds of a new password: characters at least, bytes at most.
const (
	minPassword = 10
	maxPassword = 200
)
