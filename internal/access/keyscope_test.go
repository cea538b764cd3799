package access_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
)

// TestKeyScopes checks every built-in role under several key scopes
// against every object and action: a call passes only when the role
// allows it and a scope covers it; a role refusal stays a role refusal,
// and a scope refusal names the missing scope.
func TestKeyScopes(t *testing.T) {
	access.Register(access.Object{Name: "widgets", Label: "Widgets", Owned: true})
	if !slices.Contains(access.KeyScopes(), "widgets:write") {
		t.Fatalf("a registered object has no scopes: %v", access.KeyScopes())
	}
	scopeSets := map[string][]string{
		"none":           {},
		"contacts read":  {"contacts:read"},
		"contacts write": {"contacts:write"},
		"contacts rw":    {"contacts:read", "contacts:write"},
		"users rw":       {"users:read", "users:write"},
		"widgets write":  {"widgets:write"},
	}
	for role, allowed := range matrix {
		if role == "sales_rep" {
			continue
		}
		for setName, scopes := range scopeSets {
			base := access.Role{Name: role, Builtin: true, Scope: access.BuiltinScope(role)}.Actor("u1", "U")
			keyed := base
			keyed.KeyScopes = scopes
			for _, object := range append(objects, "widgets") {
				for _, action := range access.Actions {
					roleOK := access.Allowed(base, object, action)
					if object != "widgets" && roleOK != slices.Contains([]rune(allowed[object]), rune(action[0])) {
						t.Fatalf("%s %s %s: role rule disagrees with the matrix", role, action, object)
					}
					need := access.KeyScope(object, action)
					want := roleOK && slices.Contains(scopes, need)
					_, err := access.Check(access.WithActor(context.Background(), keyed), object, action)
					if (err == nil) != want || access.Allowed(keyed, object, action) != want {
						t.Errorf("%s with %s: %s %s: err %v, want allowed=%v", role, setName, action, object, err, want)
						continue
					}
					var missing *access.MissingScopeError
					switch {
					case want:
					case roleOK:
						if !errors.As(err, &missing) || missing.Scope != need || !errors.Is(err, apperr.ErrForbidden) {
							t.Errorf("%s with %s: %s %s: err %v, want the missing scope %s", role, setName, action, object, err, need)
						}
					default:
						if errors.As(err, &missing) || !errors.Is(err, apperr.ErrForbidden) {
							t.Errorf("%s with %s: %s %s: err %v, want a role refusal", role, setName, action, object, err)
						}
					}
				}
			}
		}
	}
}

func TestKeyScopeNames(t *testing.T) {
	for _, tt := range []struct {
		action access.Action
		want   string
	}{{access.Read, "contacts:read"}, {access.Export, "contacts:read"}, {access.Create, "contacts:write"},
		{access.Update, "contacts:write"}, {access.Delete, "contacts:write"}} {
		if got := access.KeyScope("contacts", tt.action); got != tt.want {
			t.Errorf("KeyScope(contacts, %s) = %s, want %s", tt.action, got, tt.want)
		}
	}
	if access.ValidKeyScope("contacts:admin") || !access.ValidKeyScope("audit:read") {
		t.Error("ValidKeyScope")
	}
	// A session actor (no key) is not narrowed.
	a := access.Role{Name: "member", Builtin: true}.Actor("u", "U")
	if a.ViaKey() || !access.Allowed(a, access.Contacts, access.Delete) {
		t.Error("an actor without a key is narrowed")
	}
}
