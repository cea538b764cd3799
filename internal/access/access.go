// Package access says who is acting and what they may do. Services read the
// actor from the context and check it before they touch data, so the web
// pages, the REST API and the shell commands obey the same rules.
package access

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// Action is something a role may be allowed to do to an object.
type Action string

// Actions on customer data.
const (
	Read   Action = "read"
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
	Export Action = "export"
)

// Objects the permission model knows.
const (
	Contacts     = "contacts"
	Companies    = "companies"
	Activities   = "activities"
	CustomFields = "custom_fields"
	Views        = "views"
	Settings     = "settings"
)

// Actor is the user (or the system) on whose behalf a service runs.
type Actor struct {
	UserID string
	Name   string
	Role   string
	// System marks work started by Rapport itself (demo data, shell
	// commands run by the machine's operator); it may do everything.
	System bool
}

// SystemActor acts for the operator of the machine.
var SystemActor = Actor{Name: "Rapport", Role: "owner", System: true}

type ctxKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, ctxKey{}, a)
}

// ActorFrom returns the actor in ctx and whether there is one.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(ctxKey{}).(Actor)
	return a, ok
}

// Check returns nil when the actor in ctx may do action to object, and an
// error wrapping apperr.ErrForbidden otherwise (also when there is no actor).
func Check(ctx context.Context, object string, action Action) (Actor, error) {
	a, ok := ActorFrom(ctx)
	if !ok {
		return a, fmt.Errorf("access: no actor for %s %s: %w", action, object, apperr.ErrForbidden)
	}
	if !Allowed(a, object, action) {
		return a, fmt.Errorf("access: %s may not %s %s: %w", a.Role, action, object, apperr.ErrForbidden)
	}
	return a, nil
}

// Allowed reports whether a may do action to object. Viewers read; members
// and above work with customer data; only admins and owners change the
// schema (custom fields).
func Allowed(a Actor, object string, action Action) bool {
	if a.System {
		return true
	}
	switch a.Role {
	case "owner", "admin":
		return true
	case "manager", "member":
		if object == CustomFields || object == Settings {
			return action == Read
		}
		return true
	case "viewer":
		return action == Read || (object == Views && action != Delete)
	}
	return false
}

// ActorID is the user ID to record as created_by/updated_by: empty for the
// system.
func (a Actor) ActorID() string { return a.UserID }
