package deal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

// env is a database with the services deals use and a movable clock.
type env struct {
	d         *db.DB
	ctx       context.Context
	owner     user.User
	users     *user.Service
	contacts  *contact.Service
	companies *company.Service
	deals     *deal.Service
	now       time.Time
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	e := &env{d: d, ctx: ctx, owner: owner, users: users, contacts: contacts, companies: companies,
		deals: deal.NewService(d, users, contacts, companies), now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	e.deals.SetClock(func() time.Time { return e.now })
	return e
}

func (e *env) pipeline(t *testing.T, name string, probs ...int) deal.Pipeline {
	t.Helper()
	in := deal.PipelineInput{Name: p(name), Currency: p("EUR")}
	for i, pr := range probs {
		in.Stages = append(in.Stages, deal.StageInput{Name: p("Stage " + string(rune('A'+i))), Probability: fixture.Ptr(pr)})
	}
	pl, err := e.deals.CreatePipeline(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return pl
}

func countDeals(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM deals`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestDefaultPipeline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		all, err := e.deals.Pipelines(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Name != "Sales" || len(all[0].Stages) != 4 || all[0].Stages[2].Name != "Proposal" ||
			all[0].Stages[2].Probability != 50 {
			t.Fatalf("fresh install pipelines = %+v, want Sales with Lead..Negotiation", all)
		}
		// A deal without pipeline or stage lands in the first stage of the first pipeline.
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("First"), Amount: fixture.Ptr[int64](1000)})
		if err != nil {
			t.Fatal(err)
		}
		if dl.PipelineID != deal.DefaultPipelineID || dl.StageName != "Lead" || dl.Currency != "EUR" || dl.Probability != 10 {
			t.Errorf("deal = %+v, want Sales/Lead in EUR at 10%%", dl)
		}
	})
}

func TestDealInputErrors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		a := e.pipeline(t, "Alpha", 10, 90)
		b := e.pipeline(t, "Beta", 20)
		tests := []struct {
			name  string
			in    deal.Input
			field string
		}{
			{"no name", deal.Input{Name: p(" ")}, "name"},
			{"negative amount", deal.Input{Name: p("X"), Amount: fixture.Ptr[int64](-1)}, "amount"},
			{"unknown currency", deal.Input{Name: p("X"), Currency: p("XYZ")}, "currency"},
			{"lower-case junk currency", deal.Input{Name: p("X"), Currency: p("euro")}, "currency"},
			{"stage of another pipeline", deal.Input{Name: p("X"), PipelineID: &a.ID, StageID: &b.Stages[0].ID}, "stage_id"},
			{"unknown pipeline", deal.Input{Name: p("X"), PipelineID: p("0190f0f0-0000-7000-8000-000000000000")}, "pipeline_id"},
			{"close date format", deal.Input{Name: p("X"), CloseDate: p("31/05/2026")}, "close_date"},
			{"impossible close date", deal.Input{Name: p("X"), CloseDate: p("2026-02-30")}, "close_date"},
			{"unknown owner", deal.Input{Name: p("X"), OwnerID: p("0190f0f0-0000-7000-8000-000000000000")}, "owner_id"},
			{"unknown company", deal.Input{Name: p("X"), CompanyID: p("0190f0f0-0000-7000-8000-000000000000")}, "company_id"},
			{"unknown contact", deal.Input{Name: p("X"), ContactIDs: &[]string{"0190f0f0-0000-7000-8000-000000000000"}}, "contact_ids"},
			{"unknown custom field", deal.Input{Name: p("X"), Custom: map[string]any{"nope": 1}}, "custom.nope"},
		}
		for _, tt := range tests {
			_, err := e.deals.Create(e.ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v, want a message on %s", tt.name, err, tt.field)
			}
		}
		if n := countDeals(t, d); n != 0 {
			t.Errorf("%d deals saved from bad input, want none", n)
		}
		// The same stage mistake on update leaves the deal as it was.
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Ok"), PipelineID: &a.ID, Amount: fixture.Ptr[int64](5)})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.deals.Update(e.ctx, dl.ID, deal.Input{StageID: &b.Stages[0].ID, Amount: fixture.Ptr[int64](9)})
		if v := apperr.AsValidation(err); v == nil || v.For("stage_id") == "" {
			t.Errorf("update to another pipeline's stage: %v", err)
		}
		got, _ := e.deals.ByID(e.ctx, dl.ID)
		if got.Amount != 5 || got.StageID != a.Stages[0].ID || got.Version != 1 {
			t.Errorf("after refused update: %+v", got)
		}
	})
}

func TestStageHistoryAndEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pl := e.pipeline(t, "Sales EU", 10, 40, 70)
		ada, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ada"), LastName: p("Lovelace")})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Bob")})
		if err != nil {
			t.Fatal(err)
		}
		acme, err := e.companies.Create(e.ctx, company.Input{Name: p("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Acme renewal"), PipelineID: &pl.ID, Amount: fixture.Ptr[int64](120000),
			CloseDate: p("2026-06-30"), CompanyID: &acme.ID, ContactIDs: &[]string{ada.ID, bob.ID, ada.ID}, OwnerID: &e.owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(dl.Contacts) != 2 || dl.CompanyName != "Acme" {
			t.Fatalf("deal = %+v, want 2 contacts and Acme", dl)
		}
		e.now = e.now.Add(3 * time.Hour)
		if dl, err = e.deals.Move(e.ctx, dl.ID, deal.MoveInput{StageID: pl.Stages[1].ID, Version: dl.Version}); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(2 * 24 * time.Hour)
		if dl, err = e.deals.Move(e.ctx, dl.ID, deal.MoveInput{StageID: pl.Stages[2].ID, Version: dl.Version}); err != nil {
			t.Fatal(err)
		}
		if dl.Probability != 70 || dl.Version != 3 {
			t.Errorf("after two moves: probability %d version %d", dl.Probability, dl.Version)
		}
		e.now = e.now.Add(30 * time.Minute)
		var onWon string
		e.deals.OnWon = func(ctx context.Context, tx *db.Tx, dealID string) error {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM deals WHERE id = $1`, dealID).Scan(&status); err != nil {
				return err
			}
			onWon = status
			return nil
		}
		if dl, err = e.deals.MarkWon(e.ctx, dl.ID, deal.CloseInput{Version: dl.Version}); err != nil {
			t.Fatal(err)
		}
		if onWon != "won" || dl.Status != deal.Won || !dl.ClosedAt.Equal(e.now) {
			t.Errorf("OnWon saw %q, deal %s closed %v", onWon, dl.Status, dl.ClosedAt)
		}
		hist, err := e.deals.History(e.ctx, dl.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []time.Duration{3 * time.Hour, 48 * time.Hour, 30 * time.Minute}
		if len(hist) != 3 {
			t.Fatalf("history = %+v, want 3 stays", hist)
		}
		for i, w := range want {
			if hist[i].Duration != w || hist[i].StageName != pl.Stages[i].Name || hist[i].LeftAt.IsZero() {
				t.Errorf("stay %d = %+v, want %v in %s, closed", i, hist[i], w, pl.Stages[i].Name)
			}
		}
		evs, err := event.ListForSubject(e.ctx, d.R, "deal", dl.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		// Each of 4 events (created, 2 moves, won) once for the deal and
		// once per contact.
		kinds := map[string]int{}
		for _, ev := range evs {
			kinds[ev.Kind]++
		}
		if kinds["deal.created"] != 3 || kinds["deal.stage_changed"] != 6 || kinds["deal.won"] != 3 {
			t.Errorf("event kinds = %v", kinds)
		}
		var dealRows, adaRows, acmeRows int
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE deal_id = $1`, dl.ID).Scan(&dealRows)
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE contact_id = $1 AND subject_type = 'deal'`, ada.ID).Scan(&adaRows)
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE company_id = $1 AND subject_type = 'deal'`, acme.ID).Scan(&acmeRows)
		if dealRows != 4 || adaRows != 4 || acmeRows != 4 {
			t.Errorf("timeline rows deal %d, Ada %d, Acme %d; want 4 each", dealRows, adaRows, acmeRows)
		}
		var data struct {
			From, To string
			Seconds  int64 `json:"seconds_in_stage"`
		}
		var raw string
		d.R.QueryRow(`SELECT data FROM events WHERE deal_id = $1 AND kind = 'deal.stage_changed' ORDER BY id DESC LIMIT 1`, dl.ID).Scan(&raw)
		if err := json.Unmarshal([]byte(raw), &data); err != nil || data.From != pl.Stages[1].Name || data.To != pl.Stages[2].Name ||
			data.Seconds != 48*3600 {
			t.Errorf("stage_changed data = %s (%v)", raw, err)
		}
		// A lost deal needs a reason; a reopened one is back on the board.
		if _, err := e.deals.MarkLost(e.ctx, dl.ID, deal.CloseInput{}); apperr.AsValidation(err).For("reason") == "" {
			t.Errorf("lost without reason: %v", err)
		}
		if dl, err = e.deals.Reopen(e.ctx, dl.ID, deal.CloseInput{}); err != nil || dl.Status != deal.Open {
			t.Fatalf("reopen: %+v %v", dl, err)
		}
		if dl, err = e.deals.MarkLost(e.ctx, dl.ID, deal.CloseInput{Reason: "Budget cut"}); err != nil || dl.LostReason != "Budget cut" {
			t.Fatalf("lost: %+v %v", dl, err)
		}
		for _, rec := range []struct {
			id        string
			isCompany bool
		}{{ada.ID, false}, {acme.ID, true}} {
			list, err := e.deals.ForRecord(e.ctx, rec.id, rec.isCompany, 10)
			if err != nil || len(list) != 1 || list[0].ID != dl.ID {
				t.Errorf("deals of %s = %+v, %v", rec.id, list, err)
			}
		}
	})
}

func TestOnWonFailureRollsBack(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Big one")})
		if err != nil {
			t.Fatal(err)
		}
		e.deals.OnWon = func(context.Context, *db.Tx, string) error { return errors.New("no stock") }
		if _, err := e.deals.MarkWon(e.ctx, dl.ID, deal.CloseInput{}); err == nil {
			t.Fatal("won although OnWon failed")
		}
		got, _ := e.deals.ByID(e.ctx, dl.ID)
		var won int
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'deal.won'`).Scan(&won)
		if got.Status != deal.Open || got.Version != 1 || won != 0 {
			t.Errorf("after failed win: status %s version %d won events %d", got.Status, got.Version, won)
		}
	})
}

