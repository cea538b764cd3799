package api

import (
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/id"
)

func (e *env) pipeline(t *testing.T, body map[string]any) Pipeline {
	t.Helper()
	var p Pipeline
	e.owned().post(t, "/api/v1/pipelines", body).expect(t, 201).decode(t, &p)
	return p
}

func (e *env) deal(t *testing.T, body map[string]any) Deal {
	t.Helper()
	var d Deal
	e.owned().post(t, "/api/v1/deals", body).expect(t, 201).decode(t, &d)
	return d
}

func countRows(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPipelinesAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member := e.owned(), e.user("member")
		p := "/api/v1/pipelines/"
		pl := e.pipeline(t, map[string]any{"name": "Partners", "currency": "USD", "stages": []map[string]any{
			{"name": "Intro", "probability": 10}, {"name": "Pilot", "probability": 50}, {"name": "Contract", "probability": 90}}})
		run(t, []scenario{
			{name: "list has the default and the new one", c: member, method: "GET", path: "/api/v1/pipelines", status: 200,
				check: func(t *testing.T, r result) {
					var l PipelineList
					if r.decode(t, &l); len(l.Data) != 2 || l.Data[0].Name != "Sales" || len(l.Data[1].Stages) != 3 ||
						l.Data[1].Stages[1].Probability != 50 {
						t.Errorf("pipelines = %+v", l.Data)
					}
				}},
			{name: "probability out of range", c: o, method: "POST", path: "/api/v1/pipelines", status: 422,
				fields: []string{"stages[0].probability", "currency"},
				body:   map[string]any{"name": "Bad", "currency": "EURO", "stages": []map[string]any{{"name": "S", "probability": 120}}}},
			{name: "reorder", c: o, method: "PUT", path: p + pl.ID + "/stages/order", status: 200,
				body: map[string]any{"stage_ids": []string{pl.Stages[2].ID, pl.Stages[1].ID, pl.Stages[0].ID}}, fields: nil,
				check: nil},
			{name: "reorder must list every stage", c: o, method: "PUT", path: p + pl.ID + "/stages/order", status: 422,
				fields: []string{"stage_ids"}, body: map[string]any{"stage_ids": []string{pl.Stages[0].ID}}},
			{name: "add stage", c: o, method: "POST", path: p + pl.ID + "/stages", status: 201,
				body: map[string]any{"name": "Signed", "probability": 100}, check: func(t *testing.T, r result) {
					var s PipelineStage
					if r.decode(t, &s); s.Position != 3 || s.Name != "Signed" {
						t.Errorf("stage = %+v", s)
					}
				}},
			{name: "rename stage", c: o, method: "PATCH", path: p + pl.ID + "/stages/" + pl.Stages[0].ID, status: 200,
				body: map[string]any{"name": "First call"}},
			{name: "stage of another pipeline", c: o, method: "PATCH", path: p + deal.DefaultPipelineID + "/stages/" + pl.Stages[0].ID,
				status: 404, body: map[string]any{"name": "X"}},
			{name: "member may not change pipelines", c: member, method: "PATCH", path: p + pl.ID, status: 403,
				body: map[string]any{"name": "Mine"}},
			{name: "board", c: member, method: "GET", path: p + deal.DefaultPipelineID + "/board", status: 200,
				check: func(t *testing.T, r result) {
					var b Board
					if r.decode(t, &b); len(b.Columns) != 4 || b.Columns[0].Stage.Name != "Lead" {
						t.Errorf("board = %+v", b)
					}
				}},
			{name: "board bad date", c: member, method: "GET", path: p + deal.DefaultPipelineID + "/board?close_from=tomorrow",
				status: 422, fields: []string{"close_from"}},
		})
	})
}

func TestDealsAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, viewer := e.owned(), e.user("viewer")
		col, p := "/api/v1/deals", "/api/v1/deals/"
		other := e.pipeline(t, map[string]any{"name": "Other", "stages": []map[string]any{{"name": "X"}}})
		var sales Pipeline
		o.get(t, "/api/v1/pipelines/"+deal.DefaultPipelineID).expect(t, 200).decode(t, &sales)
		ada := e.contact(t, map[string]any{"first_name": "Ada"})
		acme := e.company(t, map[string]any{"name": "Acme"})
		base := e.deal(t, map[string]any{"name": "Base", "amount": 5000})
		stale := e.deal(t, map[string]any{"name": "Contested"})
		// Someone moves "Contested" after its version 1 was read.
		o.post(t, p+stale.ID+"/move", map[string]any{"stage_id": sales.Stages[2].ID, "version": 1}).expect(t, 200)
		before := countRows(t, d, "deals")

		bad := func(name string, body map[string]any, fields ...string) scenario {
			return scenario{name: name, c: o, method: "POST", path: col, status: 422, fields: fields, body: body}
		}
		run(t, []scenario{
			{name: "create", c: o, method: "POST", path: col, status: 201, body: map[string]any{"name": "Acme expansion",
				"amount": 1250000, "currency": "usd", "close_date": "2026-09-30", "stage_id": sales.Stages[1].ID,
				"company_id": acme.ID, "contact_ids": []string{ada.ID}, "owner_id": e.owner.ID},
				check: func(t *testing.T, r result) {
					var dl Deal
					r.decode(t, &dl)
					if r.header.Get("Location") != p+dl.ID || dl.Currency != "USD" || dl.StageName != "Qualified" ||
						dl.Probability != 25 || dl.CompanyName != "Acme" || len(dl.Contacts) != 1 || dl.Version != 1 {
						t.Errorf("created %+v", dl)
					}
				}},
			bad("negative amount", map[string]any{"name": "X", "amount": -5}, "amount"),
			bad("non-numeric amount", map[string]any{"name": "X", "amount": "lots"}, "amount"),
			bad("unknown currency", map[string]any{"name": "X", "currency": "ABC"}, "currency"),
			bad("stage from another pipeline", map[string]any{"name": "X", "pipeline_id": deal.DefaultPipelineID,
				"stage_id": other.Stages[0].ID}, "stage_id"),
			bad("close date format", map[string]any{"name": "X", "close_date": "30.09.2026"}, "close_date"),
			bad("several at once", map[string]any{"name": "", "amount": -1, "currency": "€"}, "name", "amount", "currency"),
			{name: "nothing half-saved", c: o, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				if n := countRows(t, d, "deals"); n != before+1 {
					t.Errorf("%d deals, want %d (bad input must save nothing)", n, before+1)
				}
			}},
			{name: "list filtered and sorted", c: viewer, method: "GET", path: col + "?status=open&sort=-amount", status: 200,
				check: func(t *testing.T, r result) {
					var page DealPage
					if r.decode(t, &page); len(page.Data) != 3 || page.Data[0].Name != "Acme expansion" || page.Sort != "-amount" {
						t.Errorf("list = %+v", page)
					}
				}},
			{name: "list pages with a cursor", c: viewer, method: "GET", path: col + "?limit=2&sort=name", status: 200,
				check: func(t *testing.T, r result) {
					var page DealPage
					if r.decode(t, &page); len(page.Data) != 2 || page.NextCursor == "" {
						t.Fatalf("page 1 = %+v", page)
					}
					var next DealPage
					viewer.get(t, col+"?limit=2&sort=name&cursor="+page.NextCursor).expect(t, 200).decode(t, &next)
					if len(next.Data) != 1 || next.Data[0].Name != "Contested" {
						t.Errorf("page 2 = %+v", next)
					}
				}},
			{name: "patch", c: o, method: "PATCH", path: p + base.ID, status: 200, body: map[string]any{"amount": 7000, "version": 1},
				check: func(t *testing.T, r result) {
					var dl Deal
					if r.decode(t, &dl); dl.Amount != 7000 || dl.Version != 2 || dl.Name != "Base" {
						t.Errorf("patched %+v", dl)
					}
				}},
			{name: "stale patch", c: o, method: "PATCH", path: p + base.ID, status: 409, body: map[string]any{"amount": 1, "version": 1},
				check: func(t *testing.T, r result) {
					if pr := r.problem(t); !strings.Contains(pr.Detail, "changed by") {
						t.Errorf("detail = %q", pr.Detail)
					}
				}},
			{name: "patch to a stage of another pipeline", c: o, method: "PATCH", path: p + base.ID, status: 422,
				fields: []string{"stage_id"}, body: map[string]any{"stage_id": other.Stages[0].ID}},
			{name: "stale move after someone moved it", c: o, method: "POST", path: p + stale.ID + "/move", status: 409,
				body: map[string]any{"stage_id": sales.Stages[3].ID, "version": 1}, check: func(t *testing.T, r result) {
					if pr := r.problem(t); !strings.Contains(pr.Detail, "moved to Proposal by "+e.owner.Name) {
						t.Errorf("detail = %q", pr.Detail)
					}
				}},
			{name: "move after someone edited it", c: o, method: "POST", path: p + base.ID + "/move", status: 200,
				body: map[string]any{"stage_id": sales.Stages[1].ID, "version": 1}, check: func(t *testing.T, r result) {
					var dl Deal
					if r.decode(t, &dl); dl.Amount != 7000 || dl.StageName != "Qualified" {
						t.Errorf("moved %+v", dl)
					}
				}},
			{name: "lost needs a reason", c: o, method: "POST", path: p + base.ID + "/lost", status: 422, fields: []string{"reason"},
				body: map[string]any{}},
			{name: "won", c: o, method: "POST", path: p + base.ID + "/won", status: 200, body: map[string]any{},
				check: func(t *testing.T, r result) {
					var dl Deal
					if r.decode(t, &dl); dl.Status != "won" || dl.ClosedAt.IsZero() {
						t.Errorf("won %+v", dl)
					}
				}},
			{name: "history", c: viewer, method: "GET", path: p + base.ID + "/history", status: 200, check: func(t *testing.T, r result) {
				var h DealHistory
				if r.decode(t, &h); len(h.Data) != 2 || h.Data[0].StageName != "Lead" || h.Data[1].LeftAt.IsZero() {
					t.Errorf("history %+v", h)
				}
			}},
			{name: "lost with reason", c: o, method: "POST", path: p + stale.ID + "/lost", status: 200,
				body: map[string]any{"reason": "Went with a competitor"}},
			{name: "viewer may not create", c: viewer, method: "POST", path: col, status: 403, body: map[string]any{"name": "V"}},
			{name: "get missing", c: o, method: "GET", path: p + id.New(), status: 404},
			{name: "delete", c: o, method: "DELETE", path: p + stale.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + stale.ID, status: 404},
		})
	})
}
