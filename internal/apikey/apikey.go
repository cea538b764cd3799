// Package apikey manages API keys: secrets a user creates in Settings for
// a script or another system to call the REST API as that user, narrowed
// to the key's scopes. The secret is shown once; only its SHA-256 is kept.
package apikey

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// SecretPrefix starts every secret, so a leaked one is recognisable (and
// secret scanners can find it).
const SecretPrefix = "rk_live_"

// secretBytes of randomness: 256 bits. With that much entropy a fast hash
// (SHA-256) is right: nobody can guess a preimage, and a slow password
// hash would only cost every API request a few milliseconds of CPU.
const secretBytes = 32

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// secretLen is the length of a secret: the prefix and 52 base32 letters.
var secretLen = len(SecretPrefix) + encoding.EncodedLen(secretBytes)

// prefixLen is how much of the secret lists show: the prefix and 8 letters.
var prefixLen = len(SecretPrefix) + 8

// Errors of Authenticate. They do not tell a revoked key from one that
// never existed.
var (
	ErrMalformed = errors.New("apikey: malformed key")
	ErrUnknown   = errors.New("apikey: unknown or revoked key")
	ErrExpired   = errors.New("apikey: expired key")
	ErrDisabled  = errors.New("apikey: the key's user is deactivated")
)

// Limits of the input.
const (
	MaxNameLen = 100
	// LastUsedEvery is how stale last_used_at may be: a key used many
	// times a minute is written at most once a minute.
	LastUsedEvery = time.Minute
)

// Key is an API key as lists show it; the secret is never in it.
type Key struct {
	ID       string   `json:"id"`
	UserID   string   `json:"user_id"`
	UserName string   `json:"user_name"`
	Name     string   `json:"name"`
	Prefix   string   `json:"prefix"`
	Scopes   []string `json:"scopes"`
	// ExpiresAt is zero when the key does not expire.
	ExpiresAt  time.Time `json:"expires_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	RevokedAt  time.Time `json:"revoked_at"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
}

// Status of a key.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
)

// Status says whether k works at now.
func (k Key) Status(now time.Time) string {
	switch {
	case !k.RevokedAt.IsZero():
		return StatusRevoked
	case !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt):
		return StatusExpired
	}
	return StatusActive
}

// Input is what a person fills in to create a key.
type Input struct {
	Name   string
	Scopes []string
	// ExpiresOn is an optional date, YYYY-MM-DD: the key works through
	// that day (UTC) and no longer.
	ExpiresOn string
}

// Created is a new key with its secret, which is shown this once.
type Created struct {
	Key
	Secret string
}

func newSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b)
	return SecretPrefix + strings.ToLower(encoding.EncodeToString(b))
}

// wellFormed reports whether s could be a secret: the prefix and the
// right number of base32 letters.
func wellFormed(s string) bool {
	if len(s) != secretLen || !strings.HasPrefix(s, SecretPrefix) {
		return false
	}
	for _, c := range s[len(SecretPrefix):] {
		if !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

func hashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
