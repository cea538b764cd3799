package deal_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

// dealMatrix is what each role may do to deals and pipelines, written out
// by hand from the role descriptions. Letters: r read, c create, u update,
// d delete, e export.
var dealMatrix = map[string]map[string]string{
	"owner":   {deal.Deals: "rcude", deal.Pipelines: "rcude"},
	"admin":   {deal.Deals: "rcude", deal.Pipelines: "rcude"},
	"manager": {deal.Deals: "rcude", deal.Pipelines: ""},
	"member":  {deal.Deals: "rcud", deal.Pipelines: ""},
	"viewer":  {deal.Deals: "r", deal.Pipelines: ""},
	// A custom role that works deals but may not delete them.
	"deal_rep": {deal.Deals: "rcu", deal.Pipelines: ""},
}

var dealLetters = map[access.Action]byte{access.Read: 'r', access.Create: 'c', access.Update: 'u', access.Delete: 'd', access.Export: 'e'}

func dealWant(role, object string, a access.Action) bool {
	for i := 0; i < len(dealMatrix[role][object]); i++ {
		if dealMatrix[role][object][i] == dealLetters[a] {
			return true
		}
	}
	return false
}

// dealOp runs object's action as ctx through the service, on records the
// owner (octx) prepares.
func dealOp(t *testing.T, e *env, octx, ctx context.Context, object string, a access.Action) error {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("prepare %s %s: %v", a, object, err)
		}
	}
	switch object + "/" + string(a) {
	case "deals/read":
		_, err := e.deals.List(ctx, query.Request{})
		if err == nil {
			_, err = e.deals.Board(ctx, deal.BoardQuery{})
		}
		return err
	case "deals/create":
		_, err := e.deals.Create(ctx, deal.Input{Name: p("Matrix deal")})
		return err
	case "deals/update", "deals/delete":
		dl, err := e.deals.Create(octx, deal.Input{Name: p("Matrix deal")})
		must(err)
		if a == access.Delete {
			return e.deals.Delete(ctx, dl.ID)
		}
		_, err = e.deals.Update(ctx, dl.ID, deal.Input{Amount: fixture.Ptr[int64](10)})
		if err == nil {
			_, err = e.deals.MarkWon(ctx, dl.ID, deal.CloseInput{})
		}
		return err
	case "pipelines/read":
		// Pipelines are read by whoever reads deals; the admin object
		// governs changing them.
		_, err := access.Check(ctx, deal.Pipelines, access.Read)
		return err
	case "pipelines/create":
		_, err := e.deals.CreatePipeline(ctx, deal.PipelineInput{Name: p("Matrix pipeline"), Currency: p("EUR")})
		return err
	case "pipelines/update", "pipelines/delete":
		pl, err := e.deals.CreatePipeline(octx, deal.PipelineInput{Name: p("Matrix pipeline"), Currency: p("EUR"),
			Stages: []deal.StageInput{{Name: p("One")}, {Name: p("Two")}}})
		must(err)
		if a == access.Delete {
			return e.deals.DeleteStage(ctx, pl.Stages[1].ID, "")
		}
		_, err = e.deals.UpdatePipeline(ctx, pl.ID, deal.PipelineInput{Name: p("Renamed")})
		return err
	}
	_, err := access.Check(ctx, object, a)
	return err
}

// TestDealPermissions runs every role against deals and pipelines through
// the service, on both engines.
func TestDealPermissions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		octx := e.ctx
		rep, err := e.users.CreateRole(octx, user.RoleInput{Label: "Deal rep", Scope: access.ScopeAll, Perms: access.Perms{
			deal.Deals: {access.Read, access.Create, access.Update}}})
		if err != nil {
			t.Fatal(err)
		}
		for role := range dealMatrix {
			ctx := octx
			if role != "owner" {
				name := role
				if role == rep.Name {
					name = "member"
				}
				_, u := fixture.User(t, d, name)
				if role == rep.Name {
					if _, err := e.users.SetRole(octx, u.ID, rep.Name); err != nil {
						t.Fatal(err)
					}
				}
				if u, err = e.users.ByID(octx, u.ID); err != nil {
					t.Fatal(err)
				}
				ctx = fixture.As(u)
			}
			for _, object := range []string{deal.Deals, deal.Pipelines} {
				for _, a := range access.Actions {
					err := dealOp(t, e, octx, ctx, object, a)
					ok := dealWant(role, object, a)
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

// TestDealScope checks that a member sees their own deals and unowned
// ones, never a colleague's: not on the board, not in the list, not by id.
func TestDealScope(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		mctx, member := fixture.User(t, d, "member")
		_, other := fixture.User(t, d, "member")
		mine, err := e.deals.Create(e.ctx, deal.Input{Name: p("Mine"), OwnerID: &member.ID})
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := e.deals.Create(e.ctx, deal.Input{Name: p("Theirs"), OwnerID: &other.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.deals.Create(e.ctx, deal.Input{Name: p("Nobody's")}); err != nil {
			t.Fatal(err)
		}
		b, err := e.deals.Board(mctx, deal.BoardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if b.Columns[0].Count != 2 || len(b.Columns[0].Cards) != 2 {
			t.Errorf("member's board column = %+v, want Mine and Nobody's", b.Columns[0])
		}
		page, err := e.deals.List(mctx, query.Request{})
		if err != nil || len(page.Rows) != 2 {
			t.Errorf("member's list = %+v %v", page.Rows, err)
		}
		if _, err := e.deals.ByID(mctx, mine.ID); err != nil {
			t.Errorf("own deal: %v", err)
		}
		if _, err := e.deals.ByID(mctx, theirs.ID); !errors.Is(err, access.ErrOutOfScope) {
			t.Errorf("colleague's deal by id: %v, want out of scope", err)
		}
		if _, err := e.deals.Move(mctx, theirs.ID, deal.MoveInput{StageID: b.Columns[1].Stage.ID}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("moving a colleague's deal: %v, want not found", err)
		}
	})
}
