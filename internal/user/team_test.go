package user_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestTeams(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		_, ann := fixture.User(t, d, "member")
		_, bob := fixture.User(t, d, "manager")
		s := user.NewService(d)

		empty, err := s.Teams(ctx)
		if err != nil || len(empty) != 0 {
			t.Fatalf("Teams on a new database = %v, %v", empty, err)
		}
		sales, err := s.CreateTeam(ctx, "  Sales ", []string{ann.ID, bob.ID, ann.ID})
		if err != nil {
			t.Fatal(err)
		}
		if sales.Name != "Sales" || len(sales.Members) != 2 || sales.CreatedAt.IsZero() || !id.Valid(sales.ID) {
			t.Errorf("created %+v", sales)
		}
		if k := kinds(t, d, "team", sales.ID); !slices.Equal(k, []string{"team.created", "team.members_changed"}) {
			t.Errorf("events after create %v", k)
		}
		var members struct {
			Name           string
			Added, Removed []string
		}
		lastData(t, d, "team", sales.ID, "team.members_changed", &members)
		if members.Name != "Sales" || len(members.Added) != 2 || len(members.Removed) != 0 {
			t.Errorf("team.members_changed data %+v", members)
		}
		// A team without members records no membership change.
		support, err := s.CreateTeam(ctx, "Support", nil)
		if err != nil {
			t.Fatal(err)
		}
		if k := kinds(t, d, "team", support.ID); !slices.Equal(k, []string{"team.created"}) {
			t.Errorf("events of an empty team %v", k)
		}

		// Rename and change members in one go.
		got, err := s.UpdateTeam(ctx, sales.ID, "Field sales", []string{bob.ID, owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "Field sales" || len(got.Members) != 2 {
			t.Errorf("updated %+v", got)
		}
		if k := kinds(t, d, "team", sales.ID); !slices.Equal(k, []string{"team.created", "team.members_changed", "team.renamed", "team.members_changed"}) {
			t.Errorf("events after update %v", k)
		}
		var renamed struct{ Before, After string }
		lastData(t, d, "team", sales.ID, "team.renamed", &renamed)
		if renamed.Before != "Sales" || renamed.After != "Field sales" {
			t.Errorf("team.renamed data %+v", renamed)
		}
		lastData(t, d, "team", sales.ID, "team.members_changed", &members)
		if !slices.Equal(members.Added, []string{owner.ID}) || !slices.Equal(members.Removed, []string{ann.ID}) {
			t.Errorf("team.members_changed data %+v, want owner added and Ann removed", members)
		}
		// Saving without a change records nothing.
		if _, err := s.UpdateTeam(ctx, sales.ID, "Field sales", []string{owner.ID, bob.ID}); err != nil {
			t.Fatal(err)
		}
		if n := len(kinds(t, d, "team", sales.ID)); n != 4 {
			t.Errorf("%d events after a save without changes, want 4", n)
		}

		// Reading: every team by name, one team, a user's teams.
		all, err := s.Teams(ctx)
		if err != nil || len(all) != 2 || all[0].Name != "Field sales" || all[1].Name != "Support" {
			t.Fatalf("Teams = %+v, %v", all, err)
		}
		one, err := s.Team(ctx, sales.ID)
		if err != nil || !slices.Contains(one.Members, owner.ID) || !slices.Contains(one.Members, bob.ID) {
			t.Errorf("Team = %+v, %v", one, err)
		}
		if _, err := s.CreateTeam(ctx, "Night shift", []string{bob.ID}); err != nil {
			t.Fatal(err)
		}
		of, err := s.TeamsOf(ctx, bob.ID)
		if err != nil || len(of) != 2 || of[0].Name != "Field sales" || of[1].Name != "Night shift" {
			t.Errorf("TeamsOf(bob) = %+v, %v", of, err)
		}
		// Anyone may ask about their own teams, nobody else's.
		bobCtx := fixture.As(bob)
		if mine, err := s.TeamsOf(bobCtx, bob.ID); err != nil || len(mine) != 2 {
			t.Errorf("bob's own teams = %+v, %v", mine, err)
		}
		if _, err := s.TeamsOf(bobCtx, owner.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("bob reads the owner's teams: %v, want forbidden", err)
		}

		// Delete: the team and its memberships go, the users stay.
		if err := s.DeleteTeam(ctx, support.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Team(ctx, support.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Team after delete = %v, want not found", err)
		}
		if k := kinds(t, d, "team", support.ID); k[len(k)-1] != "team.deleted" {
			t.Errorf("events after delete %v", k)
		}
		if err := s.DeleteTeam(ctx, sales.ID); err != nil {
			t.Fatal(err)
		}
		if of, _ := s.TeamsOf(ctx, owner.ID); len(of) != 0 {
			t.Errorf("owner still in %+v after the team was deleted", of)
		}
		if _, err := s.ByID(ctx, bob.ID); err != nil {
			t.Errorf("member of a deleted team: %v", err)
		}
		if err := s.DeleteTeam(ctx, sales.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("DeleteTeam twice = %v, want not found", err)
		}
	})
}

func TestTeamsValidate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		_, ann := fixture.User(t, d, "member")
		s := user.NewService(d)
		sales, err := s.CreateTeam(ctx, "Sales", []string{ann.ID})
		if err != nil {
			t.Fatal(err)
		}
		support, err := s.CreateTeam(ctx, "Support", nil)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name     string
			do       func() error
			field    string
			conflict bool
		}{
			{"no name", func() error { _, err := s.CreateTeam(ctx, " ", nil); return err }, "name", false},
			{"long name", func() error { _, err := s.CreateTeam(ctx, strings.Repeat("x", 101), nil); return err }, "name", false},
			{"duplicate name", func() error { _, err := s.CreateTeam(ctx, "sales", nil); return err }, "name", true},
			{"malformed member", func() error { _, err := s.CreateTeam(ctx, "Ops", []string{"ann"}); return err }, "members", false},
			{"unknown member", func() error { _, err := s.CreateTeam(ctx, "Ops", []string{id.New()}); return err }, "members", false},
			{"rename to a taken name", func() error { _, err := s.UpdateTeam(ctx, support.ID, "SALES", nil); return err }, "name", true},
			{"rename to nothing", func() error { _, err := s.UpdateTeam(ctx, support.ID, "", nil); return err }, "name", false},
			{"unknown member on update", func() error { _, err := s.UpdateTeam(ctx, sales.ID, "Sales", []string{id.New()}); return err }, "members", false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.do()
				v := apperr.AsValidation(err)
				if v == nil || v.For(c.field) == "" {
					t.Fatalf("got %v, want a message for %s", err, c.field)
				}
				if v.Conflict != c.conflict {
					t.Errorf("conflict = %v, want %v", v.Conflict, c.conflict)
				}
			})
		}
		// Nothing of the refused changes was kept.
		all, _ := s.Teams(ctx)
		if len(all) != 2 || all[0].Name != "Sales" || len(all[0].Members) != 1 || all[1].Name != "Support" {
			t.Errorf("teams after refused changes %+v", all)
		}
		if _, err := s.UpdateTeam(ctx, id.New(), "Ghosts", nil); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("UpdateTeam(unknown) = %v, want not found", err)
		}
		if _, err := s.Team(ctx, "nope"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("Team(malformed) = %v, want not found", err)
		}

		// Only those with rights on users manage teams.
		for _, role := range []string{"manager", "member", "viewer"} {
			rctx, _ := fixture.User(t, d, role)
			if _, err := s.Teams(rctx); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s Teams = %v, want forbidden", role, err)
			}
			if _, err := s.CreateTeam(rctx, "Mine", nil); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s CreateTeam = %v, want forbidden", role, err)
			}
			if _, err := s.UpdateTeam(rctx, sales.ID, "Mine", nil); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s UpdateTeam = %v, want forbidden", role, err)
			}
			if err := s.DeleteTeam(rctx, sales.ID); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s DeleteTeam = %v, want forbidden", role, err)
			}
		}
		if _, err := s.CreateTeam(context.Background(), "Nobody's", nil); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("CreateTeam without an actor = %v, want forbidden", err)
		}
	})
}