func TestMoveConflicts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pl := e.pipeline(t, "Board", 10, 30, 60, 90)
		_, grace := fixture.User(t, d, "member")
		gctx := fixture.As(grace)
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Shared deal"), PipelineID: &pl.ID})
		if err != nil {
			t.Fatal(err)
		}
		seen := dl.Version

		// Grace edits the amount meanwhile: a move from the old version
		// still applies and her amount stays.
		if _, err := e.deals.Update(gctx, dl.ID, deal.Input{Amount: fixture.Ptr[int64](777), Version: seen}); err != nil {
			t.Fatal(err)
		}
		moved, err := e.deals.Move(e.ctx, dl.ID, deal.MoveInput{StageID: pl.Stages[1].ID, Version: seen})
		if err != nil {
			t.Fatalf("move after someone else's edit: %v", err)
		}
		if moved.Amount != 777 || moved.StageID != pl.Stages[1].ID || moved.Version != 3 {
			t.Errorf("merged = amount %d stage %s version %d, want 777, stage B, 3", moved.Amount, moved.StageName, moved.Version)
		}

		// Grace moves it to stage C; a move from the version before hers
		// is refused and names her, the stage and when.
		seen = moved.Version
		e.now = e.now.Add(time.Minute)
		if _, err := e.deals.Move(gctx, dl.ID, deal.MoveInput{StageID: pl.Stages[2].ID, Version: seen}); err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(2 * time.Minute)
		_, err = e.deals.Move(e.ctx, dl.ID, deal.MoveInput{StageID: pl.Stages[3].ID, Version: seen})
		var c *deal.Conflict
		if !errors.As(err, &c) || !errors.Is(err, apperr.ErrConflict) {
			t.Fatalf("stale move: err = %v, want a conflict", err)
		}
		if c.By != grace.Name || c.Current.StageID != pl.Stages[2].ID || !strings.Contains(c.Error(), "moved to "+pl.Stages[2].Name+" by "+grace.Name) {
			t.Errorf("conflict = %q (by %q, stage %s)", c.Error(), c.By, c.Current.StageName)
		}
		got, _ := e.deals.ByID(e.ctx, dl.ID)
		if got.StageID != pl.Stages[2].ID {
			t.Errorf("the losing move changed the stage to %s", got.StageName)
		}
		// A stale edit is refused too.
		if _, err := e.deals.Update(e.ctx, dl.ID, deal.Input{Name: p("Renamed"), Version: seen}); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("stale edit: %v", err)
		}
	})
}

