package user_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// kinds lists the kinds of a subject's events, oldest first.
func kinds(t *testing.T, d *db.DB, subjectType, subjectID string) []string {
	t.Helper()
	evs, err := event.ListForSubject(context.Background(), d.R, subjectType, subjectID, 50)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(evs))
	for i, e := range evs {
		out[len(evs)-1-i] = e.Kind
	}
	return out
}

// lastData decodes the data of a subject's newest event of kind into v.
func lastData(t *testing.T, d *db.DB, subjectType, subjectID, kind string, v any) {
	t.Helper()
	evs, err := event.ListForSubject(context.Background(), d.R, subjectType, subjectID, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Kind == kind {
			if err := json.Unmarshal(e.Data, v); err != nil {
				t.Fatalf("%s data %s: %v", kind, e.Data, err)
			}
			return
		}
	}
	t.Fatalf("no %s event for %s %s", kind, subjectType, subjectID)
}

var salesRep = user.RoleInput{Label: " Sales rep ", Description: "Works leads.", Scope: access.ScopeOwn,
	Perms: access.Perms{access.Contacts: {access.Create, access.Read, access.Read}, access.Companies: {access.Read}, access.Views: {}}}

func TestCreateRoleValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := user.NewService(d)
		r, err := s.CreateRole(ctx, salesRep)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != "sales_rep" || r.Label != "Sales rep" || r.Builtin || r.Scope != access.ScopeOwn {
			t.Errorf("created %+v", r)
		}
		// Actions are deduplicated and ordered; objects without any are dropped.
		want := access.Perms{access.Contacts: {access.Read, access.Create}, access.Companies: {access.Read}}
		if len(r.Perms) != 2 || !slices.Equal(r.Perms[access.Contacts], want[access.Contacts]) || !slices.Equal(r.Perms[access.Companies], want[access.Companies]) {
			t.Errorf("perms %v, want %v", r.Perms, want)
		}
		got, err := s.Role(ctx, "sales_rep")
		if err != nil || got.Description != "Works leads." || !slices.Equal(got.Perms[access.Contacts], want[access.Contacts]) {
			t.Errorf("Role = %+v, %v", got, err)
		}
		if k := kinds(t, d, "role", user.RoleSubjectID("sales_rep")); !slices.Equal(k, []string{"role.created"}) {
			t.Errorf("events %v, want role.created", k)
		}

		read := []access.Action{access.Read}
		cases := []struct {
			name     string
			in       user.RoleInput
			field    string
			conflict bool
		}{
			{"no label", user.RoleInput{Label: "  ", Scope: access.ScopeAll}, "label", false},
			{"label of symbols only", user.RoleInput{Label: "!!!", Scope: access.ScopeAll}, "label", false},
			{"long label", user.RoleInput{Label: strings.Repeat("x", 61), Scope: access.ScopeAll}, "label", false},
			{"long description", user.RoleInput{Label: "X", Description: strings.Repeat("x", 301), Scope: access.ScopeAll}, "description", false},
			{"bad scope", user.RoleInput{Label: "X", Scope: "galaxy"}, "scope", false},
			{"no scope", user.RoleInput{Label: "X"}, "scope", false},
			{"unknown object", user.RoleInput{Label: "X", Scope: access.ScopeAll, Perms: access.Perms{"spaceships": read}}, "permissions.spaceships", false},
			{"unknown action", user.RoleInput{Label: "X", Scope: access.ScopeAll, Perms: access.Perms{access.Contacts: {access.Read, "launch"}}}, "permissions.contacts", false},
			{"write without read", user.RoleInput{Label: "X", Scope: access.ScopeAll, Perms: access.Perms{access.Companies: {access.Update}}}, "permissions.companies", false},
			{"export without read", user.RoleInput{Label: "X", Scope: access.ScopeAll, Perms: access.Perms{access.Contacts: {access.Export}}}, "permissions.contacts", false},
			{"duplicate label", user.RoleInput{Label: "sales-rep", Scope: access.ScopeAll}, "label", true},
			{"a built-in role's name", user.RoleInput{Label: "Owner", Scope: access.ScopeAll}, "label", true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.CreateRole(ctx, c.in)
				v := apperr.AsValidation(err)
				if v == nil || v.For(c.field) == "" {
					t.Fatalf("CreateRole = %v, want a message for %s", err, c.field)
				}
				if v.Conflict != c.conflict || errors.Is(err, apperr.ErrConflict) != c.conflict {
					t.Errorf("conflict = %v, want %v", v.Conflict, c.conflict)
				}
			})
		}
		roles, err := s.Roles(ctx)
		if err != nil || len(roles) != 6 {
			t.Fatalf("%d roles after invalid creates (%v), want 5 built-in and sales_rep", len(roles), err)
		}
		if last := roles[len(roles)-1]; last.Name != "sales_rep" {
			t.Errorf("custom role ranks %s last, want sales_rep below the built-in roles", last.Name)
		}
		// Several problems are reported at once.
		_, err = s.CreateRole(ctx, user.RoleInput{Label: "", Scope: "x", Perms: access.Perms{"nope": read}})
		if v := apperr.AsValidation(err); v == nil || len(v.Fields) != 3 {
			t.Errorf("CreateRole with three problems = %v", err)
		}
	})
}

