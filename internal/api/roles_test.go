package api

import (
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestRoles(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, admin, member := e.owned(), e.user("admin"), e.user("member")
		col, p := "/api/v1/roles", "/api/v1/roles/"
		roleIs := func(check func(Role) bool) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				var x Role
				if r.decode(t, &x); !check(x) {
					t.Errorf("role %+v", x)
				}
			}
		}
		run(t, []scenario{
			{name: "list", c: o, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				var l RoleList
				r.decode(t, &l)
				var names []string
				for _, x := range l.Data {
					names = append(names, x.Name)
				}
				if !slices.Equal(names, []string{"owner", "admin", "manager", "member", "viewer"}) {
					t.Fatalf("roles %v", names)
				}
				// Built-in roles are described as their rules enforce them.
				for _, x := range l.Data {
					a := access.Role{Name: x.Name, Builtin: true}.Actor("", "")
					for _, obj := range access.Objects() {
						var want []Action
						for _, act := range access.Actions {
							if access.Allowed(a, obj.Name, act) {
								want = append(want, Action(act))
							}
						}
						if !slices.Equal(x.Permissions[obj.Name], want) {
							t.Errorf("%s on %s: %v, want %v", x.Name, obj.Name, x.Permissions[obj.Name], want)
						}
					}
				}
				mem := l.Data[3]
				if !mem.Builtin || mem.Scope != "own" || mem.Users != 1 || len(mem.Permissions["users"]) != 0 ||
					!slices.Contains(mem.Permissions["contacts"], "update") {
					t.Errorf("member %+v", mem)
				}
				if own := l.Data[0]; own.Users != 1 || len(own.Permissions["audit"]) != len(access.Actions) {
					t.Errorf("owner %+v", own)
				}
			}},
			{name: "create", c: admin, method: "POST", path: col, status: 201,
				body: map[string]any{"label": "Sales rep", "description": "Works leads.", "scope": "own",
					"permissions": map[string]any{"contacts": []string{"create", "read"}, "companies": []string{"read"}}},
				check: func(t *testing.T, r result) {
					var x Role
					r.decode(t, &x)
					if x.Name != "sales_rep" || x.Builtin || x.Scope != "own" || x.Users != 0 || r.header.Get("Location") != p+"sales_rep" ||
						!slices.Equal(x.Permissions["contacts"], []Action{"read", "create"}) || len(x.Permissions) != 2 {
						t.Errorf("created %+v", x)
					}
				}},
			{name: "get", c: o, method: "GET", path: p + "sales_rep", status: 200, check: roleIs(func(x Role) bool { return x.Label == "Sales rep" })},
			{name: "duplicate", c: o, method: "POST", path: col, status: 409, fields: []string{"label"},
				body: map[string]any{"label": "sales-rep", "scope": "all"}},
			{name: "write without read", c: o, method: "POST", path: col, status: 422, fields: []string{"permissions.companies"},
				body: map[string]any{"label": "X", "scope": "all", "permissions": map[string]any{"companies": []string{"update"}}}},
			{name: "unknown object", c: o, method: "POST", path: col, status: 422, fields: []string{"permissions.spaceships"},
				body: map[string]any{"label": "X", "scope": "all", "permissions": map[string]any{"spaceships": []string{"read"}}}},
			{name: "unknown action", c: o, method: "POST", path: col, status: 422, fields: []string{"permissions.contacts[1]"},
				body: map[string]any{"label": "X", "scope": "all", "permissions": map[string]any{"contacts": []string{"read", "launch"}}}},
			{name: "bad scope and no label", c: o, method: "POST", path: col, status: 422, fields: []string{"scope", "label"},
				body: map[string]any{"scope": "galaxy"}},
			{name: "empty label", c: o, method: "POST", path: col, status: 422, fields: []string{"label"},
				body: map[string]any{"label": " ", "scope": "all"}},

			{name: "patch the label only", c: o, method: "PATCH", path: p + "sales_rep", status: 200, body: map[string]any{"label": "Senior rep"},
				check: roleIs(func(x Role) bool {
					return x.Name == "sales_rep" && x.Label == "Senior rep" && x.Description == "Works leads." && x.Scope == "own" &&
						slices.Equal(x.Permissions["contacts"], []Action{"read", "create"})
				})},
			{name: "patch permissions and scope", c: o, method: "PATCH", path: p + "sales_rep", status: 200,
				body: map[string]any{"scope": "team", "permissions": map[string]any{"contacts": []string{"read", "export"}}},
				check: roleIs(func(x Role) bool {
					return x.Scope == "team" && len(x.Permissions) == 1 && slices.Equal(x.Permissions["contacts"], []Action{"read", "export"})
				})},
			{name: "patch write without read", c: o, method: "PATCH", path: p + "sales_rep", status: 422, fields: []string{"permissions.contacts"},
				body: map[string]any{"permissions": map[string]any{"contacts": []string{"delete"}}}},
			{name: "built-in roles do not change", c: o, method: "PATCH", path: p + "member", status: 403, body: map[string]any{"label": "Minion"}},
			{name: "built-in roles stay", c: o, method: "DELETE", path: p + "viewer", status: 403},
			{name: "patch missing", c: o, method: "PATCH", path: p + "nobody", status: 404, body: map[string]any{"label": "X"}},
			{name: "get missing", c: o, method: "GET", path: p + "nobody", status: 404},

			{name: "member may not list", c: member, method: "GET", path: col, status: 403},
			{name: "member may not get", c: member, method: "GET", path: p + "owner", status: 403},
			{name: "member may not create", c: member, method: "POST", path: col, status: 403, body: map[string]any{"label": "Mine", "scope": "all"}},
			{name: "member may not patch", c: member, method: "PATCH", path: p + "sales_rep", status: 403, body: map[string]any{"label": "Mine"}},
			{name: "member may not delete", c: member, method: "DELETE", path: p + "sales_rep", status: 403},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},
		})

		// A role somebody holds is not deleted.
		rep := e.user("sales_rep")
		o.get(t, p+"sales_rep").expect(t, 200).decode(t, &Role{})
		var held Role
		if o.get(t, p+"sales_rep").expect(t, 200).decode(t, &held); held.Users != 1 {
			t.Errorf("held by %d, want 1", held.Users)
		}
		o.delete(t, p+"sales_rep").expect(t, 409, "role")
		o.do(t, "PUT", "/api/v1/users/"+rep.token+"/role", map[string]any{"role": "member"}).expect(t, 200)
		o.delete(t, p+"sales_rep").expect(t, 204)
		o.get(t, p+"sales_rep").expect(t, 404)
		o.delete(t, p+"sales_rep").expect(t, 404)
	})
}

func TestTeamsAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member := e.owned(), e.user("member")
		ann, bob := e.user("manager").token, member.token
		col, p := "/api/v1/teams", "/api/v1/teams/"
		var sales Team
		o.post(t, col, map[string]any{"name": " Sales ", "members": []string{ann, bob}}).expect(t, 201).decode(t, &sales)
		if sales.Name != "Sales" || len(sales.Members) != 2 || !id.Valid(sales.ID) {
			t.Fatalf("created %+v", sales)
		}
		teamIs := func(check func(Team) bool) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				var x Team
				if r.decode(t, &x); !check(x) {
					t.Errorf("team %+v", x)
				}
			}
		}
		missing := id.New()
		run(t, []scenario{
			{name: "list", c: o, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				var l TeamList
				if r.decode(t, &l); len(l.Data) != 1 || l.Data[0].ID != sales.ID {
					t.Errorf("teams %+v", l.Data)
				}
			}},
			{name: "empty team", c: o, method: "POST", path: col, status: 201, body: map[string]any{"name": "Support"},
				check: teamIs(func(x Team) bool { return x.Name == "Support" && x.Members != nil && len(x.Members) == 0 })},
			{name: "get", c: o, method: "GET", path: p + sales.ID, status: 200, check: teamIs(func(x Team) bool { return len(x.Members) == 2 })},
			{name: "rename only", c: o, method: "PATCH", path: p + sales.ID, status: 200, body: map[string]any{"name": "Field sales"},
				check: teamIs(func(x Team) bool { return x.Name == "Field sales" && len(x.Members) == 2 })},
			{name: "members only", c: o, method: "PATCH", path: p + sales.ID, status: 200, body: map[string]any{"members": []string{bob}},
				check: teamIs(func(x Team) bool { return x.Name == "Field sales" && slices.Equal(x.Members, []string{bob}) })},
			{name: "duplicate name", c: o, method: "POST", path: col, status: 409, fields: []string{"name"}, body: map[string]any{"name": "FIELD SALES"}},
			{name: "rename to a taken name", c: o, method: "PATCH", path: p + sales.ID, status: 409, fields: []string{"name"}, body: map[string]any{"name": "support"}},
			{name: "no name", c: o, method: "POST", path: col, status: 422, fields: []string{"name"}, body: map[string]any{"name": ""}},
			{name: "unknown member", c: o, method: "POST", path: col, status: 422, fields: []string{"members"},
				body: map[string]any{"name": "Ghosts", "members": []string{missing}}},
			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "patch malformed", c: o, method: "PATCH", path: p + "sales", status: 404, body: map[string]any{"name": "X"}},

			{name: "member may not list", c: member, method: "GET", path: col, status: 403},
			{name: "member may not create", c: member, method: "POST", path: col, status: 403, body: map[string]any{"name": "Mine"}},
			{name: "member may not patch", c: member, method: "PATCH", path: p + sales.ID, status: 403, body: map[string]any{"name": "Mine"}},
			{name: "member may not delete", c: member, method: "DELETE", path: p + sales.ID, status: 403},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + sales.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + sales.ID, status: 404},
		})
	})
}

