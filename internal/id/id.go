// Package id makes record identifiers: UUIDv7, time-ordered, created in Go
// so they are stable across engines, sync and merge.
package id

import "github.com/google/uuid"

// New returns a fresh UUIDv7 in its canonical text form.
func New() string {
	return uuid.Must(uuid.NewV7()).String()
}

// Valid reports whether s is a UUID in canonical text form.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
