package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// prefix marks the ciphertext format so that a later format can coexist.
const prefix = "v1"

// KeyRing encrypts with its active key and decrypts with any key it holds.
// It is safe for concurrent use.
type KeyRing struct {
	active string
	aeads  map[string]cipher.AEAD
	blind  []byte
}

// ParseKeys parses a key ring specification: a comma-separated list of
// id:base64 entries, each key 32 bytes; the first entry is the active key.
func ParseKeys(spec string) (map[string][]byte, []string, error) {
	keys := map[string][]byte{}
	var order []string
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" {
			return nil, nil, fmt.Errorf("key entry %q is not of the form id:base64", redact(part))
		}
		if strings.ContainsAny(id, ".: ") {
			return nil, nil, fmt.Errorf("key id %q may not contain '.', ':' or spaces", id)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return nil, nil, fmt.Errorf("key %q is not valid base64", id)
		}
		if len(raw) != 32 {
			return nil, nil, fmt.Errorf("key %q has %d bytes, want 32", id, len(raw))
		}
		if _, dup := keys[id]; dup {
			return nil, nil, fmt.Errorf("key id %q appears twice", id)
		}
		keys[id] = raw
		order = append(order, id)
	}
	if len(order) == 0 {
		return nil, nil, errors.New("no keys given")
	}
	return keys, order, nil
}

func redact(s string) string {
	if i := strings.Index(s, ":"); i >= 0 {
		return s[:i] + ":…"
	}
	return "…"
}

// NewKeyRing builds a key ring from an encryption key specification (see
// ParseKeys) and a 32-byte blind-index key.
func NewKeyRing(spec string, blindKey []byte) (*KeyRing, error) {
	keys, order, err := ParseKeys(spec)
	if err != nil {
		return nil, err
	}
	if len(blindKey) < 32 {
		return nil, fmt.Errorf("blind index key has %d bytes, want at least 32", len(blindKey))
	}
	kr := &KeyRing{active: order[0], aeads: map[string]cipher.AEAD{}, blind: append([]byte(nil), blindKey...)}
	for id, k := range keys {
		aead, err := newAEAD(k)
		if err != nil {
			return nil, err
		}
		kr.aeads[id] = aead
	}
	return kr, nil
}

// newAEAD is AES-256-GCM under a 32-byte key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewKey returns a fresh random 32-byte key in base64, for key generation.
func NewKey() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system random source never fails on supported platforms
	}
	return base64.StdEncoding.EncodeToString(b)
}

// ActiveKeyID returns the id of the key new ciphertexts are sealed with.
func (k *KeyRing) ActiveKeyID() string { return k.active }

