// Package access says who is acting and what they may do. Services read the
// actor from the context and check it before they touch data, so the web
// pages, the REST API and the shell commands obey the same rules.
//
// Two questions are asked. Check: may this actor do this action to this
// kind of object at all (the role's permissions)? And visibility: which
// records of that kind may the actor see (the role's scope: their own, their
// teams', or all)? A record outside the scope is reported as not found, so
// its existence is not given away.
package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// Action is something a role may be allowed to do to an object.
type Action string

// Actions on objects.
const (
	Read   Action = "read"
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
	Export Action = "export"
)

// Actions lists every action in the order pages show them.
var Actions = []Action{Read, Create, Update, Delete, Export}

// Objects the permission model knows from the start; later domains add
// theirs with Register.
const (
	Contacts     = "contacts"
	Companies    = "companies"
	Activities   = "activities"
	CustomFields = "custom_fields"
	Views        = "views"
	Settings     = "settings"
	Users        = "users"
	Audit        = "audit"
)

// Actor is the user (or the system) on whose behalf a service runs.
type Actor struct {
	UserID string
	Name   string
	Role   string
	// Scope is which records the actor sees; "" means ScopeAll.
	Scope Scope
	// Perms are a custom role's permissions; nil for built-in roles, whose
	// rules are in code.
	Perms Perms
	// System marks work started by Rapport itself (demo data, shell
	// commands run by the machine's operator); it may do everything.
	System bool
	// Address and UserAgent say where a request came from, for the audit log.
	Address   string
	UserAgent string
	// KeyScopes narrows the actor to what the API key it acts through
	// covers ("contacts:read", "deals:write", ...): an action the role
	// allows is still refused when no scope covers it. nil when the actor
	// is not acting through a key.
	KeyScopes []string
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
	if !roleAllows(a, object, action) {
		return a, fmt.Errorf("access: %s may not %s %s: %w", a.Role, action, object, apperr.ErrForbidden)
	}
	if !a.keyCovers(object, action) {
		return a, &MissingScopeError{Scope: KeyScope(object, action)}
	}
	return a, nil
}

// Allowed reports whether a may do action to object: the role allows it
// and, for an actor acting through an API key, a scope of the key covers it.
func Allowed(a Actor, object string, action Action) bool {
	return roleAllows(a, object, action) && a.keyCovers(object, action)
}

func roleAllows(a Actor, object string, action Action) bool {
	if a.System {
		return true
	}
	if a.Perms != nil {
		return slices.Contains(a.Perms[object], action)
	}
	return builtinAllows(a.Role, object, action)
}

// builtinAllows is the rule of the five built-in roles. Owners and admins
// do everything (who may manage owners is the user service's rule);
// managers and members work with customer data, managers also export it;
// viewers read. Only owners and admins administer (users, audit) or change
// the schema and settings.
func builtinAllows(role, object string, action Action) bool {
	switch role {
	case "owner", "admin":
		return true
	case "manager", "member", "viewer":
	default:
		return false
	}
	if o, ok := objectByName(object); ok && o.Admin {
		return action == Read && (object == CustomFields || object == Settings)
	}
	switch role {
	case "manager":
		return true
	case "member":
		return action != Export
	default: // viewer
		// Saved views are personal tools: viewers keep their own.
		return action == Read || (object == Views && action != Export)
	}
}

// ActorID is the user ID to record as created_by/updated_by: empty for the
// system.
func (a Actor) ActorID() string { return a.UserID }
