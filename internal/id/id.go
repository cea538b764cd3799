// Package id makes record identifiers: UUIDv7, time-ordered, created in Go
// so they are stable across engines, sync and merge.
package id

import (
	"strings"

	"github.com/google/uuid"
)

// New returns a fresh UUIDv7 in its canonical text form.
func New() string {
	return uuid.Must(uuid.NewV7()).String()
}

// Valid reports whether s is a UUID in canonical text form: lower case, as
// Rapport writes them. An upper-case spelling is not valid, so a record is
// found the same way on SQLite (text) and PostgreSQL (uuid).
func Valid(s string) bool {
	if len(s) != 36 || strings.ToLower(s) != s {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