func TestRoleRefusedToNonAdmins(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ownerCtx, _ := fixture.User(t, d, "owner")
		s := user.NewService(d)
		if _, err := s.CreateRole(ownerCtx, salesRep); err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{"manager", "member", "viewer", "sales_rep"} {
			ctx, _ := fixture.User(t, d, role)
			if _, err := s.CreateRole(ctx, user.RoleInput{Label: "Mine", Scope: access.ScopeAll}); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s CreateRole = %v, want forbidden", role, err)
			}
			if _, err := s.UpdateRole(ctx, "sales_rep", salesRep); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s UpdateRole = %v, want forbidden", role, err)
			}
			if err := s.DeleteRole(ctx, "sales_rep"); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s DeleteRole = %v, want forbidden", role, err)
			}
		}
		if _, err := s.CreateRole(context.Background(), salesRep); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("CreateRole without an actor = %v, want forbidden", err)
		}
		// An admin may.
		adminCtx, _ := fixture.User(t, d, "admin")
		if _, err := s.CreateRole(adminCtx, user.RoleInput{Label: "Support", Scope: access.ScopeAll}); err != nil {
			t.Errorf("admin CreateRole: %v", err)
		}
	})
}

func TestUpdateAndDeleteRole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := user.NewService(d)
		if _, err := s.CreateRole(ctx, salesRep); err != nil {
			t.Fatal(err)
		}
		r, err := s.UpdateRole(ctx, "sales_rep", user.RoleInput{Label: "Senior rep", Scope: access.ScopeTeam,
			Perms: access.Perms{access.Contacts: {access.Read, access.Export}}})
		if err != nil {
			t.Fatal(err)
		}
		// The name stays, so users holding the role keep it.
		if r.Name != "sales_rep" || r.Label != "Senior rep" || r.Scope != access.ScopeTeam || r.Description != "" ||
			len(r.Perms) != 1 || !r.Perms.Allows(access.Contacts, access.Export) {
			t.Errorf("updated %+v", r)
		}
		var change struct{ Before, After struct{ Label string } }
		lastData(t, d, "role", user.RoleSubjectID("sales_rep"), "role.updated", &change)
		if change.Before.Label != "Sales rep" || change.After.Label != "Senior rep" {
			t.Errorf("role.updated data %+v", change)
		}
		if _, err := s.UpdateRole(ctx, "sales_rep", user.RoleInput{Label: "X", Scope: access.ScopeAll,
			Perms: access.Perms{access.Contacts: {access.Delete}}}); apperr.AsValidation(err).For("permissions.contacts") == "" {
			t.Errorf("UpdateRole write without read = %v", err)
		}
		if got, _ := s.Role(ctx, "sales_rep"); got.Label != "Senior rep" {
			t.Errorf("an invalid update changed the role: %+v", got)
		}
		if _, err := s.UpdateRole(ctx, "member", salesRep); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("UpdateRole(member) = %v, want forbidden", err)
		}
		if _, err := s.UpdateRole(ctx, "nobody", salesRep); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("UpdateRole(nobody) = %v, want not found", err)
		}

		// Refused while somebody holds it.
		_, rep := fixture.User(t, d, "sales_rep")
		err = s.DeleteRole(ctx, "sales_rep")
		if v := apperr.AsValidation(err); v == nil || !v.Conflict || !strings.Contains(v.For("role"), "1 user holds this role") {
			t.Fatalf("DeleteRole while held = %v, want a conflict", err)
		}
		if _, err := s.SetRole(ctx, rep.ID, user.RoleMember); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteRole(ctx, "sales_rep"); err != nil {
			t.Fatalf("DeleteRole: %v", err)
		}
		if _, err := s.Role(ctx, "sales_rep"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Role after delete = %v, want not found", err)
		}
		if k := kinds(t, d, "role", user.RoleSubjectID("sales_rep")); !slices.Equal(k, []string{"role.created", "role.updated", "role.deleted"}) {
			t.Errorf("events %v", k)
		}
		if err := s.DeleteRole(ctx, "viewer"); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("DeleteRole(viewer) = %v, want forbidden", err)
		}
		if err := s.DeleteRole(ctx, "sales_rep"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("DeleteRole twice = %v, want not found", err)
		}
		// The label is free again.
		if _, err := s.CreateRole(ctx, salesRep); err != nil {
			t.Errorf("CreateRole after delete: %v", err)
		}
	})
}

