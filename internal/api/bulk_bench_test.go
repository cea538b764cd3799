package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// BenchmarkBulkContacts1000 times one bulk call creating 1,000 contacts
// (distinct emails, one tag each) through the HTTP door, on both engines.
func BenchmarkBulkContacts1000(b *testing.B) {
	for _, engine := range dbtest.Engines() {
		b.Run(string(engine), func(b *testing.B) { benchBulk(b, dbtest.Open(b, engine)) })
	}
}

func benchBulk(b *testing.B, d *db.DB) {
	{
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		a := New(Options{DB: d, Contacts: contacts, Companies: company.NewService(d, users)})
		_, owner := fixture.User(b, d, "owner")
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a.ServeHTTP(w, r.WithContext(access.WithActor(r.Context(), owner.Actor())))
		}))
		defer srv.Close()
		for i := 0; b.Loop(); i++ {
			items := bulkItems(1000, fmt.Sprintf("bench%d", i))
			for _, it := range items {
				it.(map[string]any)["data"].(map[string]any)["tags"] = []string{"bench"}
			}
			body, _ := json.Marshal(map[string]any{"items": items})
			req, _ := http.NewRequest("POST", srv.URL+"/api/v1/contacts/batch", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var out ContactBulkOutput
			json.NewDecoder(res.Body).Decode(&out)
			res.Body.Close()
			if res.StatusCode != 200 || out.Created != 1000 {
				b.Fatalf("status %d, created %d", res.StatusCode, out.Created)
			}
		}
	}
}
