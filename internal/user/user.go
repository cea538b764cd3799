// Package user holds the people who sign in to Rapport, their roles and
// their passwords.
package user

import (
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
)

// Role names. Roles are rows in the roles table; these are the ones the
// first migration creates, highest rank first.
const (
	RoleOwner   = "owner"
	RoleAdmin   = "admin"
	RoleManager = "manager"
	RoleMember  = "member"
	RoleViewer  = "viewer"
)

// ErrBadCredentials is returned for an unknown email and for a wrong
// password alike, so a caller cannot tell which one it was.
var ErrBadCredentials = errors.New("email or password is incorrect")

// ErrSetupDone is returned by Setup once any user exists.
var ErrSetupDone = errors.New("setup is already done")

// User is a person who signs in.
type User struct {
	ID         string
	Email      string
	Name       string
	Role       string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	DisabledAt time.Time
	// Access is the user's role with its scope and permissions.
	Access access.Role
}

// Actor returns the access actor acting as u.
func (u User) Actor() access.Actor { return u.Access.Actor(u.ID, u.Name) }

// Role is one row of the roles table: a built-in role or a custom one.
type Role = access.Role

// NewUser is the input for creating a user.
type NewUser struct {
	Email    string
	Name     string
	Role     string
	Password string
}

// Password length limits. The upper bound stops hashing megabytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// NormaliseEmail trims and lower-cases an address.
func NormaliseEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validate checks in and normalises it; roles is the set of known role names.
func (in *NewUser) validate(roles map[string]bool) error {
	var v apperr.Validation
	in.Email = NormaliseEmail(in.Email)
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Email == "":
		v.Add("email", "Enter an email address.")
	case len(in.Email) > 254:
		v.Add("email", "An email address has at most 254 characters.")
	default:
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email || !strings.Contains(in.Email[strings.LastIndex(in.Email, "@"):], ".") {
			v.Add("email", "Enter an email address like name@example.com.")
		}
	}
	switch {
	case in.Name == "":
		v.Add("name", "Enter a name.")
	case utf8.RuneCountInString(in.Name) > 200:
		v.Add("name", "A name has at most 200 characters.")
	}
	if !roles[in.Role] {
		v.Add("role", "Choose one of the roles: owner, admin, manager, member, viewer.")
	}
	if p := PasswordProblem(in.Password); p != "" {
		v.Add("password", p)
	}
	return v.Err()
}

// PasswordProblem explains what is wrong with pw, or returns "".
func PasswordProblem(pw string) string {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinPasswordLen:
		return "Use at least 10 characters."
	case n > MaxPasswordLen:
		return "Use at most 256 characters."
	case strings.TrimSpace(pw) == "":
		return "A password cannot be only spaces."
	}
	return ""
}