// Encrypt seals plaintext with the active key. The context names what the
// value is (e.g. "person.full_name") and is authenticated, so a ciphertext
// moved to another column no longer opens. The empty string stays empty.
func (k *KeyRing) Encrypt(context, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	aead := k.aeads[k.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return prefix + "." + k.active + "." + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Decrypt opens a value produced by Encrypt with whichever key sealed it.
func (k *KeyRing) Decrypt(context, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 || parts[0] != prefix {
		return "", errors.New("seal: unknown ciphertext format")
	}
	aead, ok := k.aeads[parts[1]]
	if !ok {
		return "", fmt.Errorf("seal: key %q is not in the key ring", parts[1])
	}
	raw, err := base64.RawStdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("seal: corrupt ciphertext")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("seal: ciphertext does not authenticate")
	}
	return string(pt), nil
}

// KeyID returns the id of the key that sealed a ciphertext, or "".
func KeyID(sealed string) string {
	parts := strings.SplitN(sealed, ".", 3)
	if len(parts) != 3 {
		return ""
	}
	return parts[1]
}

// BlindIndex returns the keyed hash of a child's normalised name and date of
// birth (YYYY-MM-DD). Equal people written with different case, spacing or
// diacritics give the same index; without the key it reveals nothing.
func (k *KeyRing) BlindIndex(name, dateOfBirth string) []byte {
	mac := hmac.New(sha256.New, k.blind)
	mac.Write([]byte(NormaliseName(name)))
	mac.Write([]byte{0})
	mac.Write([]byte(strings.TrimSpace(dateOfBirth)))
	return mac.Sum(nil)
}

// NameIndex returns the keyed hash of a child's normalised name alone, for
// a search that does not know the date of birth. It is keyed apart from
// BlindIndex, so the two never compare equal.
func (k *KeyRing) NameIndex(name string) []byte {
	mac := hmac.New(sha256.New, k.blind)
	mac.Write([]byte("name\x00"))
	mac.Write([]byte(NormaliseName(name)))
	return mac.Sum(nil)
}

// NormaliseName lowercases a Vietnamese name, strips diacritics (đ → d) and
// collapses whitespace, so that "Nguyễn  Thị Mai" and "nguyen thi mai" match.
func NormaliseName(name string) string {
	decomposed := norm.NFD.String(strings.ToLower(name))
	var b strings.Builder
	space := false
	for _, r := range decomposed {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// Per-case data keys (envelope encryption). Each case's personal values are
// sealed with a data key of its own; the key ring's active key wraps that
// data key. Erasing the wrapped key makes every value of the case
// unreadable wherever it is stored, append-only tables included
// (crypto-shredding), and rotating the master key re-wraps data keys, not
// values.

// dataPrefix marks a value sealed with a case's data key.
const dataPrefix = "c1."

// DataKey seals and opens the values of one case. It is safe for
// concurrent use.
type DataKey struct{ aead cipher.AEAD }

// NewDataKey returns a fresh random 32-byte data key.
func NewDataKey() []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the system random source never fails on supported platforms
	}
	return b
}

// OpenDataKey prepares a data key for use.
func OpenDataKey(raw []byte) (*DataKey, error) {
	if len(raw) != 32 {
		return nil, fmt.Errorf("seal: a data key has %d bytes, want 32", len(raw))
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	return &DataKey{aead: aead}, nil
}

// Seal seals plaintext; context names what the value is and is
// authenticated. The empty string stays empty.
func (d *DataKey) Seal(context, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	nonce := make([]byte, d.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return dataPrefix + base64.RawStdEncoding.EncodeToString(d.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))), nil
}

// Open opens a value Seal produced with this key.
func (d *DataKey) Open(context, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	if !IsCaseSealed(sealed) {
		return "", errors.New("seal: not sealed with a case's data key")
	}
	raw, err := base64.RawStdEncoding.DecodeString(sealed[len(dataPrefix):])
	if err != nil || len(raw) < d.aead.NonceSize() {
		return "", errors.New("seal: corrupt ciphertext")
	}
	pt, err := d.aead.Open(nil, raw[:d.aead.NonceSize()], raw[d.aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("seal: ciphertext does not authenticate")
	}
	return string(pt), nil
}

// IsCaseSealed reports whether a value was sealed with a case's data key
// (rather than directly with the key ring, as before data keys).
func IsCaseSealed(sealed string) bool { return strings.HasPrefix(sealed, dataPrefix) }

// WrapKey seals a case's data key with the ring's active key, bound to the
// case (its code), so that a wrapped key moved to another case no longer
// opens.
func (k *KeyRing) WrapKey(caseCode string, raw []byte) (string, error) {
	return k.Encrypt("case.key/"+caseCode, base64.StdEncoding.EncodeToString(raw))
}

// UnwrapKey opens a wrapped data key with whichever ring key wrapped it.
func (k *KeyRing) UnwrapKey(caseCode, wrapped string) ([]byte, error) {
	b64, err := k.Decrypt("case.key/"+caseCode, wrapped)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(b64)
}

// WithKey returns a ring holding this ring's keys and the given one, with
// the given one active: the ring of a rotation, which opens what the old
// keys sealed and seals with the new.
func (k *KeyRing) WithKey(id string, raw []byte) (*KeyRing, error) {
	if _, dup := k.aeads[id]; dup {
		return nil, fmt.Errorf("key id %q is already in the ring", id)
	}
	aead, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	out := &KeyRing{active: id, aeads: map[string]cipher.AEAD{id: aead}, blind: k.blind}
	for kid, a := range k.aeads {
		out.aeads[kid] = a
	}
	return out, nil
}

// Without returns a ring without the key id (the old key, once nothing it
// wrapped is left); the active key cannot be dropped.
func (k *KeyRing) Without(id string) (*KeyRing, error) {
	if id == k.active {
		return nil, fmt.Errorf("key %q is the active key", id)
	}
	out := &KeyRing{active: k.active, aeads: map[string]cipher.AEAD{}, blind: k.blind}
	for kid, a := range k.aeads {
		if kid != id {
			out.aeads[kid] = a
		}
	}
	return out, nil
}

// Merge returns a ring with this ring's keys, active as here, and the
// other's keys besides.
func (k *KeyRing) Merge(other *KeyRing) *KeyRing {
	out := &KeyRing{active: k.active, aeads: map[string]cipher.AEAD{}, blind: k.blind}
	for kid, a := range other.aeads {
		out.aeads[kid] = a
	}
	for kid, a := range k.aeads {
		out.aeads[kid] = a
	}
	return out
}
