package access

import (
	"context"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// API key scopes are "<object>:read" and "<object>:write" for every known
// object (Objects), so an object a later domain registers gets its scopes
// without a change here. Read covers reading and exporting; write covers
// creating, updating and deleting.

// KeyScope is the scope an API key needs to do action to object.
func KeyScope(object string, action Action) string {
	if action == Read || action == Export {
		return object + ":read"
	}
	return object + ":write"
}

// KeyScopes lists every scope a key may be given, object by object in the
// order pages show objects, read before write.
func KeyScopes() []string {
	objs := Objects()
	out := make([]string, 0, 2*len(objs))
	for _, o := range objs {
		out = append(out, o.Name+":read", o.Name+":write")
	}
	return out
}

// ValidKeyScope reports whether s is a scope KeyScopes lists.
func ValidKeyScope(s string) bool { return slices.Contains(KeyScopes(), s) }

// keyCovers reports whether the actor's API key, if any, covers action on
// object.
func (a Actor) keyCovers(object string, action Action) bool {
	if a.KeyScopes == nil {
		return true
	}
	return slices.Contains(a.KeyScopes, KeyScope(object, action))
}

// ViaKey reports whether the actor acts through an API key.
func (a Actor) ViaKey() bool { return a.KeyScopes != nil }

// MissingScopeError is Check's refusal when the role would allow an
// action but the API key the actor acts through has no scope covering it.
// It wraps apperr.ErrForbidden.
type MissingScopeError struct {
	// Scope is the scope the call needs, such as "contacts:write".
	Scope string
}

func (e *MissingScopeError) Error() string {
	return fmt.Sprintf("access: the API key lacks the scope %s", e.Scope)
}

// Unwrap makes errors.Is(err, apperr.ErrForbidden) hold.
func (e *MissingScopeError) Unwrap() error { return apperr.ErrForbidden }

// CheckKeyScope checks only the API key's scopes, for calls that no role
// rule governs but that a key should not reach unasked (a user's own
// notifications, say). Without a key it allows everything.
func CheckKeyScope(ctx context.Context, object string, action Action) error {
	a, ok := ActorFrom(ctx)
	if !ok || a.keyCovers(object, action) {
		return nil
	}
	return &MissingScopeError{Scope: KeyScope(object, action)}
}
