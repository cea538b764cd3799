// Package demo fills an empty database with a realistic, deterministic data
// set: users, companies, contacts named in several scripts, custom fields,
// tags and years of timeline. The same seed always gives the same rows.
// Rows are written in bulk (multi-row INSERT on SQLite, COPY on
// PostgreSQL), in short transactions so a running server stays responsive.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/tag"
	"github.com/rapportcrm/rapport/internal/user"
)

// Defaults and limits.
const (
	DefaultContacts = 2000
	MaxContacts     = 10_000_000
	batchSize       = 1000
)

// Demo sign-in, printed by `rapport serve --demo` and `rapport demo`.
const (
	OwnerEmail    = "demo@rapport.example"
	OwnerPassword = "rapport-demo"
)

// ErrNotEmpty means the database already holds contacts or companies.
var ErrNotEmpty = errors.New("the database already has contacts or companies; demo data goes into an empty one")

// Options shape a data set.
type Options struct {
	Contacts int
	Seed     uint64
	// Now anchors the history; the zero value means the start of today (UTC).
	Now time.Time
	// Progress, when set, is called after each batch with the contacts
	// written so far.
	Progress func(done, total int)
}

// Result says what was written.
type Result struct {
	Users, Companies, Contacts, Activities, Events int
	// OwnerCreated is true when the demo owner account was created (the
	// database had no users), so OwnerEmail/OwnerPassword sign in.
	OwnerCreated bool
}

// Generate writes the data set into d. It refuses a database that already
// has contacts or companies.
func Generate(ctx context.Context, d *db.DB, o Options) (Result, error) {
	if o.Contacts == 0 {
		o.Contacts = DefaultContacts
	}
	if o.Contacts < 0 || o.Contacts > MaxContacts {
		return Result{}, fmt.Errorf("demo: contacts must be between 1 and %d, not %d", MaxContacts, o.Contacts)
	}
	if o.Now.IsZero() {
		o.Now = time.Now().UTC().Truncate(24 * time.Hour)
	}
	var n int
	if err := d.R.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM contacts) + (SELECT COUNT(*) FROM companies)`).Scan(&n); err != nil {
		return Result{}, fmt.Errorf("demo: %w", err)
	}
	if n > 0 {
		return Result{}, ErrNotEmpty
	}
	g := &gen{d: d, o: o, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), handles: map[string]int{}}
	ctx = access.WithActor(ctx, access.SystemActor)
	if err := g.users(ctx); err != nil {
		return g.res, err
	}
	if err := g.schema(ctx); err != nil {
		return g.res, err
	}
	if err := g.companies(ctx); err != nil {
		return g.res, err
	}
	for done := 0; done < o.Contacts; done += batchSize {
		if err := ctx.Err(); err != nil {
			return g.res, err
		}
		if err := g.contactBatch(ctx, done, min(batchSize, o.Contacts-done)); err != nil {
			return g.res, err
		}
		if o.Progress != nil {
			o.Progress(min(done+batchSize, o.Contacts), o.Contacts)
		}
	}
	return g.res, nil
}

// demoUsers are the people who own and work the demo records.
var demoUsers = []struct{ email, name, role string }{
	{OwnerEmail, "Dana Demo", user.RoleOwner},
	{"ines.admin@rapport.example", "Inès Admin", user.RoleAdmin},
	{"marco.manager@rapport.example", "Marco Manager", user.RoleManager},
	{"sam.sales@rapport.example", "Sam Sales", user.RoleMember},
	{"yuki.sales@rapport.example", "Yuki Sales", user.RoleMember},
}

func (g *gen) users(ctx context.Context) error {
	svc := user.NewService(g.d)
	count, err := svc.Count(ctx)
	if err != nil {
		return err
	}
	existing, err := svc.List(ctx)
	if err != nil {
		return err
	}
	byEmail := map[string]user.User{}
	for _, u := range existing {
		byEmail[u.Email] = u
	}
	for _, du := range demoUsers {
		if u, ok := byEmail[du.email]; ok {
			g.userIDs = append(g.userIDs, u.ID)
			continue
		}
		in := user.NewUser{Email: du.email, Name: du.name, Role: du.role, Password: OwnerPassword}
		var u user.User
		if count == 0 && du.role == user.RoleOwner {
			u, err = svc.Setup(ctx, in)
			g.res.OwnerCreated = err == nil
		} else {
			if du.role == user.RoleOwner {
				in.Role = user.RoleAdmin
			}
			u, err = svc.Create(ctx, "", in)
		}
		if err != nil {
			return fmt.Errorf("demo: user %s: %w", du.email, err)
		}
		g.userIDs = append(g.userIDs, u.ID)
		g.res.Users++
	}
	return g.team(ctx, svc)
}

// demoTeam is the sales team: its manager sees the records its members own.
const demoTeam = "Sales"

// team puts the manager and the sales members in one team, once.
func (g *gen) team(ctx context.Context, svc *user.Service) error {
	ctx = access.WithActor(ctx, access.SystemActor)
	teams, err := svc.Teams(ctx)
	if err != nil {
		return err
	}
	for _, t := range teams {
		if t.Name == demoTeam {
			return nil
		}
	}
	var members []string
	for i, du := range demoUsers {
		if du.role == user.RoleManager || du.role == user.RoleMember {
			members = append(members, g.userIDs[i])
		}
	}
	if _, err := svc.CreateTeam(ctx, demoTeam, members); err != nil {
		return fmt.Errorf("demo: team: %w", err)
	}
	return nil
}

// schema creates the custom fields and tags the records use.
func (g *gen) schema(ctx context.Context) error {
	svc := customfield.NewService(g.d)
	defs := []customfield.Field{
		{Object: "contact", Key: "plan", Label: "Plan", Type: customfield.Select, Options: planOptions, Filterable: true},
		{Object: "contact", Key: "seats", Label: "Seats", Type: customfield.Number, Filterable: true},
		{Object: "contact", Key: "renewal", Label: "Renewal date", Type: customfield.Date},
		{Object: "contact", Key: "newsletter", Label: "Newsletter", Type: customfield.Bool},
		{Object: "contact", Key: "channels", Label: "Preferred channels", Type: customfield.MultiSelect, Options: channels},
		{Object: "company", Key: "arr", Label: "Annual revenue", Type: customfield.Currency, Currency: "EUR", Filterable: true},
		{Object: "company", Key: "website", Label: "Website", Type: customfield.URL},
	}
	existing := map[string]bool{}
	for _, obj := range []string{"contact", "company"} {
		list, err := svc.List(ctx, obj)
		if err != nil {
			return err
		}
		for _, f := range list {
			existing[obj+"."+f.Key] = true
		}
	}
	for _, f := range defs {
		if existing[f.Object+"."+f.Key] {
			continue
		}
		if _, err := svc.Create(ctx, f); err != nil {
			return fmt.Errorf("demo: custom field %s: %w", f.Key, err)
		}
	}
	return g.d.WithTx(ctx, func(tx *db.Tx) error {
		ids, err := tag.Ensure(ctx, tx, tagNames)
		g.tagIDs = ids
		return err
	})
}