// A custom role's permissions and scope reach the actor of a user who holds
// it, as the session middleware builds it from the stored user.
func TestCustomRoleAppliesToActor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := user.NewService(d)
		if _, err := s.CreateRole(ctx, salesRep); err != nil {
			t.Fatal(err)
		}
		_, m := fixture.User(t, d, "member")
		if _, err := s.SetRole(ctx, m.ID, "sales_rep"); err != nil {
			t.Fatal(err)
		}
		u, err := s.ByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		a := u.Actor()
		if a.Role != "sales_rep" || a.Scope != access.ScopeOwn || a.UserID != m.ID {
			t.Errorf("actor %+v", a)
		}
		cases := []struct {
			object string
			action access.Action
			want   bool
		}{
			{access.Contacts, access.Read, true},
			{access.Contacts, access.Create, true},
			{access.Contacts, access.Update, false},
			{access.Contacts, access.Delete, false},
			{access.Contacts, access.Export, false},
			{access.Companies, access.Read, true},
			{access.Companies, access.Create, false},
			{access.Activities, access.Read, false},
			{access.Views, access.Read, false},
			{access.Users, access.Read, false},
		}
		actx := fixture.As(u)
		for _, c := range cases {
			if _, err := access.Check(actx, c.object, c.action); (err == nil) != c.want {
				t.Errorf("sales_rep %s %s: err = %v, want allowed %v", c.action, c.object, err, c.want)
			}
		}
		if _, err := s.Teams(actx); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("sales_rep Teams = %v, want forbidden", err)
		}

		// A change to the role reaches its holders the next time they are read.
		if _, err := s.UpdateRole(ctx, "sales_rep", user.RoleInput{Label: "Sales rep", Scope: access.ScopeAll,
			Perms: access.Perms{access.Users: {access.Read}}}); err != nil {
			t.Fatal(err)
		}
		u, _ = s.ByID(ctx, m.ID)
		a = u.Actor()
		if a.Scope != access.ScopeAll || access.Allowed(a, access.Contacts, access.Read) || !access.Allowed(a, access.Users, access.Read) {
			t.Errorf("after update: actor %+v", a)
		}
		if _, err := s.Teams(fixture.As(u)); err != nil {
			t.Errorf("Teams with users read: %v", err)
		}
		// A custom role without any permission allows nothing.
		if _, err := s.UpdateRole(ctx, "sales_rep", user.RoleInput{Label: "Sales rep", Scope: access.ScopeAll}); err != nil {
			t.Fatal(err)
		}
		u, _ = s.ByID(ctx, m.ID)
		for _, o := range access.Objects() {
			for _, act := range access.Actions {
				if access.Allowed(u.Actor(), o.Name, act) {
					t.Errorf("empty custom role may %s %s", act, o.Name)
				}
			}
		}
	})
}

