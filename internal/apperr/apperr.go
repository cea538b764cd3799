// Package apperr holds the errors services return and the web layer maps to
// HTTP: not found (404), conflict (409), forbidden (403) and validation
// (422, or the form re-rendered with messages beside the fields).
package apperr

import (
	"errors"
	"strings"
)

// Sentinel errors; wrap them with %w and a lowercase prefix.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrForbidden = errors.New("forbidden")
)

// FieldError says what is wrong with one field, in words a person understands.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Validation collects every bad field of one input.
type Validation struct {
	Fields []FieldError
	// Conflict marks input that is well-formed but clashes with another
	// record (a taken email or domain): the API answers 409, forms show
	// the messages like any other.
	Conflict bool
}

// Is makes a conflicting Validation match ErrConflict.
func (v *Validation) Is(target error) bool { return v.Conflict && target == ErrConflict }

// Add records a problem with field. Only the first message per field is kept.
func (v *Validation) Add(field, message string) {
	if v.For(field) != "" {
		return
	}
	v.Fields = append(v.Fields, FieldError{Field: field, Message: message})
}

// For returns the message for field, or "".
func (v *Validation) For(field string) string {
	if v == nil {
		return ""
	}
	for _, f := range v.Fields {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// Err returns v as an error when it holds any problem, else nil.
func (v *Validation) Err() error {
	if v == nil || len(v.Fields) == 0 {
		return nil
	}
	return v
}

func (v *Validation) Error() string {
	parts := make([]string, len(v.Fields))
	for i, f := range v.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// AsValidation returns the Validation inside err, or nil.
func AsValidation(err error) *Validation {
	var v *Validation
	if errors.As(err, &v) {
		return v
	}
	return nil
}

// Merge adds the fields of err, when it is a Validation, to v; it also
// carries over Conflict.
func (v *Validation) Merge(err error) {
	if o := AsValidation(err); o != nil {
		for _, f := range o.Fields {
			v.Add(f.Field, f.Message)
		}
		v.Conflict = v.Conflict || o.Conflict
	}
}
