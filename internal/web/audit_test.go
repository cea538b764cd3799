package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// entries counts audit entries with action (and outcome, when given).
func entries(t *testing.T, d *db.DB, action, outcome string) int {
	t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM audit_log WHERE action = $1`
	args := []any{action}
	if outcome != "" {
		q += ` AND outcome = $2`
		args = append(args, outcome)
	}
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAuditLogPage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		c, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Audited"), LastName: fixture.Ptr("Person")})
		if err != nil {
			t.Fatal(err)
		}
		rs.get("/settings").expect(t, 200, "", `href="/settings/audit"`)
		rs.get("/settings/audit").expect(t, 200, "", "Audit log", "contact.created", `href="/contacts/`+c.ID+`"`, "Export CSV")
		rs.get("/settings/audit?action=contact.&from=2001-01-01").expect(t, 200, "", "contact.created")
		rs.get("/settings/audit?action=nothing.here").expect(t, 200, "", "No entries match these filters.")
		rs.get("/settings/audit?from=yesterday").expect(t, 422, "", "Enter a date like")

		csv := rs.get("/settings/audit.csv?action=contact.")
		csv.expect(t, 200, "", "id,time,actor_id,actor,action", "contact.created")
		if entries(t, d, "audit.exported", "ok") != 1 {
			t.Error("the CSV export is not in the audit log")
		}

		// Nothing changes the log: any write to it is refused and recorded.
		for _, m := range []string{"POST", "PUT", "DELETE"} {
			for _, path := range []string{"/settings/audit", "/settings/audit/" + c.ID} {
				rs.do(rs.client, m, path, url.Values{}, nil).expect(t, 405, "", "append-only")
			}
		}
		rs.do(rs.client, "DELETE", "/api/v1/audit/"+c.ID, nil, nil).expect(t, 405, "", "append-only")
		rs.do(rs.client, "POST", "/api/v1/audit", nil, map[string]string{"Content-Type": "application/json"}).expect(t, 405, "")
		if n := entries(t, d, "audit.change_refused", audit.Denied); n != 8 {
			t.Errorf("refused changes recorded = %d, want 8", n)
		}

		// A member may not read the log, and cannot see a record outside
		// their scope: both refusals are recorded.
		member := rs.signInAs(t, "member")
		member.get("/settings/audit").expect(t, 403, "")
		member.get("/settings/audit.csv").expect(t, 403, "")
		olgas, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Owned"), OwnerID: &rs.olga.ID})
		if err != nil {
			t.Fatal(err)
		}
		member.get("/contacts/"+olgas.ID).expect(t, 404, "")
		member.get("/api/v1/contacts/"+olgas.ID).expect(t, 404, "")
		if n := entries(t, d, "access.denied", audit.Denied); n != 4 {
			t.Errorf("access.denied entries = %d, want 4 (two forbidden pages, one page and one API call out of scope)", n)
		}
		// Sign-ins, good and bad, are there with the address they came from.
		if entries(t, d, "auth.signed_in", audit.OK) < 2 {
			t.Error("the sign-ins are not in the audit log")
		}
		bad := &site{t: t, db: d, srv: rs.srv, client: newClient()}
		bad.post("/login", url.Values{"email": {"member@example.com"}, "password": {"not the password"}}).expect(t, 401, "")
		if entries(t, d, "auth.sign_in_failed", audit.Failed) != 1 {
			t.Error("the failed sign-in is not in the audit log")
		}
		rs.get("/settings/audit?action=auth.").expect(t, 200, "", "auth.signed_in", "auth.sign_in_failed", "127.0.0.1")
		if !strings.Contains(rs.get("/settings/audit?outcome=denied").body, "access.denied") {
			t.Error("the denied attempts are not on the page")
		}
	})
}
