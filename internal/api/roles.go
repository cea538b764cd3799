package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/user"
)

// Roles, teams and who holds which role: the doors onto the user
// service's rules, which only users with rights on users pass.

// Scope is the records a role sees.
type Scope string

// Schema lists the scopes.
func (Scope) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(access.Scopes))
	for i, s := range access.Scopes {
		keys[i] = string(s)
	}
	return enum("Which records the role's holders see: own (theirs and unowned ones), "+
		"team (also those of anyone sharing a team with them) or all.", keys)
}

// Action is something a role may be allowed to do to an object.
type Action string

// Schema lists the actions.
func (Action) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(access.Actions))
	for i, a := range access.Actions {
		keys[i] = string(a)
	}
	return enum("An action on an object.", keys)
}

// Permissions are the actions a role allows, per object.
type Permissions map[string][]Action

// Schema names every object; an object left out allows nothing.
func (Permissions) Schema(r huma.Registry) *huma.Schema {
	s := &huma.Schema{Type: huma.TypeObject, Properties: map[string]*huma.Schema{},
		Description: "Actions allowed per object; an object left out allows nothing. Any action besides read needs read.",
		// Unknown objects reach the service, which names them in its answer.
		AdditionalProperties: &huma.Schema{Type: huma.TypeArray, Items: &huma.Schema{Type: huma.TypeString}},
		Examples:             []any{map[string]any{"contacts": []string{"read", "create"}, "companies": []string{"read"}}}}
	for _, o := range access.Objects() {
		s.Properties[o.Name] = &huma.Schema{Type: huma.TypeArray, Items: Action("").Schema(r), Description: o.Label + "."}
	}
	return s
}

func (p Permissions) access() access.Perms {
	out := access.Perms{}
	for o, acts := range p {
		for _, a := range acts {
			out[o] = append(out[o], access.Action(a))
		}
	}
	return out
}

// Role is a built-in or a custom role.
type Role struct {
	Name        string      `json:"name" example:"sales_rep" doc:"The role's key, made from its label when it was created; it never changes."`
	Label       string      `json:"label" example:"Sales rep"`
	Description string      `json:"description" example:"Works leads; never exports."`
	Scope       Scope       `json:"scope"`
	Builtin     bool        `json:"builtin" doc:"Built-in roles (owner, admin, manager, member, viewer) cannot be changed or deleted."`
	Permissions Permissions `json:"permissions" doc:"What the role allows. For built-in roles this is generated from their rules."`
	Users       int         `json:"users" doc:"How many users hold the role, deactivated ones included."`
}

// toRole describes r; its permissions come from the same rule the
// services apply, so built-in roles are described as they are enforced.
func toRole(r user.Role, holders int) Role {
	a := r.Actor("", "")
	perms := Permissions{}
	for _, o := range access.Objects() {
		for _, act := range access.Actions {
			if access.Allowed(a, o.Name, act) {
				perms[o.Name] = append(perms[o.Name], Action(act))
			}
		}
	}
	return Role{Name: r.Name, Label: r.Label, Description: r.Description, Scope: Scope(r.Scope), Builtin: r.Builtin,
		Permissions: perms, Users: holders}
}

// RoleInput defines a custom role.
type RoleInput struct {
	Label       string      `json:"label" example:"Sales rep"`
	Description string      `json:"description,omitempty"`
	Scope       Scope       `json:"scope"`
	Permissions Permissions `json:"permissions,omitempty"`
}

// RolePatch changes a custom role; properties left out stay as they are,
// permissions sent replace all of them.
type RolePatch struct {
	Label       *string      `json:"label,omitempty"`
	Description *string      `json:"description,omitempty"`
	Scope       *Scope       `json:"scope,omitempty"`
	Permissions *Permissions `json:"permissions,omitempty"`
}

// RoleList is every role, highest first: the built-in ones, then custom ones.
type RoleList struct {
	Data []Role `json:"data"`
}

// Team is a group of users.
type Team struct {
	ID        string    `json:"id" format:"uuid"`
	Name      string    `json:"name" example:"Field sales"`
	Members   []string  `json:"members" doc:"The members' user ids."`
	CreatedAt time.Time `json:"created_at"`
}

func toTeam(t user.Team) Team {
	return Team{ID: t.ID, Name: t.Name, Members: nonNil(t.Members), CreatedAt: t.CreatedAt}
}

