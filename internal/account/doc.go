// Package account owns how people prove who they are: argon2id password
// hashes, bearer tokens (only their keyed hash is stored), and login with
// rate limits per account and per address.
package account
