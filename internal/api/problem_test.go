package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// TestProblems covers the answers huma gives before a handler runs: each
// must come out as our problem shape with readable messages.
func TestProblems(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.owned()
		send := func(contentType, body string) result {
			req := o.request(t, "POST", "/api/v1/contacts", []byte(body))
			req.Header.Set("Content-Type", contentType)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			r := result{status: res.StatusCode, header: res.Header, body: b}
			checkExchange(t, o.request(t, "POST", "/api/v1/contacts", []byte(body)), r)
			return r
		}
		t.Run("not JSON", func(t *testing.T) {
			r := send("text/plain", "first_name=Ada").expect(t, http.StatusUnsupportedMediaType)
			if p := r.problem(t); !strings.Contains(p.Detail, "application/json") {
				t.Errorf("detail %q", p.Detail)
			}
		})
		t.Run("too large", func(t *testing.T) {
			send("application/json", `{"first_name": "`+strings.Repeat("a", maxBody)+`"}`).expect(t, http.StatusRequestEntityTooLarge)
		})
		t.Run("readable messages", func(t *testing.T) {
			r := o.get(t, "/api/v1/contacts?limit=500").expect(t, 422, "limit")
			if msg := r.problem(t).message("limit"); msg != "Use a number of at most 200." {
				t.Errorf("limit message %q", msg)
			}
			r = o.post(t, "/api/v1/custom-fields", map[string]any{"object": "contact", "label": "X"}).expect(t, 422, "type")
			if msg := r.problem(t).message("type"); msg != "This field is required." {
				t.Errorf("required message %q", msg)
			}
			r = o.post(t, "/api/v1/contacts", map[string]any{"first_name": true, "address": map[string]any{"city": 1}}).
				expect(t, 422, "first_name", "address.city")
			if p := r.problem(t); p.Errors[0].Field != "address.city" || p.Errors[1].Message != "Use text (a JSON string) here." {
				t.Errorf("errors %+v, want address.city then first_name, in words", p.Errors)
			}
		})
	})
}

func TestFail(t *testing.T) {
	a := New(Options{})
	conflict := &apperr.Validation{Conflict: true}
	conflict.Add("domain", "Another company already has this domain.")
	invalid := &apperr.Validation{}
	invalid.Add("emails[0]", "Not an email.")
	invalid.Add("custom.plan", "Choose one of: free, pro.")
	cases := []struct {
		err    error
		status int
		typ    string
		fields int
	}{
		{fmt.Errorf("contact: create: %w", invalid), 422, TypeValidation, 2},
		{fmt.Errorf("company: update: %w", conflict), 409, TypeConflict, 1},
		{fmt.Errorf("contact x: %w", apperr.ErrNotFound), 404, "about:blank", 0},
		{fmt.Errorf("access: viewer may not create contacts: %w", apperr.ErrForbidden), 403, "about:blank", 0},
		{apperr.ErrConflict, 409, "about:blank", 0},
		{errors.New("database is locked"), 500, "about:blank", 0},
	}
	for _, c := range cases {
		var p *Problem
		if !errors.As(a.fail(t.Context(), c.err), &p) {
			t.Fatalf("%v: not a problem", c.err)
		}
		if p.Status != c.status || p.Type != c.typ || len(p.Errors) != c.fields || p.Title != http.StatusText(c.status) {
			t.Errorf("%v: got %+v, want %d %s with %d fields", c.err, p, c.status, c.typ, c.fields)
		}
		if strings.Contains(p.Detail, "locked") {
			t.Errorf("the 500 shows the internal error: %q", p.Detail)
		}
	}
}