func TestCardOrder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pl := e.pipeline(t, "Order", 10, 20)
		var ids []string
		for _, n := range []string{"one", "two", "three"} {
			dl, err := e.deals.Create(e.ctx, deal.Input{Name: p(n), PipelineID: &pl.ID, Amount: fixture.Ptr[int64](100)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, dl.ID)
		}
		// "three" goes between "one" and "two".
		if _, err := e.deals.Move(e.ctx, ids[2], deal.MoveInput{StageID: pl.Stages[0].ID, AfterID: ids[0], BeforeID: ids[1]}); err != nil {
			t.Fatal(err)
		}
		// "one" goes to the next stage.
		if _, err := e.deals.Move(e.ctx, ids[0], deal.MoveInput{StageID: pl.Stages[1].ID}); err != nil {
			t.Fatal(err)
		}
		b, err := e.deals.Board(e.ctx, deal.BoardQuery{PipelineID: pl.ID})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range b.Columns[0].Cards {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != "three,two" || b.Columns[0].Count != 2 || b.Columns[0].Totals[0].Amount != 200 ||
			b.Columns[1].Count != 1 {
			t.Errorf("board = %v, columns %+v", names, b.Columns)
		}
		// Filters: amount range and show more.
		b, err = e.deals.Board(e.ctx, deal.BoardQuery{PipelineID: pl.ID, AmountMin: fixture.Ptr[int64](101)})
		if err != nil || b.Columns[0].Count != 0 {
			t.Errorf("amount filter: %+v %v", b.Columns, err)
		}
		b, _ = e.deals.Board(e.ctx, deal.BoardQuery{PipelineID: pl.ID, Limit: 1})
		if !b.Columns[0].More || len(b.Columns[0].Cards) != 1 {
			t.Fatalf("limit 1: %+v", b.Columns[0])
		}
		more, hasMore, err := e.deals.MoreCards(e.ctx, deal.BoardQuery{Limit: 1}, pl.Stages[0].ID, b.Columns[0].Cards[0].ID)
		if err != nil || len(more) != 1 || more[0].Name != "two" || hasMore {
			t.Errorf("show more = %+v %v %v", more, hasMore, err)
		}
		page, err := e.deals.List(e.ctx, query.Request{Sort: query.Sort{Field: "name"}})
		if err != nil || len(page.Rows) != 3 || page.Rows[0].Name != "one" {
			t.Errorf("list = %+v %v", page.Rows, err)
		}
	})
}

