package access

import (
	"slices"
	"sync"
)

// Scope is the part of the records of an object that a role sees.
type Scope string

// Scopes, narrowest first.
const (
	// ScopeOwn sees records the user owns and records nobody owns.
	ScopeOwn Scope = "own"
	// ScopeTeam adds records owned by anyone sharing a team with the user.
	ScopeTeam Scope = "team"
	// ScopeAll sees every record.
	ScopeAll Scope = "all"
)

// Scopes lists the scopes, narrowest first.
var Scopes = []Scope{ScopeOwn, ScopeTeam, ScopeAll}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(Scopes, s) }

// Label is the scope as pages show it.
func (s Scope) Label() string {
	switch s {
	case ScopeOwn:
		return "Own records"
	case ScopeTeam:
		return "Team's records"
	}
	return "All records"
}

// Perms are a custom role's permissions: the actions allowed per object.
type Perms map[string][]Action

// Allows reports whether p grants action on object.
func (p Perms) Allows(object string, action Action) bool { return slices.Contains(p[object], action) }

// Role is a named set of permissions and a scope.
type Role struct {
	Name        string
	Label       string
	Rank        int
	Description string
	Scope       Scope
	// Perms is nil for built-in roles.
	Perms   Perms
	Builtin bool
}

// Actor returns the actor for user userID called name holding r.
func (r Role) Actor(userID, name string) Actor {
	a := Actor{UserID: userID, Name: name, Role: r.Name, Scope: r.Scope}
	if !r.Builtin {
		a.Perms = r.Perms
		if a.Perms == nil {
			a.Perms = Perms{}
		}
	}
	return a
}

// BuiltinScope is the scope of a built-in role.
func BuiltinScope(role string) Scope {
	switch role {
	case "manager":
		return ScopeTeam
	case "member":
		return ScopeOwn
	}
	return ScopeAll
}

// Object is a kind of thing permissions are given on.
type Object struct {
	Name  string
	Label string
	// Admin objects (schema, settings, users, audit) are administered by
	// owners and admins; built-in roles below them at most read them.
	Admin bool
	// Owned objects have an owner and so obey the visibility scope.
	Owned bool
}

var (
	objectsMu sync.RWMutex
	objects   = []Object{
		{Name: Contacts, Label: "Contacts", Owned: true},
		{Name: Companies, Label: "Companies", Owned: true},
		{Name: Activities, Label: "Notes, calls and meetings"},
		{Name: Views, Label: "Saved views"},
		{Name: CustomFields, Label: "Custom fields", Admin: true},
		{Name: Settings, Label: "Settings", Admin: true},
		{Name: Users, Label: "Users, teams and roles", Admin: true},
		{Name: Audit, Label: "Audit log", Admin: true},
	}
)

// Register adds an object that a later domain brings (deals, tasks, ...),
// so custom roles can be given permissions on it. Registering a name twice
// replaces the first.
func Register(o Object) {
	objectsMu.Lock()
	defer objectsMu.Unlock()
	if i := slices.IndexFunc(objects, func(x Object) bool { return x.Name == o.Name }); i >= 0 {
		objects[i] = o
		return
	}
	objects = append(objects, o)
}

// Objects returns the known objects in the order pages show them.
func Objects() []Object {
	objectsMu.RLock()
	defer objectsMu.RUnlock()
	return slices.Clone(objects)
}

func objectByName(name string) (Object, bool) {
	objectsMu.RLock()
	defer objectsMu.RUnlock()
	i := slices.IndexFunc(objects, func(x Object) bool { return x.Name == name })
	if i < 0 {
		return Object{}, false
	}
	return objects[i], true
}
