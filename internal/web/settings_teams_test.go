package web_test

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestSettingsTeams(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		mo, err := rs.users.Create(rs.ctx, rs.olga.ID, user.NewUser{Email: "mo@example.com", Name: "Mo Member", Role: "member", Password: "a long enough secret"})
		if err != nil {
			t.Fatal(err)
		}
		rs.get("/settings").expect(t, 200, "", `href="/settings/teams"`, `href="/settings/roles"`)
		rs.get("/settings/teams").expect(t, 200, "", "No teams yet", `href="/settings/teams/new"`)
		rs.get("/settings/teams/new").expect(t, 200, "", "New team", `name="members" value="`+mo.ID+`"`, "Mo Member", "Olga Owner")

		// Invalid input re-renders the form with the input kept.
		r := rs.post("/settings/teams", url.Values{"name": {" "}, "members": {mo.ID}})
		r.expect(t, 422, "", "Enter a name for the team.", `id="name-error"`, `aria-invalid="true"`)
		if !strings.Contains(r.body, `value="`+mo.ID+`" checked`) {
			t.Error("ticked member not kept")
		}
		rs.post("/settings/teams", url.Values{"name": {"Ghosts"}, "members": {id.New()}}).
			expect(t, 422, "", "Choose members from the list of users.", `id="members-error"`, `value="Ghosts"`)

		teamID := recID(t, rs.post("/settings/teams", url.Values{"name": {"Sales"}, "members": {mo.ID, rs.olga.ID}}), "/settings/teams#team-")
		list := rs.get("/settings/teams")
		list.expect(t, 200, "", "Team “Sales” created.", `id="team-`+teamID+`"`, "2 members: Mo Member, Olga Owner",
			`href="/settings/teams/`+teamID+`"`, `href="/settings/teams/`+teamID+`/delete"`)
		if strings.Contains(list.body, "No teams yet") {
			t.Error("empty state shown beside a team")
		}
		team, err := rs.users.Team(rs.ctx, teamID)
		if err != nil || len(team.Members) != 2 {
			t.Fatalf("team %+v, %v", team, err)
		}

		// A taken name is a conflict, shown on the form.
		rs.post("/settings/teams", url.Values{"name": {"SALES"}}).expect(t, 409, "", "A team with this name already exists.", `value="SALES"`)

		edit := rs.get("/settings/teams/" + teamID)
		edit.expect(t, 200, "", "Edit team", `value="Sales"`, `action="/settings/teams/`+teamID+`"`)
		if !strings.Contains(edit.body, `value="`+mo.ID+`" checked`) {
			t.Error("member not ticked on the edit form")
		}
		rs.post("/settings/teams/"+teamID, url.Values{"name": {""}, "members": {mo.ID}}).expect(t, 422, "", "Enter a name for the team.")
		rs.post("/settings/teams/"+teamID, url.Values{"name": {"Field sales"}, "members": {mo.ID}}).expect(t, 303, "/settings/teams#team-"+teamID)
		rs.get("/settings/teams").expect(t, 200, "", "Team “Field sales” saved.", "1 member: Mo Member")
		if team, _ := rs.users.Team(rs.ctx, teamID); team.Name != "Field sales" || !slices.Equal(team.Members, []string{mo.ID}) {
			t.Errorf("after edit %+v", team)
		}
		rs.get("/settings/teams/"+id.New()).expect(t, 404, "")
		rs.get("/settings/teams/nope").expect(t, 404, "")

		rs.get("/settings/teams/"+teamID+"/delete").expect(t, 200, "", "Delete the team “Field sales”?", "1 member stay")
		rs.post("/settings/teams/"+teamID+"/delete", nil).expect(t, 303, "/settings/teams")
		rs.get("/settings/teams").expect(t, 200, "", "Team “Field sales” deleted.", "No teams yet")
		if _, err := rs.users.ByID(rs.ctx, mo.ID); err != nil {
			t.Errorf("member of a deleted team: %v", err)
		}
		rs.post("/settings/teams/"+teamID+"/delete", nil).expect(t, 404, "")
	})
}

// summaryOf returns the words of a role's matrix row for an object, as
// phones show them.
func summaryOf(t *testing.T, body, role, object string) string {
	t.Helper()
	i := strings.Index(body, `id="role-`+role+`"`)
	if i < 0 {
		t.Fatalf("no role %s on the page", role)
	}
	card := body[i:]
	if j := strings.Index(card, "</li>"); j >= 0 {
		card = card[:j]
	}
	m := regexp.MustCompile(`<th scope="row">` + regexp.QuoteMeta(object) + `</th>(?s:.*?)<td class="perm-summary">([^<]*)</td>`).FindStringSubmatch(card)
	if m == nil {
		t.Fatalf("no row %s for %s", object, role)
	}
	return m[1]
}

