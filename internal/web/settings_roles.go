package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// Settings → Roles: the built-in roles, read-only, and the custom ones
// with their forms. Every permission matrix is filled by access.Allowed
// on the role's own actor, so what the page shows is what the code
// enforces.

// actionLabel names an action in a column head.
func actionLabel(a access.Action) string { return strings.ToUpper(string(a[:1])) + string(a[1:]) }

// actionColumn is one column of a permission matrix.
type actionColumn struct {
	Action access.Action
	Label  string
}

func actionColumns() []actionColumn {
	out := make([]actionColumn, len(access.Actions))
	for i, a := range access.Actions {
		out[i] = actionColumn{a, actionLabel(a)}
	}
	return out
}

// matrixCell is one object × action of a matrix.
type matrixCell struct {
	Action  access.Action
	Label   string
	Allowed bool
}

// matrixRow is one object of a matrix; Summary lists the allowed actions
// in words, for narrow screens.
type matrixRow struct {
	Object  access.Object
	Cells   []matrixCell
	Summary string
	Error   string
}

// matrix lays out what allows says, object by object.
func matrix(allows func(object string, action access.Action) bool, verr *apperr.Validation) []matrixRow {
	var rows []matrixRow
	for _, o := range access.Objects() {
		row := matrixRow{Object: o, Error: verr.For("permissions." + o.Name)}
		var yes []string
		for _, a := range access.Actions {
			ok := allows(o.Name, a)
			row.Cells = append(row.Cells, matrixCell{Action: a, Label: actionLabel(a), Allowed: ok})
			if ok {
				yes = append(yes, string(a))
			}
		}
		row.Summary = "No access"
		if len(yes) > 0 {
			row.Summary = actionLabel(access.Action(strings.Join(yes, ", ")))
		}
		rows = append(rows, row)
	}
	return rows
}

// roleMatrix is the matrix of a stored role, through the same rule the
// services apply to its holders.
func roleMatrix(r user.Role) []matrixRow {
	a := r.Actor("", "")
	return matrix(func(o string, act access.Action) bool { return access.Allowed(a, o, act) }, nil)
}

// roleCard is one role of the list.
type roleCard struct {
	rights
	Role    user.Role
	Holders int
	Matrix  []matrixRow
}

type rolesView struct {
	page
	rights
	Columns []actionColumn
	Builtin []roleCard
	Custom  []roleCard
}

// holders counts the users holding each role, deactivated ones included:
// they still hold it.
func (s *Server) holders(r *http.Request) (map[string]int, error) {
	us, err := s.users.List(r.Context())
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, u := range us {
		n[u.Role]++
	}
	return n, nil
}

func (s *Server) roleList(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Read); err != nil {
		s.fail(w, r, err)
		return
	}
	roles, err := s.users.Roles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	held, err := s.holders(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := rolesView{page: s.page(r, "Roles"), rights: userRights(r), Columns: actionColumns()}
	for _, role := range roles {
		c := roleCard{rights: v.rights, Role: role, Holders: held[role.Name], Matrix: roleMatrix(role)}
		if role.Builtin {
			v.Builtin = append(v.Builtin, c)
		} else {
			v.Custom = append(v.Custom, c)
		}
	}
	s.render(w, r, http.StatusOK, "settings_roles", v)
}

// scopeOption is one radio of the scope choice.
type scopeOption struct {
	Scope       access.Scope
	Label, Hint string
}

var scopeOptions = []scopeOption{
	{access.ScopeOwn, access.ScopeOwn.Label(), "Records the user owns, and records nobody owns."},
	{access.ScopeTeam, access.ScopeTeam.Label(), "Also records owned by anyone who shares a team with the user."},
	{access.ScopeAll, access.ScopeAll.Label(), "Every record."},
}

type roleFormView struct {
	page
	// Name is set when editing: the role's stable name.
	Name        string
	Label       string
	Description string
	Scope       access.Scope
	Holders     int
	Scopes      []scopeOption
	Columns     []actionColumn
	Matrix      []matrixRow
	Errors      *apperr.Validation
}