// TeamInput creates a team.
type TeamInput struct {
	Name    string   `json:"name" example:"Field sales"`
	Members []string `json:"members,omitempty" doc:"User ids."`
}

// TeamPatch changes a team; properties left out stay as they are, members
// sent replace all of them.
type TeamPatch struct {
	Name    *string   `json:"name,omitempty"`
	Members *[]string `json:"members,omitempty" doc:"User ids."`
}

// TeamList is every team, by name.
type TeamList struct {
	Data []Team `json:"data"`
}

// RoleAssignment gives a user a role.
type RoleAssignment struct {
	Role string `json:"role" example:"sales_rep" doc:"A role's name."`
}

// RoleHolder is a user with the role they hold.
type RoleHolder struct {
	ID    string `json:"id" format:"uuid"`
	Email string `json:"email" example:"ann@example.com"`
	Name  string `json:"name" example:"Ann Lee"`
	Role  string `json:"role" example:"sales_rep"`
}

type namePath struct {
	Name string `path:"name" doc:"The role's name." example:"sales_rep"`
}

type rolesOut struct{ Body RoleList }
type roleOut struct{ Body Role }
type roleInput struct{ Body RoleInput }
type rolePatch struct {
	Name string `path:"name" doc:"The role's name." example:"sales_rep"`
	Body RolePatch
}
type roleCreated struct {
	Location string `header:"Location" doc:"The new role's URL."`
	Body     Role
}
type teamsOut struct{ Body TeamList }
type teamOut struct{ Body Team }
type teamInput struct{ Body TeamInput }
type teamPatch struct {
	IDPath
	Body TeamPatch
}
type teamCreated struct {
	Location string `header:"Location" doc:"The new team's URL."`
	Body     Team
}
type roleSet struct {
	IDPath
	Body RoleAssignment
}
type roleHolderOut struct{ Body RoleHolder }