func TestSettingsRoles(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		list := rs.get("/settings/roles")
		list.expect(t, 200, "", "Built-in roles", "No custom roles yet", `href="/settings/roles/new"`,
			`id="role-owner"`, `id="role-viewer"`, "Team&#39;s records", "Own records", "Held by</dt><dd>1 user</dd>")
		// The matrix comes from the rules the services apply.
		for _, c := range []struct{ role, object, want string }{
			{"owner", "Audit log", "Read, create, update, delete, export"},
			{"manager", "Contacts", "Read, create, update, delete, export"},
			{"member", "Contacts", "Read, create, update, delete"},
			{"member", "Custom fields", "Read"},
			{"member", "Users, teams and roles", "No access"},
			{"viewer", "Companies", "Read"},
		} {
			if got := summaryOf(t, list.body, c.role, c.object); got != c.want {
				t.Errorf("%s on %s: %q, want %q", c.role, c.object, got, c.want)
			}
		}
		// Built-in roles have no forms.
		if strings.Contains(list.body, `href="/settings/roles/member"`) {
			t.Error("built-in role has an edit link")
		}
		rs.get("/settings/roles/member").expect(t, 404, "")
		rs.get("/settings/roles/member/delete").expect(t, 404, "")
		rs.post("/settings/roles/member", url.Values{"label": {"Mine"}, "scope": {"all"}}).expect(t, 403, "")
		rs.post("/settings/roles/member/delete", nil).expect(t, 404, "")

		rs.get("/settings/roles/new").expect(t, 200, "", "New role", `name="scope" value="own" checked`,
			`value="contacts:read" data-action="read" checked`, `value="audit:export" data-action="export">`)

		invalid := []struct {
			name     string
			form     url.Values
			status   int
			msgs     []string
			keepPerm string
		}{
			{"write without read", url.Values{"label": {"Sales rep"}, "scope": {"own"}, "perm": {"companies:update"}}, 422,
				[]string{"A role that changes or exports records must also be able to read them.", `id="perm-companies-error"`, `value="Sales rep"`}, "companies:update"},
			{"no name", url.Values{"label": {""}, "scope": {"team"}, "perm": {"contacts:read"}}, 422,
				[]string{"Enter a name for the role.", `id="label-error"`, `name="scope" value="team" checked`}, "contacts:read"},
			{"bad scope", url.Values{"label": {"X"}, "scope": {"galaxy"}}, 422, []string{`id="scope-error"`}, ""},
			{"unknown object", url.Values{"label": {"X"}, "scope": {"all"}, "perm": {"spaceships:read"}}, 422,
				[]string{"There is no object &#34;spaceships&#34; to give permissions on."}, ""},
			{"unknown action", url.Values{"label": {"X"}, "scope": {"all"}, "perm": {"contacts:read", "contacts:launch"}}, 422,
				[]string{"There is no action &#34;launch&#34;."}, "contacts:read"},
			{"a built-in role's name", url.Values{"label": {"Viewer"}, "scope": {"all"}}, 409, []string{"A role with this name already exists."}, ""},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				r := rs.post("/settings/roles", c.form)
				r.expect(t, c.status, "", c.msgs...)
				if c.keepPerm != "" && !regexp.MustCompile(`value="`+c.keepPerm+`" data-action="[a-z]+" checked`).MatchString(r.body) {
					t.Errorf("ticked %s not kept", c.keepPerm)
				}
			})
		}

		rs.post("/settings/roles", url.Values{"label": {"Sales rep"}, "description": {"Works leads."}, "scope": {"own"},
			"perm": {"contacts:read", "contacts:create", "companies:read", "views:read", "custom_fields:read"}}).expect(t, 303, "/settings/roles#role-sales_rep")
		list = rs.get("/settings/roles")
		list.expect(t, 200, "", "Role “Sales rep” created.", `id="role-sales_rep"`, "Works leads.",
			`href="/settings/roles/sales_rep"`, `href="/settings/roles/sales_rep/delete"`)
		if got := summaryOf(t, list.body, "sales_rep", "Contacts"); got != "Read, create" {
			t.Errorf("sales rep on contacts: %q", got)
		}
		if strings.Contains(list.body, "No custom roles yet") {
			t.Error("empty state shown beside a custom role")
		}
		rs.post("/settings/roles", url.Values{"label": {"sales rep"}, "scope": {"own"}}).expect(t, 409, "", "A role with this name already exists.")

		// The role works: its holder reads contacts, not teams.
		rep := rs.signInAs(t, "sales_rep")
		rep.get("/contacts").expect(t, 200, "")
		rep.get("/settings/teams").expect(t, 403, "", "Not allowed")
		rep.get("/settings/roles").expect(t, 403, "")
		rs.get("/settings/roles").expect(t, 200, "", "Held by</dt><dd>1 user</dd>")

		rs.get("/settings/roles/sales_rep").expect(t, 200, "", "Edit role", `value="Sales rep"`, "1 user holds this role",
			`name="scope" value="own" checked`, `value="contacts:create" data-action="create" checked`, "Works leads.</textarea>")
		rs.post("/settings/roles/sales_rep", url.Values{"label": {"Senior rep"}, "scope": {"team"}, "perm": {"contacts:export"}}).
			expect(t, 422, "", `id="perm-contacts-error"`, `value="Senior rep"`, "1 user holds this role")
		rs.post("/settings/roles/sales_rep", url.Values{"label": {"Senior rep"}, "scope": {"team"}, "perm": {"contacts:read", "contacts:export", "users:read", "custom_fields:read"}}).
			expect(t, 303, "/settings/roles#role-sales_rep")
		role, err := rs.users.Role(rs.ctx, "sales_rep")
		if err != nil || role.Label != "Senior rep" || role.Scope != access.ScopeTeam || role.Description != "" ||
			!role.Perms.Allows(access.Contacts, access.Export) || role.Perms.Allows(access.Contacts, access.Create) {
			t.Fatalf("after edit %+v, %v", role, err)
		}
		// The holder now reads teams and roles, without the buttons that change them.
		teams := rep.get("/settings/teams")
		teams.expect(t, 200, "", "No teams yet")
		if strings.Contains(teams.body, "/settings/teams/new") {
			t.Error("a reader sees the New team button")
		}
		roles := rep.get("/settings/roles")
		roles.expect(t, 200, "", "Senior rep")
		if strings.Contains(roles.body, "/settings/roles/new") || strings.Contains(roles.body, `href="/settings/roles/sales_rep"`) {
			t.Error("a reader sees buttons that change roles")
		}
		rep.get("/settings").expect(t, 200, "", `href="/settings/teams"`)
		rep.get("/settings/teams/new").expect(t, 403, "")
		rep.post("/settings/roles", url.Values{"label": {"Mine"}, "scope": {"all"}}).expect(t, 403, "")

		// Deleting is refused while someone holds the role.
		rs.get("/settings/roles/sales_rep/delete").expect(t, 200, "", "Delete the role “Senior rep”?", "1 user holds this role")
		rs.post("/settings/roles/sales_rep/delete", nil).expect(t, 409, "", "1 user holds this role; give them another role first.")
		holder := holderOf(t, rs, "sales_rep")
		if _, err := rs.users.SetRole(rs.ctx, holder.ID, user.RoleMember); err != nil {
			t.Fatal(err)
		}
		rs.get("/settings/roles/sales_rep/delete").expect(t, 200, "", "Nobody holds this role.")
		rs.post("/settings/roles/sales_rep/delete", nil).expect(t, 303, "/settings/roles")
		rs.get("/settings/roles").expect(t, 200, "", "Role “Senior rep” deleted.", "No custom roles yet")
		rs.get("/settings/roles/sales_rep").expect(t, 404, "")
	})
}

