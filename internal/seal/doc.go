// Package seal owns the encryption of personal data at rest: a key ring of
// AES-256-GCM keys (the key id travels with every ciphertext, so old keys
// still decrypt after a rotation) and the keyed blind index that finds
// likely duplicate children without decrypting anything.
package seal