func (s *Server) roleForm(r *http.Request, title, name string, in user.RoleInput, verr *apperr.Validation) roleFormView {
	return roleFormView{page: s.page(r, title), Name: name, Label: in.Label, Description: in.Description, Scope: in.Scope,
		Scopes: scopeOptions, Columns: actionColumns(), Matrix: matrix(in.Perms.Allows, verr), Errors: verr}
}

// postedRole reads the role form. Each ticked box is "object:action".
func postedRole(r *http.Request) user.RoleInput {
	in := user.RoleInput{Label: r.PostFormValue("label"), Description: r.PostFormValue("description"),
		Scope: access.Scope(r.PostFormValue("scope")), Perms: access.Perms{}}
	for _, p := range r.PostForm["perm"] {
		object, action, _ := strings.Cut(p, ":")
		in.Perms[object] = append(in.Perms[object], access.Action(action))
	}
	return in
}

func (s *Server) roleNew(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	// A new role starts reading its own records and what the record
	// pages need beside them (lists use saved views, forms custom fields).
	read := []access.Action{access.Read}
	in := user.RoleInput{Scope: access.ScopeOwn, Perms: access.Perms{access.Contacts: read, access.Companies: read,
		access.Activities: read, access.Views: read, access.CustomFields: read}}
	s.render(w, r, http.StatusOK, "settings_role_form", s.roleForm(r, "New role", "", in, nil))
}

func (s *Server) roleCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	in := postedRole(r)
	role, err := s.users.CreateRole(r.Context(), in)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.render(w, r, invalidStatus(verr), "settings_role_form", s.roleForm(r, "New role", "", in, verr))
		return
	}
	s.redirect(w, r, "/settings/roles#role-"+role.Name, "Role “"+role.Label+"” created.")
}

// customRole returns the custom role named in the path after checking
// the actor may do action to roles; built-in roles have no form, so they
// are not found here.
func (s *Server) customRole(r *http.Request, action access.Action) (user.Role, error) {
	if _, err := access.Check(r.Context(), access.Users, action); err != nil {
		return user.Role{}, err
	}
	role, err := s.users.Role(r.Context(), r.PathValue("name"))
	if err != nil {
		return role, err
	}
	if role.Builtin {
		return role, fmt.Errorf("web: role %s is built in: %w", role.Name, apperr.ErrNotFound)
	}
	return role, nil
}

func (s *Server) roleEdit(w http.ResponseWriter, r *http.Request) {
	role, err := s.customRole(r, access.Update)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	held, err := s.holders(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := s.roleForm(r, "Edit role "+role.Label, role.Name,
		user.RoleInput{Label: role.Label, Description: role.Description, Scope: role.Scope, Perms: role.Perms}, nil)
	v.Holders = held[role.Name]
	s.render(w, r, http.StatusOK, "settings_role_form", v)
}

func (s *Server) roleUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	in := postedRole(r)
	role, err := s.users.UpdateRole(r.Context(), r.PathValue("name"), in)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v := s.roleForm(r, "Edit role", r.PathValue("name"), in, verr)
		if held, err := s.holders(r); err == nil {
			v.Holders = held[v.Name]
		}
		s.render(w, r, invalidStatus(verr), "settings_role_form", v)
		return
	}
	s.redirect(w, r, "/settings/roles#role-"+role.Name, "Role “"+role.Label+"” saved.")
}

type roleDeleteView struct {
	page
	Role    user.Role
	Holders int
	// Problem is the service's reason for refusing the delete.
	Problem string
}

func (s *Server) roleDeletePage(w http.ResponseWriter, r *http.Request, status int, role user.Role, problem string) {
	held, err := s.holders(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "settings_role_delete", roleDeleteView{page: s.page(r, "Delete role "+role.Label), Role: role,
		Holders: held[role.Name], Problem: problem})
}

func (s *Server) roleDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	role, err := s.customRole(r, access.Delete)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.roleDeletePage(w, r, http.StatusOK, role, "")
}

func (s *Server) roleDelete(w http.ResponseWriter, r *http.Request) {
	role, err := s.customRole(r, access.Delete)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	err = s.users.DeleteRole(r.Context(), role.Name)
	if v := apperr.AsValidation(err); v != nil {
		s.roleDeletePage(w, r, invalidStatus(v), role, v.For("role"))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/roles", "Role “"+role.Label+"” deleted.")
}
