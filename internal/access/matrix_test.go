package access_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
)

// matrix is what each role may do, written out by hand from the role
// descriptions so that a change to the rules in code shows up here.
// Letters: r read, c create, u update, d delete, e export.
var matrix = map[string]map[string]string{
	"owner":   all("rcude"),
	"admin":   all("rcude"),
	"manager": {"contacts": "rcude", "companies": "rcude", "activities": "rcude", "views": "rcude", "custom_fields": "r", "settings": "r"},
	"member":  {"contacts": "rcud", "companies": "rcud", "activities": "rcud", "views": "rcud", "custom_fields": "r", "settings": "r"},
	"viewer":  {"contacts": "r", "companies": "r", "activities": "r", "views": "rcud", "custom_fields": "r", "settings": "r"},
	// A custom role: sales reps work with contacts, read companies, log
	// activities and nothing else.
	"sales_rep": {"contacts": "rcu", "companies": "r", "activities": "rc"},
}

var objects = []string{access.Contacts, access.Companies, access.Activities, access.Views, access.CustomFields,
	access.Settings, access.Users, access.Audit}

func all(actions string) map[string]string {
	m := map[string]string{}
	for _, o := range objects {
		m[o] = actions
	}
	return m
}

var letters = map[access.Action]byte{access.Read: 'r', access.Create: 'c', access.Update: 'u', access.Delete: 'd', access.Export: 'e'}

func want(role, object string, a access.Action) bool {
	for i := 0; i < len(matrix[role][object]); i++ {
		if matrix[role][object][i] == letters[a] {
			return true
		}
	}
	return false
}

// svc is the real services a role is tried against.
type svc struct {
	d         *db.DB
	users     *user.Service
	contacts  *contact.Service
	companies *company.Service
	acts      *activity.Service
	fields    *customfield.Service
	views     *view.Service
	audit     *audit.Service
}

// op runs object's action as ctx through the real service, on a record
// the owner (octx) prepares and that the role may see (nobody owns it).
// It returns nil for "done", and the service's error otherwise. Objects
// and actions no service offers (there is nothing to export of a saved
// view) are asked of access.Check, the gate every service uses.
func (s *svc) op(t *testing.T, octx, ctx context.Context, object string, a access.Action) error {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("prepare %s %s: %v", a, object, err)
		}
	}
	name := fixture.Ptr("Matrix Person")
	switch object + "/" + string(a) {
	case "contacts/read":
		_, err := s.contacts.List(ctx, query.Request{})
		return err
	case "contacts/create":
		_, err := s.contacts.Create(ctx, contact.Input{FirstName: name})
		return err
	case "contacts/update", "contacts/delete":
		c, err := s.contacts.Create(octx, contact.Input{FirstName: name})
		must(err)
		if a == access.Delete {
			return s.contacts.Delete(ctx, c.ID)
		}
		_, err = s.contacts.Update(ctx, c.ID, contact.Input{JobTitle: fixture.Ptr("Buyer")})
		return err
	case "companies/read":
		_, err := s.companies.List(ctx, query.Request{})
		return err
	case "companies/create":
		_, err := s.companies.Create(ctx, company.Input{Name: fixture.Ptr("Matrix Ltd")})
		return err
	case "companies/update", "companies/delete":
		c, err := s.companies.Create(octx, company.Input{Name: fixture.Ptr("Matrix Ltd")})
		must(err)
		if a == access.Delete {
			return s.companies.Delete(ctx, c.ID)
		}
		_, err = s.companies.Update(ctx, c.ID, company.Input{Industry: fixture.Ptr("Retail")})
		return err
	case "activities/read", "activities/create", "activities/update", "activities/delete":
		c, err := s.contacts.Create(octx, contact.Input{FirstName: name})
		must(err)
		note := activity.Input{Kind: fixture.Ptr("note"), ContactID: &c.ID, Body: fixture.Ptr("Called about renewal")}
		switch a {
		case access.Read:
			_, _, err = s.acts.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID})
			return err
		case access.Create:
			_, err = s.acts.Create(ctx, note)
			return err
		}
		n, err := s.acts.Create(octx, note)
		must(err)
		if a == access.Delete {
			return s.acts.Delete(ctx, n.ID)
		}
		_, err = s.acts.Update(ctx, n.ID, activity.Input{Body: fixture.Ptr("Renewal agreed")})
		return err
	case "views/read":
		_, err := s.views.List(ctx, "contact")
		return err
	case "views/create", "views/update", "views/delete":
		schema, err := s.contacts.Schema(octx)
		must(err)
		if a == access.Create {
			_, err = s.views.Save(ctx, schema, view.View{Object: "contact", Name: "Mine"})
			return err
		}
		// A view is its creator's own: the role saves one first when it
		// may, and otherwise tries the owner's.
		target := view.View{Object: "contact", Name: "Theirs"}
		if access.Allowed(actorOf(ctx), access.Views, access.Create) {
			target, err = s.views.Save(ctx, schema, target)
		} else {
			target, err = s.views.Save(octx, schema, target)
		}
		must(err)
		if a == access.Delete {
			return s.views.Delete(ctx, target.ID)
		}
		target.Name = "Renamed"
		_, err = s.views.Save(ctx, schema, target)
		return err
	case "custom_fields/read":
		_, err := s.fields.List(ctx, "contact")
		return err
	case "custom_fields/create":
		_, err := s.fields.Create(ctx, customfield.Field{Object: "contact", Label: fmt.Sprintf("Field %d", fieldN()), Type: customfield.Text})
		return err
	case "custom_fields/update", "custom_fields/delete":
		f, err := s.fields.Create(octx, customfield.Field{Object: "contact", Label: fmt.Sprintf("Field %d", fieldN()), Type: customfield.Text})
		must(err)
		if a == access.Delete {
			return s.fields.Delete(ctx, f.ID)
		}
		_, err = s.fields.Update(ctx, f.ID, customfield.Patch{Label: fixture.Ptr("Renamed field")})
		return err
	case "settings/update":
		return setting.ChangeRegion(ctx, s.d, "FR")
	case "users/read":
		_, err := s.users.Teams(ctx)
		return err
	case "users/create":
		_, err := s.users.CreateTeam(ctx, fmt.Sprintf("Team %d", fieldN()), nil)
		return err
	case "users/update", "users/delete":
		tm, err := s.users.CreateTeam(octx, fmt.Sprintf("Team %d", fieldN()), nil)
		must(err)
		if a == access.Delete {
			return s.users.DeleteTeam(ctx, tm.ID)
		}
		_, err = s.users.UpdateTeam(ctx, tm.ID, fmt.Sprintf("Team %d", fieldN()), nil)
		return err
	case "audit/read":
		_, err := s.audit.List(ctx, audit.Filter{}, "", 10)
		return err
	case "audit/export":
		_, err := s.audit.Export(ctx, audit.Filter{}, io.Discard)
		return err
	}
	_, err := access.Check(ctx, object, a)
	return err
}

