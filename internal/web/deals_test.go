package web_test

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// dealID reads the id of the deal a create redirected to.
func dealID(t *testing.T, loc string) string {
	t.Helper()
	m := regexp.MustCompile(`^/deals/([0-9a-f-]{36})$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("redirect to %q, want a deal page", loc)
	}
	return m[1]
}

// TestDealPages walks the deal pages over HTTP: a form with bad input
// keeps it and names the fields, the board shows the card with column
// totals, a scripted move answers with new totals, a stale move is told
// who moved the card, and the list, record page and contact page show it.
func TestDealPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/deals").expect(t, 200, "", "Lead", "Qualified", "Proposal", "Negotiation", "0 deals")
		s.get("/settings/pipelines").expect(t, 200, "", "Sales", "Lead, 10")

		bad := s.post("/deals", url.Values{"name": {"Big one"}, "amount": {"lots"}, "currency": {"XYZ"},
			"close_date": {"2026-02-30"}, "stage_id": {"00000000-0000-7000-8000-00000000d002"}})
		bad.expect(t, 422, "", "Enter a number, like 1250.00.", "ISO 4217", "YYYY-MM-DD", `value="Big one"`, `value="lots"`)
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM deals`).Scan(&n)
		if n != 0 {
			t.Fatalf("%d deals saved from a bad form", n)
		}

		created := s.post("/deals", url.Values{"name": {"Big one"}, "amount": {"12,500.50"}, "currency": {""},
			"close_date": {"2026-06-30"}, "stage_id": {"00000000-0000-7000-8000-00000000d002"}})
		created.expect(t, 303, "")
		id := dealID(t, created.header.Get("Location"))
		s.get("/deals/"+id).expect(t, 200, "", "Big one", "€12,500.50", "Qualified", "Time in each stage",
			`hx-get="/deals/`+id+`/products"`, "created this deal in Qualified")
		board := s.get("/deals")
		board.expect(t, 200, "", `data-deal-id="`+id+`"`, "1 deal", "€12,500.50")

		// The board's script moves the card and gets the new totals.
		mv := s.do(s.client, "POST", "/deals/"+id+"/move", url.Values{"stage_id": {"00000000-0000-7000-8000-00000000d003"},
			"version": {"1"}, "return": {"/deals?pipeline=" + deal.DefaultPipelineID}}, map[string]string{"Accept": "application/json"})
		mv.expect(t, 200, "")
		var ans struct {
			Version int
			Columns []struct {
				StageID string `json:"stage_id"`
				Count   int
				Total   string
			}
		}
		if err := json.Unmarshal([]byte(mv.body), &ans); err != nil || ans.Version != 2 || len(ans.Columns) != 4 ||
			ans.Columns[1].Count != 0 || ans.Columns[2].Count != 1 || ans.Columns[2].Total != "€12,500.50" {
			t.Errorf("move answer %s (%v)", mv.body, err)
		}
		// A move from version 1 again: someone (us) moved it since.
		stale := s.do(s.client, "POST", "/deals/"+id+"/move", url.Values{"stage_id": {"00000000-0000-7000-8000-00000000d004"},
			"version": {"1"}}, map[string]string{"Accept": "application/json"})
		stale.expect(t, 409, "", "moved to Proposal by Olga Owner")
		s.get("/deals").expect(t, 200, "", "moved to Proposal by Olga Owner")
		// Without script, the card's menu form redirects back to the board.
		s.post("/deals/"+id+"/move", url.Values{"stage_id": {"00000000-0000-7000-8000-00000000d004"}, "version": {"2"},
			"return": {"/deals?pipeline=" + deal.DefaultPipelineID}}).expect(t, 303, "/deals?pipeline="+deal.DefaultPipelineID)

		s.get("/deals?amount_min=20000").expect(t, 200, "", "No deals here that match")
		s.get("/deals?amount_min=abc").expect(t, 422, "", "Enter a number, like 1250.00.")
		s.get("/deals?amount_max=-5").expect(t, 422, "", "Enter an amount of zero or more.")
		s.get("/deals/list").expect(t, 200, "", "Big one", "€12,500.50", "Negotiation")
		s.get("/deals/list?sort=-amount").expect(t, 200, "", "Big one")
		// The list's saved views work for deals as for contacts.
		saved := s.post("/views", url.Values{"object": {"deal"}, "view_name": {"Big deals"}, "sort": {"-amount"},
			"filter": {`{"match":"all","conditions":[{"field":"amount","op":"gt","value":"100000"}]}`}})
		saved.expect(t, 303, "")
		if loc := saved.header.Get("Location"); !strings.HasPrefix(loc, "/deals/list?") {
			t.Fatalf("saved view goes to %q", loc)
		}
		view := s.get(saved.header.Get("Location"))
		view.expect(t, 200, "", "Big deals", "Big one")

		// A column shows its first 50 cards; "show more" brings the rest.
		for i := range 51 {
			s.post("/deals", url.Values{"name": {fmt.Sprintf("Filler %02d", i)}, "amount": {"10"},
				"stage_id": {"00000000-0000-7000-8000-00000000d001"}}).expect(t, 303, "")
		}
		full := s.get("/deals")
		full.expect(t, 200, "", "51 deals", "€510.00", "Filler 49", "Show more")
		if strings.Contains(full.body, "Filler 50") {
			t.Error("the 51st card is on the first page of its column")
		}
		m := regexp.MustCompile(`hx-get="(/deals/more\?[^"]+)"`).FindStringSubmatch(full.body)
		if m == nil {
			t.Fatal("no show-more link")
		}
		more := s.do(s.client, "GET", html.UnescapeString(m[1]), nil, map[string]string{"HX-Request": "true"})
		more.expect(t, 200, "", "Filler 50")
		if n := strings.Count(more.body, "data-deal-id="); n != 1 || strings.Contains(more.body, "Show more") {
			t.Errorf("show more gave %d cards: %s", n, more.body)
		}

		s.post("/deals/"+id+"/lost", url.Values{"reason": {""}}).expect(t, 303, "/deals/"+id)
		s.get("/deals/"+id).expect(t, 200, "", "Say why the deal was lost")
		s.post("/deals/"+id+"/won", url.Values{}).expect(t, 303, "/deals/"+id)
		page := s.get("/deals/" + id)
		page.expect(t, 200, "", "Won", "Reopen", "marked this deal won")
		if strings.Count(page.body, `class="stage-name"`) != 3 {
			t.Errorf("stage history rows = %d, want 3", strings.Count(page.body, `class="stage-name"`))
		}

		// A viewer sees the board but gets nothing to move cards with.
		_, viewer := fixture.User(t, d, "viewer")
		vc := newClient()
		s.do(vc, "POST", "/login", url.Values{"email": {viewer.Email}, "password": {fixture.Password}}, nil).expect(t, 303, "")
		vb := s.do(vc, "GET", "/deals", nil, nil)
		vb.expect(t, 200, "", "Filler 00")
		if strings.Contains(vb.body, "data-can-move") || strings.Contains(vb.body, "data-move-open") || strings.Contains(vb.body, "New deal") {
			t.Error("a viewer's board offers moves or new deals")
		}
		s.do(vc, "POST", "/deals/"+id+"/move", url.Values{"stage_id": {"00000000-0000-7000-8000-00000000d001"}},
			map[string]string{"Accept": "application/json"}).expect(t, 403, "", "does not allow")

		// Settings → Pipelines: a new pipeline from the textarea, a bad line named.
		s.post("/settings/pipelines", url.Values{"name": {"Partners"}, "currency": {"USD"}, "stages": {"Intro, ten"}}).
			expect(t, 422, "", "Line 1: write the probability")
		s.post("/settings/pipelines", url.Values{"name": {"Partners"}, "currency": {"USD"}, "stages": {"Intro, 10\nPilot, 60"}}).
			expect(t, 303, "")
		s.get("/settings/pipelines").expect(t, 200, "", "Partners", "Pilot")
	})
}