func TestStages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		pl := e.pipeline(t, "Edit me", 10, 50)
		if _, err := e.deals.CreatePipeline(e.ctx, deal.PipelineInput{Name: p("Bad"), Currency: p("EUR"),
			Stages: []deal.StageInput{{Name: p("S"), Probability: fixture.Ptr(101)}}}); apperr.AsValidation(err).For("stages[0].probability") == "" {
			t.Errorf("probability 101: %v", err)
		}
		st, err := e.deals.AddStage(e.ctx, pl.ID, deal.StageInput{Name: p("Closing"), Probability: fixture.Ptr(95)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.deals.UpdateStage(e.ctx, st.ID, deal.StageInput{Probability: fixture.Ptr(-1)}); apperr.AsValidation(err).For("probability") == "" {
			t.Errorf("probability -1: %v", err)
		}
		re, err := e.deals.ReorderStages(e.ctx, pl.ID, []string{st.ID, pl.Stages[0].ID, pl.Stages[1].ID})
		if err != nil || re.Stages[0].Name != "Closing" {
			t.Fatalf("reorder: %+v %v", re.Stages, err)
		}
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Held"), PipelineID: &pl.ID, StageID: &st.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.deals.DeleteStage(e.ctx, st.ID, ""); apperr.AsValidation(err).For("move_to") == "" {
			t.Errorf("deleting a stage with a deal: %v", err)
		}
		if err := e.deals.DeleteStage(e.ctx, st.ID, pl.Stages[1].ID); err != nil {
			t.Fatal(err)
		}
		got, _ := e.deals.ByID(e.ctx, dl.ID)
		after, _ := e.deals.Pipeline(e.ctx, pl.ID)
		if got.StageID != pl.Stages[1].ID || len(after.Stages) != 2 {
			t.Errorf("after delete: deal in %s, %d stages", got.StageName, len(after.Stages))
		}
		if err := e.deals.DeletePipeline(e.ctx, pl.ID); apperr.AsValidation(err).For("pipeline") == "" {
			t.Errorf("deleting a pipeline with deals: %v", err)
		}
	})
}