var fieldCounter int

func fieldN() int { fieldCounter++; return fieldCounter }

func actorOf(ctx context.Context) access.Actor { a, _ := access.ActorFrom(ctx); return a }

// TestPermissionMatrix runs every role against every object and action
// through the services, on both engines.
func TestPermissionMatrix(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		companies := company.NewService(d, users)
		s := &svc{d: d, users: users, contacts: contacts, companies: companies,
			acts: activity.NewService(d, contacts, companies), fields: customfield.NewService(d),
			views: view.NewService(d), audit: audit.NewService(d)}
		octx, _ := fixture.User(t, d, "owner")
		rep, err := users.CreateRole(octx, user.RoleInput{Label: "Sales rep", Scope: access.ScopeAll, Perms: access.Perms{
			access.Contacts: {access.Read, access.Create, access.Update}, access.Companies: {access.Read},
			access.Activities: {access.Read, access.Create}}})
		if err != nil {
			t.Fatal(err)
		}
		for role := range matrix {
			ctx := octx
			if role != "owner" {
				name := role
				if role == rep.Name {
					name = "member"
				}
				_, u := fixture.User(t, d, name)
				if role == rep.Name {
					if _, err := users.SetRole(octx, u.ID, rep.Name); err != nil {
						t.Fatal(err)
					}
				}
				if u, err = users.ByID(octx, u.ID); err != nil {
					t.Fatal(err)
				}
				ctx = fixture.As(u)
			}
			for _, object := range objects {
				for _, a := range access.Actions {
					err := s.op(t, octx, ctx, object, a)
					ok := want(role, object, a)
					switch {
					case ok && err != nil:
						t.Errorf("%s %s %s: refused (%v), want allowed", role, a, object, err)
					case !ok && err == nil:
						t.Errorf("%s %s %s: allowed, want refused", role, a, object)
					case !ok && !errors.Is(err, apperr.ErrForbidden):
						t.Errorf("%s %s %s: err = %v, want ErrForbidden", role, a, object, err)
					}
				}
			}
		}
	})
}