func (a *API) roleRoutes() {
	tags := []string{"Roles and teams"}
	admins := "Owners, admins and roles with rights on users only."
	p, t := Prefix+"/roles", Prefix+"/teams"
	register(a, huma.Operation{OperationID: "list-roles", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List roles", Description: admins}, a.listRoles)
	register(a, huma.Operation{OperationID: "create-role", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a custom role", Description: admins + " The name is made from the label and must be free.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict}}, a.createRole)
	register(a, huma.Operation{OperationID: "get-role", Method: http.MethodGet, Path: p + "/{name}", Tags: tags,
		Summary: "Get a role", Description: admins, Errors: []int{http.StatusNotFound}}, a.getRole)
	register(a, huma.Operation{OperationID: "update-role", Method: http.MethodPatch, Path: p + "/{name}", Tags: tags,
		Summary: "Change a custom role", Description: admins + " Built-in roles cannot be changed (403). Holders are affected at once.",
		Errors: []int{http.StatusNotFound}}, a.updateRole)
	register(a, huma.Operation{OperationID: "delete-role", Method: http.MethodDelete, Path: p + "/{name}", Tags: tags,
		Summary: "Delete a custom role", Description: admins + " Refused with 409 while any user holds it; built-in roles cannot be deleted (403).",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.deleteRole)

	register(a, huma.Operation{OperationID: "list-teams", Method: http.MethodGet, Path: t, Tags: tags,
		Summary: "List teams", Description: admins}, a.listTeams)
	register(a, huma.Operation{OperationID: "create-team", Method: http.MethodPost, Path: t, Tags: tags,
		Summary: "Create a team", Description: admins, DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict}}, a.createTeam)
	register(a, huma.Operation{OperationID: "get-team", Method: http.MethodGet, Path: t + "/{id}", Tags: tags,
		Summary: "Get a team", Description: admins, Errors: []int{http.StatusNotFound}}, a.getTeam)
	register(a, huma.Operation{OperationID: "update-team", Method: http.MethodPatch, Path: t + "/{id}", Tags: tags,
		Summary: "Rename a team or set its members", Description: admins,
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateTeam)
	register(a, huma.Operation{OperationID: "delete-team", Method: http.MethodDelete, Path: t + "/{id}", Tags: tags,
		Summary: "Delete a team", Description: admins + " Its members and their records stay.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteTeam)

	register(a, huma.Operation{OperationID: "set-user-role", Method: http.MethodPut, Path: Prefix + "/users/{id}/role", Tags: tags,
		Summary: "Give a user a role", Description: admins + " Only owners grant or take away the owner role; " +
			"the last owner keeps it (409).", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.setUserRole)
}

// holders counts the users holding each role.
func (a *API) holders(ctx context.Context) (map[string]int, error) {
	us, err := a.o.Users.List(ctx)
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, u := range us {
		n[u.Role]++
	}
	return n, nil
}

// role describes the role called name with its holders.
func (a *API) role(ctx context.Context, name string) (*roleOut, error) {
	r, err := a.o.Users.Role(ctx, name)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	held, err := a.holders(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &roleOut{Body: toRole(r, held[r.Name])}, nil
}

func (a *API) listRoles(ctx context.Context, _ *struct{}) (*rolesOut, error) {
	// Roles has no check of its own: creating users needs the list too.
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return nil, a.fail(ctx, err)
	}
	rs, err := a.o.Users.Roles(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	held, err := a.holders(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &rolesOut{}
	out.Body.Data = make([]Role, len(rs))
	for i, r := range rs {
		out.Body.Data[i] = toRole(r, held[r.Name])
	}
	return out, nil
}

func (a *API) getRole(ctx context.Context, in *namePath) (*roleOut, error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return nil, a.fail(ctx, err)
	}
	return a.role(ctx, in.Name)
}

func (a *API) createRole(ctx context.Context, in *roleInput) (*roleCreated, error) {
	b := in.Body
	r, err := a.o.Users.CreateRole(ctx, user.RoleInput{Label: b.Label, Description: b.Description,
		Scope: access.Scope(b.Scope), Perms: b.Permissions.access()})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &roleCreated{Location: Prefix + "/roles/" + r.Name, Body: toRole(r, 0)}, nil
}

func (a *API) updateRole(ctx context.Context, in *rolePatch) (*roleOut, error) {
	if _, err := access.Check(ctx, access.Users, access.Update); err != nil {
		return nil, a.fail(ctx, err)
	}
	old, err := a.o.Users.Role(ctx, in.Name)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	ri := user.RoleInput{Label: old.Label, Description: old.Description, Scope: old.Scope, Perms: old.Perms}
	b := in.Body
	if b.Label != nil {
		ri.Label = *b.Label
	}
	if b.Description != nil {
		ri.Description = *b.Description
	}
	if b.Scope != nil {
		ri.Scope = access.Scope(*b.Scope)
	}
	if b.Permissions != nil {
		ri.Perms = b.Permissions.access()
	}
	if _, err := a.o.Users.UpdateRole(ctx, in.Name, ri); err != nil {
		return nil, a.fail(ctx, err)
	}
	return a.role(ctx, in.Name)
}

func (a *API) deleteRole(ctx context.Context, in *namePath) (*Deleted, error) {
	if err := a.o.Users.DeleteRole(ctx, in.Name); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) listTeams(ctx context.Context, _ *struct{}) (*teamsOut, error) {
	ts, err := a.o.Users.Teams(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &teamsOut{}
	out.Body.Data = make([]Team, len(ts))
	for i, t := range ts {
		out.Body.Data[i] = toTeam(t)
	}
	return out, nil
}

func (a *API) getTeam(ctx context.Context, in *IDPath) (*teamOut, error) {
	t, err := a.o.Users.Team(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &teamOut{Body: toTeam(t)}, nil
}

func (a *API) createTeam(ctx context.Context, in *teamInput) (*teamCreated, error) {
	t, err := a.o.Users.CreateTeam(ctx, in.Body.Name, in.Body.Members)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &teamCreated{Location: Prefix + "/teams/" + t.ID, Body: toTeam(t)}, nil
}

func (a *API) updateTeam(ctx context.Context, in *teamPatch) (*teamOut, error) {
	if _, err := access.Check(ctx, access.Users, access.Update); err != nil {
		return nil, a.fail(ctx, err)
	}
	old, err := a.o.Users.Team(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	name, members := old.Name, old.Members
	if in.Body.Name != nil {
		name = *in.Body.Name
	}
	if in.Body.Members != nil {
		members = *in.Body.Members
	}
	t, err := a.o.Users.UpdateTeam(ctx, in.ID, name, members)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &teamOut{Body: toTeam(t)}, nil
}

func (a *API) deleteTeam(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Users.DeleteTeam(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) setUserRole(ctx context.Context, in *roleSet) (*roleHolderOut, error) {
	u, err := a.o.Users.SetRole(ctx, in.ID, in.Body.Role)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &roleHolderOut{Body: RoleHolder{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role}}, nil
}