func holderOf(t *testing.T, rs *recSite, role string) user.User {
	t.Helper()
	us, err := rs.users.List(rs.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Role == role {
			return u
		}
	}
	t.Fatalf("nobody holds %s", role)
	return user.User{}
}

func TestTeamsAndRolesRefusedToMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		team, err := rs.users.CreateTeam(rs.ctx, "Sales", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.users.CreateRole(rs.ctx, user.RoleInput{Label: "Support", Scope: access.ScopeAll}); err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{"member", "manager", "viewer"} {
			t.Run(role, func(t *testing.T) {
				c := rs.signInAs(t, role)
				settings := c.get("/settings")
				settings.expect(t, 200, "")
				if strings.Contains(settings.body, "/settings/teams") || strings.Contains(settings.body, "/settings/roles") {
					t.Error("settings page links to teams or roles")
				}
				for _, r := range []struct {
					method, path string
					form         url.Values
				}{
					{"GET", "/settings/teams", nil},
					{"GET", "/settings/teams/new", nil},
					{"POST", "/settings/teams", url.Values{"name": {"Mine"}}},
					{"GET", "/settings/teams/" + team.ID, nil},
					{"POST", "/settings/teams/" + team.ID, url.Values{"name": {"Mine"}}},
					{"GET", "/settings/teams/" + team.ID + "/delete", nil},
					{"POST", "/settings/teams/" + team.ID + "/delete", nil},
					{"GET", "/settings/roles", nil},
					{"GET", "/settings/roles/new", nil},
					{"POST", "/settings/roles", url.Values{"label": {"Mine"}, "scope": {"all"}}},
					{"GET", "/settings/roles/support", nil},
					{"POST", "/settings/roles/support", url.Values{"label": {"Mine"}, "scope": {"all"}}},
					{"GET", "/settings/roles/support/delete", nil},
					{"POST", "/settings/roles/support/delete", nil},
				} {
					c.do(c.client, r.method, r.path, r.form, nil).expect(t, 403, "", "Not allowed")
				}
			})
		}
		if ts, _ := rs.users.Teams(rs.ctx); len(ts) != 1 || ts[0].Name != "Sales" {
			t.Errorf("teams changed: %+v", ts)
		}
		if r, err := rs.users.Role(rs.ctx, "support"); err != nil || r.Label != "Support" {
			t.Errorf("role changed: %+v, %v", r, err)
		}
		// Signed-out visitors are sent to sign in.
		anon := newClient()
		rs.do(anon, "GET", "/settings/roles", nil, nil).expect(t, 303, "/login?next=%2Fsettings%2Froles")
		rs.do(anon, "POST", "/settings/teams", url.Values{"name": {"X"}}, nil).expect(t, 303, "")
	})
}