func TestSetUserRole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, admin, member := e.owned(), e.user("admin"), e.user("member")
		path := func(c *client) string { return "/api/v1/users/" + c.token + "/role" }
		run(t, []scenario{
			{name: "admin makes a member a manager", c: admin, method: "PUT", path: path(member), status: 200, body: map[string]any{"role": "manager"},
				check: func(t *testing.T, r result) {
					var h RoleHolder
					if r.decode(t, &h); h.ID != member.token || h.Role != "manager" || h.Email == "" {
						t.Errorf("holder %+v", h)
					}
				}},
			{name: "admin may not grant owner", c: admin, method: "PUT", path: path(member), status: 403, body: map[string]any{"role": "owner"}},
			{name: "admin may not demote the owner", c: admin, method: "PUT", path: path(o), status: 403, body: map[string]any{"role": "viewer"}},
			{name: "the last owner stays", c: o, method: "PUT", path: path(o), status: 409, fields: []string{"role"}, body: map[string]any{"role": "admin"}},
			{name: "unknown role", c: o, method: "PUT", path: path(member), status: 422, fields: []string{"role"}, body: map[string]any{"role": "emperor"}},
			{name: "no role", c: o, method: "PUT", path: path(member), status: 422, fields: []string{"role"}, body: map[string]any{}},
			{name: "unknown user", c: o, method: "PUT", path: "/api/v1/users/" + id.New() + "/role", status: 404, body: map[string]any{"role": "viewer"}},
			{name: "member may not", c: member, method: "PUT", path: path(admin), status: 403, body: map[string]any{"role": "viewer"}},
			{name: "owner grants owner", c: o, method: "PUT", path: path(admin), status: 200, body: map[string]any{"role": "owner"}},
			{name: "now the first owner may step down", c: o, method: "PUT", path: path(o), status: 200, body: map[string]any{"role": "admin"}},
		})
		u, err := user.NewService(d).ByID(e.ctx, e.owner.ID)
		if err != nil || u.Role != user.RoleAdmin {
			t.Errorf("first owner is %s (%v), want admin", u.Role, err)
		}
	})
}