func TestDealCustomFields(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		fields := customfield.NewService(d)
		if _, err := fields.Create(e.ctx, customfield.Field{Object: customfield.ObjectDeal, Label: "Source", Type: customfield.Select,
			Options: []string{"Inbound", "Outbound"}, Filterable: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.deals.Create(e.ctx, deal.Input{Name: p("Bad"), Custom: map[string]any{"source": "Carrier pigeon"}}); apperr.AsValidation(err).For("custom.source") == "" {
			t.Errorf("bad option: %v", err)
		}
		in, err := e.deals.Create(e.ctx, deal.Input{Name: p("Inbound one"), Custom: map[string]any{"source": "Inbound"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.deals.Create(e.ctx, deal.Input{Name: p("Outbound one"), Custom: map[string]any{"source": "Outbound"}}); err != nil {
			t.Fatal(err)
		}
		page, err := e.deals.List(e.ctx, query.Request{Filter: query.Group{Conditions: []query.Condition{{Field: "cf.source", Op: query.Is, Value: "Inbound"}}}})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != in.ID {
			t.Errorf("filter on a deal custom field = %+v, %v", page.Rows, err)
		}
	})
}

func TestDealTransferOwner(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		_, leaving := fixture.User(t, d, "member")
		_, taking := fixture.User(t, d, "member")
		dl, err := e.deals.Create(e.ctx, deal.Input{Name: p("Handed over"), OwnerID: &leaving.ID})
		if err != nil {
			t.Fatal(err)
		}
		e.users.OnTransfer("deals", e.deals.TransferOwner)
		moved, err := e.users.TransferRecords(e.ctx, leaving.ID, taking.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := e.deals.ByID(e.ctx, dl.ID)
		if got.OwnerID != taking.ID || got.Version != 2 {
			t.Errorf("after transfer (%+v): owner %s version %d", moved, got.OwnerName, got.Version)
		}
	})
}

func TestDealMergeHooks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		keep, _ := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Keep")})
		dup, _ := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Dup")})
		acme, _ := e.companies.Create(e.ctx, company.Input{Name: p("Acme")})
		acme2, _ := e.companies.Create(e.ctx, company.Input{Name: p("Acme 2")})
		both, err := e.deals.Create(e.ctx, deal.Input{Name: p("Both"), ContactIDs: &[]string{keep.ID, dup.ID}, CompanyID: &acme2.ID})
		if err != nil {
			t.Fatal(err)
		}
		only, err := e.deals.Create(e.ctx, deal.Input{Name: p("Dup only"), ContactIDs: &[]string{dup.ID}})
		if err != nil {
			t.Fatal(err)
		}
		err = d.WithTx(e.ctx, func(tx *db.Tx) error {
			if err := e.deals.MergeContacts(e.ctx, tx, keep.ID, []string{dup.ID}); err != nil {
				return err
			}
			return e.deals.MergeCompanies(e.ctx, tx, acme.ID, []string{acme2.ID})
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []struct {
			id   string
			want int
		}{{both.ID, 1}, {only.ID, 1}} {
			got, _ := e.deals.ByID(e.ctx, x.id)
			if len(got.Contacts) != x.want || got.Contacts[0].ID != keep.ID {
				t.Errorf("%s contacts after merge = %+v", got.Name, got.Contacts)
			}
		}
		if got, _ := e.deals.ByID(e.ctx, both.ID); got.CompanyID != acme.ID {
			t.Errorf("company after merge = %s", got.CompanyName)
		}
	})
}