func TestSetRole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ownerCtx, owner := fixture.User(t, d, "owner")
		adminCtx, admin := fixture.User(t, d, "admin")
		memberCtx, member := fixture.User(t, d, "member")
		s := user.NewService(d)

		// Owners and admins change roles; members do not.
		if _, err := s.SetRole(memberCtx, member.ID, user.RoleAdmin); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member promotes themselves: %v, want forbidden", err)
		}
		u, err := s.SetRole(adminCtx, member.ID, user.RoleManager)
		if err != nil || u.Role != user.RoleManager || u.Access.Name != user.RoleManager || u.Access.Scope != access.ScopeTeam {
			t.Fatalf("admin makes member a manager: %+v, %v", u, err)
		}
		var change struct{ Email, Before, After string }
		lastData(t, d, "user", member.ID, "user.role_changed", &change)
		if change.Before != "member" || change.After != "manager" || change.Email != member.Email {
			t.Errorf("user.role_changed data %+v", change)
		}
		// Setting the same role again changes nothing and records nothing.
		if _, err := s.SetRole(adminCtx, member.ID, user.RoleManager); err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, d, "user", member.ID); !slices.Equal(k, []string{"user.created", "user.role_changed"}) {
			t.Errorf("events %v", k)
		}

		// Only an owner grants or takes away the owner role.
		if _, err := s.SetRole(adminCtx, member.ID, user.RoleOwner); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin grants owner: %v, want forbidden", err)
		}
		if _, err := s.SetRole(adminCtx, admin.ID, user.RoleOwner); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin makes themselves owner: %v, want forbidden", err)
		}
		if _, err := s.SetRole(adminCtx, owner.ID, user.RoleViewer); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin demotes the owner: %v, want forbidden", err)
		}

		// The last owner cannot be demoted, even by themselves.
		_, err = s.SetRole(ownerCtx, owner.ID, user.RoleAdmin)
		if v := apperr.AsValidation(err); v == nil || !v.Conflict || v.For("role") == "" {
			t.Errorf("last owner demoted: %v, want a conflict", err)
		}
		if _, err := s.SetRole(ownerCtx, "nope", user.RoleAdmin); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("SetRole(unknown user) = %v, want not found", err)
		}
		if _, err := s.SetRole(ownerCtx, member.ID, "emperor"); apperr.AsValidation(err).For("role") == "" {
			t.Errorf("SetRole(unknown role) = %v, want a message for role", err)
		}

		// With a second owner the first may step down.
		if _, err := s.SetRole(ownerCtx, admin.ID, user.RoleOwner); err != nil {
			t.Fatalf("owner grants owner: %v", err)
		}
		if _, err := s.SetRole(ownerCtx, owner.ID, user.RoleAdmin); err != nil {
			t.Fatalf("owner steps down with another owner: %v", err)
		}
		got, _ := s.ByID(ownerCtx, owner.ID)
		if got.Role != user.RoleAdmin {
			t.Errorf("former owner is %s", got.Role)
		}
		lastData(t, d, "user", owner.ID, "user.role_changed", &change)
		if change.Before != "owner" || change.After != "admin" {
			t.Errorf("user.role_changed data %+v", change)
		}
		evs, _ := event.ListForSubject(context.Background(), d.R, "user", owner.ID, 1)
		if len(evs) != 1 || evs[0].ActorID != owner.ID {
			t.Errorf("role change recorded with actor %+v, want %s", evs, owner.ID)
		}
	})
}
