package api

import (
	"fmt"
	"net/url"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func TestPagination(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		const n = 120
		ids := map[string]bool{}
		for i := range n {
			// Seven names only, so the name sort has long runs of ties.
			c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("Person %d", i%7)),
				LastName: fixture.Ptr(fmt.Sprint(i))})
			if err != nil {
				t.Fatal(err)
			}
			ids[c.ID] = true
		}
		o := e.owned()
		for _, sort := range []string{"", "name", "-created_at"} {
			t.Run("sort="+sort, func(t *testing.T) {
				base := "/api/v1/contacts?" + url.Values{"limit": {"50"}, "sort": {sort}}.Encode()
				var seen []string
				var pages []ContactPage
				path := base
				for path != "" {
					if len(pages) > 3 {
						t.Fatal("more pages than 120 rows need")
					}
					var page ContactPage
					o.get(t, path).expect(t, 200).decode(t, &page)
					pages = append(pages, page)
					for _, r := range page.Data {
						seen = append(seen, r.ID)
					}
					path = ""
					if page.NextCursor != "" {
						path = base + "&cursor=" + url.QueryEscape(page.NextCursor)
					}
				}
				if len(pages) != 3 || len(pages[0].Data) != 50 || len(pages[2].Data) != 20 {
					t.Errorf("%d pages (%d, ..., %d rows), want 50+50+20", len(pages), len(pages[0].Data), len(pages[len(pages)-1].Data))
				}
				if pages[0].PrevCursor != "" {
					t.Error("the first page has a prev_cursor")
				}
				checkOnce(t, seen, ids)

				// And back from the last page with prev_cursor: the same pages.
				page := pages[len(pages)-1]
				for i := len(pages) - 2; i >= 0; i-- {
					if page.PrevCursor == "" {
						t.Fatalf("page %d has no prev_cursor", i+2)
					}
					o.get(t, base+"&cursor="+url.QueryEscape(page.PrevCursor)).expect(t, 200).decode(t, &page)
					if !slices.EqualFunc(page.Data, pages[i].Data, func(a, b ContactRow) bool { return a.ID == b.ID }) {
						t.Errorf("going back, page %d differs from going forward", i+1)
					}
				}
			})
		}
		t.Run("a cursor belongs to its sort", func(t *testing.T) {
			var page ContactPage
			o.get(t, "/api/v1/contacts?limit=50&sort=name").expect(t, 200).decode(t, &page)
			o.get(t, "/api/v1/contacts?limit=50&sort=-name&cursor="+url.QueryEscape(page.NextCursor)).expect(t, 422, "cursor")
		})
	})
}

// checkOnce reports ids seen twice and ids of want never seen.
func checkOnce(t *testing.T, seen []string, want map[string]bool) {
	t.Helper()
	count := map[string]int{}
	for _, id := range seen {
		count[id]++
		if count[id] == 2 {
			t.Errorf("contact %s listed twice", id)
		}
		if !want[id] {
			t.Errorf("contact %s was never created", id)
		}
	}
	for id := range want {
		if count[id] == 0 {
			t.Errorf("contact %s never listed", id)
		}
	}
}
