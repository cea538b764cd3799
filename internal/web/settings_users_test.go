package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

const usersBaseURL = "http://crm.example.com"

// userSite is a server wired like serve wires it for users (invitation
// mail into the outbox, record transfer for contacts and companies, a
// movable clock), with the owner Olga signed in.
type userSite struct {
	*site
	users     *user.Service
	contacts  *contact.Service
	companies *company.Service
	olga      user.User
	ctx       context.Context
	now       time.Time
}

func newUserSite(t *testing.T, d *db.DB) *userSite {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = usersBaseURL
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	us := &userSite{users: user.NewService(d), now: time.Now()}
	us.contacts = contact.NewService(d, us.users)
	us.companies = company.NewService(d, us.users)
	us.users.UseMail(mail.New(d), cfg.BaseURL)
	us.users.SetNow(func() time.Time { return us.now })
	us.users.OnTransfer("contacts", us.contacts.TransferOwner)
	us.users.OnTransfer("companies", us.companies.TransferOwner)
	srv, err := web.New(web.Options{Config: cfg, DB: d, Users: us.users, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contacts: us.contacts, Companies: us.companies, Activities: activity.NewService(d, us.contacts, us.companies),
		Fields: customfield.NewService(d), Views: view.NewService(d), Audit: audit.NewService(d)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	us.site = &site{t: t, db: d, srv: hs, client: newClient()}
	us.post("/setup", owner).expect(t, 303, "/")
	list, err := us.users.List(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("users %v, %v", list, err)
	}
	us.olga, us.ctx = list[0], fixture.As(list[0])
	return us
}

// as creates a user with role and returns a client signed in as them.
func (us *userSite) as(t *testing.T, role, email string) (*site, user.User) {
	t.Helper()
	u, err := us.users.Create(us.ctx, us.olga.ID, user.NewUser{Email: email, Name: "Mo " + role, Role: role, Password: "a long enough secret"})
	if err != nil {
		t.Fatal(err)
	}
	s := us.anonymous()
	s.login(t, email).expect(t, 303, "/")
	return s, u
}

func (us *userSite) anonymous() *site {
	return &site{t: us.t, db: us.db, srv: us.srv, client: newClient()}
}

func (s *site) login(t *testing.T, email string) response {
	t.Helper()
	return s.post("/login", url.Values{"email": {email}, "password": {"a long enough secret"}})
}

var inviteLink = regexp.MustCompile(`value="` + regexp.QuoteMeta(usersBaseURL) + `/invite/([A-Za-z0-9_-]{43})"`)

// invite invites email through the page and returns the link's path.
func (us *userSite) invite(t *testing.T, form url.Values) string {
	t.Helper()
	r := us.post("/settings/users/invite", form)
	r.expect(t, 200, "", "Invitation to "+strings.ToLower(form.Get("email"))+" ready", "The link is shown only now.")
	m := inviteLink.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no invitation link in %.1000s", r.body)
	}
	return "/invite/" + m[1]
}

func (us *userSite) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := us.db.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInvitePagesAcceptAndSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		us := newUserSite(t, d)
		team, err := us.users.CreateTeam(us.ctx, "North", nil)
		if err != nil {
			t.Fatal(err)
		}
		us.get("/settings").expect(t, 200, "", `href="/settings/users"`, `href="/settings/outbox"`)
		us.get("/settings/users").expect(t, 200, "", "You are the only user so far", "No open invitations.",
			`action="/settings/users/invite"`, `<option value="owner">Owner</option>`, "North")

		us.post("/settings/users/invite", url.Values{"email": {"not an email"}, "role": {"member"}}).
			expect(t, 422, "", "Enter an email address like name@example.com.", `value="not an email"`, `id="email-error"`)
		us.post("/settings/users/invite", url.Values{"email": {"olga@example.com"}, "role": {"member"}}).
			expect(t, 422, "", "olga@example.com is already a user.")

		path := us.invite(t, url.Values{"email": {"Nina@Example.com"}, "role": {"manager"}, "teams": {team.ID}})
		list := us.get("/settings/users")
		list.expect(t, 200, "", "nina@example.com", "Manager · North", "invited by Olga Owner", "/resend", "/revoke")
		if strings.Contains(list.body, path) {
			t.Error("the users page shows the link again")
		}
		outbox := us.get("/settings/outbox")
		outbox.expect(t, 200, "", "no mail server set up", "nina@example.com", "Olga Owner invited you to Rapport", "Kept (no mail server)")
		msgID := regexp.MustCompile(`href="/settings/outbox/([0-9a-f-]{36})"`).FindStringSubmatch(outbox.body)
		if msgID == nil {
			t.Fatal("no message link on the outbox page")
		}
		us.get("/settings/outbox/"+msgID[1]).expect(t, 200, "", usersBaseURL+path, "expires on")

		// Nina opens the link, with no account and no session.
		nina := us.anonymous()
		nina.get(path).expect(t, 200, "", "Join Rapport", "Olga Owner invited you", "<strong>Manager</strong>", `value="nina@example.com"`)
		nina.post(path, url.Values{"name": {"Nina New"}, "password": {"short"}}).
			expect(t, 422, "", "Use at least 10 characters.", `value="Nina New"`)
		nina.post(path, url.Values{"name": {"Nina New"}, "password": {"a long enough secret"}}).expect(t, 303, "/")
		nina.get("/").expect(t, 200, "", "Welcome to Rapport, Nina New.")
		nina.get("/settings/users").expect(t, 403, "")
		if n := us.count(t, `SELECT COUNT(*) FROM team_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'nina@example.com' AND m.team_id = $1`, team.ID); n != 1 {
			t.Error("Nina is not in the team she was invited to")
		}

		// The link is single use; a made-up one is not found.
		us.anonymous().get(path).expect(t, 410, "", "This invitation was already used")
		us.anonymous().post(path, url.Values{"name": {"Eve"}, "password": {"a long enough secret"}}).expect(t, 410, "", "already used")
		us.anonymous().get("/invite/"+strings.Repeat("x", 43)).expect(t, 404, "", "Invitation not found")
		us.anonymous().get("/invite/nonsense").expect(t, 404, "", "Invitation not found")
		if n := us.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = 'invite.accept' AND outcome = 'denied'`); n != 4 {
			t.Errorf("%d refused invitation links in the audit log, want 4", n)
		}

		// She signs in like anyone else.
		us.anonymous().login(t, "nina@example.com").expect(t, 303, "/")
		us.get("/settings/users").expect(t, 200, "", "Nina New", "No open invitations.")
	})
}

func TestInviteExpiredAndRevokedPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		us := newUserSite(t, d)
		late := us.invite(t, url.Values{"email": {"late@example.com"}, "role": {"member"}})
		gone := us.invite(t, url.Values{"email": {"gone@example.com"}, "role": {"viewer"}})

		us.now = us.now.Add(user.InviteTTL + time.Second)
		us.anonymous().get(late).expect(t, 410, "", "This invitation has expired", "Ask the person who invited you")
		us.anonymous().post(late, url.Values{"name": {"Late"}, "password": {"a long enough secret"}}).expect(t, 410, "", "expired")
		if n := us.count(t, `SELECT COUNT(*) FROM users WHERE email = 'late@example.com'`); n != 0 {
			t.Error("an expired link made a user")
		}
		if n := us.count(t, `SELECT COUNT(*) FROM audit_log a JOIN invites i ON CAST(i.id AS TEXT) = a.object_id
			WHERE a.action = 'invite.accept' AND a.outcome = 'denied' AND i.email = 'late@example.com'`); n != 2 {
			t.Errorf("%d audit entries for the expired link, want 2", n)
		}
		us.get("/settings/users").expect(t, 200, "", "late@example.com <span class=\"status-pill inactive\">Expired</span>")

		us.now = time.Now()
		var inviteID string
		if err := d.R.QueryRow(`SELECT id FROM invites WHERE email = 'gone@example.com'`).Scan(&inviteID); err != nil {
			t.Fatal(err)
		}
		us.post("/settings/invites/"+inviteID+"/revoke", nil).expect(t, 303, "/settings/users#invites")
		us.get("/settings/users").expect(t, 200, "", "Invitation to gone@example.com withdrawn")
		us.anonymous().get(gone).expect(t, 410, "", "This invitation was withdrawn")

		// A new link replaces an expired invitation.
		us.now = us.now.Add(user.InviteTTL + time.Second)
		if err := d.R.QueryRow(`SELECT id FROM invites WHERE email = 'late@example.com'`).Scan(&inviteID); err != nil {
			t.Fatal(err)
		}
		r := us.post("/settings/invites/"+inviteID+"/resend", nil)
		r.expect(t, 200, "", "Invitation to late@example.com ready")
		fresh := "/invite/" + inviteLink.FindStringSubmatch(r.body)[1]
		us.anonymous().get(fresh).expect(t, 200, "", "Join Rapport")
		us.anonymous().get(late).expect(t, 410, "", "withdrawn")
	})
}

func TestDeactivateSignsOutAndTransfer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		us := newUserSite(t, d)
		member, mo := us.as(t, "member", "mo@example.com")
		moCtx := fixture.As(mo)
		var kept []string
		for _, name := range []string{"Carla", "Carl"} {
			c, err := us.contacts.Create(moCtx, contact.Input{FirstName: fixture.Ptr(name), OwnerID: fixture.Ptr(mo.ID)})
			if err != nil {
				t.Fatal(err)
			}
			kept = append(kept, c.ID)
		}
		if _, err := us.companies.Create(moCtx, company.Input{Name: fixture.Ptr("Mo Ltd"), OwnerID: fixture.Ptr(mo.ID)}); err != nil {
			t.Fatal(err)
		}
		member.get("/contacts").expect(t, 200, "", "Carla")

		us.get("/settings/users").expect(t, 200, "", "Mo member", "mo@example.com", "Member", "Active")
		us.get("/settings/users/"+mo.ID).expect(t, 200, "", "Mo member", `action="/settings/users/`+mo.ID+`/role"`,
			"/settings/users/"+mo.ID+"/deactivate", "/settings/users/"+mo.ID+"/transfer")
		us.post("/settings/users/"+mo.ID+"/role", url.Values{"role": {"god"}}).expect(t, 422, "", "Choose one of the roles.")
		us.post("/settings/users/"+mo.ID+"/role", url.Values{"role": {"viewer"}}).expect(t, 303, "/settings/users/"+mo.ID)
		us.post("/settings/users/"+mo.ID+"/role", url.Values{"role": {"member"}}).expect(t, 303, "/settings/users/"+mo.ID)
		us.get("/settings/users/"+mo.ID).expect(t, 200, "", "Mo member is now Member.")

		us.get("/settings/users/"+mo.ID+"/deactivate").expect(t, 200, "", "Deactivate Mo member?", "signed out at once")
		us.post("/settings/users/"+mo.ID+"/deactivate", nil).expect(t, 303, "/settings/users/"+mo.ID)
		us.get("/settings/users/"+mo.ID).expect(t, 200, "", "is deactivated and signed out everywhere", "Deactivated", "/reactivate")
		// Mo's next request finds Mo signed out, and Mo cannot sign in again.
		member.get("/contacts").expect(t, 303, "/login?next=%2Fcontacts")
		us.anonymous().login(t, "mo@example.com").expect(t, 401, "")
		for _, cid := range kept {
			if c, err := us.contacts.ByID(us.ctx, cid); err != nil || c.OwnerID != mo.ID {
				t.Errorf("contact %s owner %q (%v), want Mo still", cid, c.OwnerID, err)
			}
		}
		// Nobody deactivates themselves.
		us.post("/settings/users/"+us.olga.ID+"/deactivate", nil).expect(t, 409, "", "You cannot deactivate yourself")

		// Hand Mo's records over.
		us.get("/settings/users/"+mo.ID+"/transfer").expect(t, 200, "", "Transfer Mo member’s records", "Olga Owner (olga@example.com)")
		us.post("/settings/users/"+mo.ID+"/transfer", url.Values{"to": {""}}).expect(t, 422, "", "Choose who gets the records.")
		us.post("/settings/users/"+mo.ID+"/transfer", url.Values{"to": {us.olga.ID}}).
			expect(t, 200, "", "Moved to Olga Owner:", "<li>2 contacts</li>", "<li>1 company</li>")
		if n := us.count(t, `SELECT COUNT(*) FROM contacts WHERE owner_id = $1`, us.olga.ID); n != 2 {
			t.Errorf("Olga owns %d contacts, want 2", n)
		}
		if n := us.count(t, `SELECT COUNT(*) FROM events WHERE kind IN ('contact.owner_transferred', 'company.owner_transferred', 'user.records_transferred')`); n != 3 {
			t.Errorf("%d transfer events, want 3", n)
		}
		us.post("/settings/users/"+mo.ID+"/transfer", url.Values{"to": {us.olga.ID}}).expect(t, 200, "", "Mo member owned no records; nothing moved.")

		// Back again.
		us.get("/settings/users/"+mo.ID+"/reactivate").expect(t, 200, "", "Reactivate Mo member?")
		us.post("/settings/users/"+mo.ID+"/reactivate", nil).expect(t, 303, "/settings/users/"+mo.ID)
		us.anonymous().login(t, "mo@example.com").expect(t, 303, "/")
	})
}

func TestUsersPagesRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		us := newUserSite(t, d)
		_, victim := us.as(t, "member", "victim@example.com")
		for _, role := range []string{"manager", "member", "viewer"} {
			s, _ := us.as(t, role, role+"@example.com")
			s.get("/settings").expect(t, 200, "")
			if b := s.get("/settings").body; strings.Contains(b, `href="/settings/users"`) || strings.Contains(b, `href="/settings/outbox"`) {
				t.Errorf("%s sees the users or outbox card", role)
			}
			for _, c := range []struct {
				method, path string
				form         url.Values
			}{
				{"GET", "/settings/users", nil},
				{"POST", "/settings/users/invite", url.Values{"email": {"sneaky@example.com"}, "role": {"admin"}}},
				{"GET", "/settings/users/" + victim.ID, nil},
				{"POST", "/settings/users/" + victim.ID + "/role", url.Values{"role": {"admin"}}},
				{"GET", "/settings/users/" + victim.ID + "/deactivate", nil},
				{"POST", "/settings/users/" + victim.ID + "/deactivate", nil},
				{"POST", "/settings/users/" + victim.ID + "/reactivate", nil},
				{"GET", "/settings/users/" + victim.ID + "/transfer", nil},
				{"POST", "/settings/users/" + victim.ID + "/transfer", url.Values{"to": {us.olga.ID}}},
				{"GET", "/settings/outbox", nil},
			} {
				r := s.do(s.client, c.method, c.path, c.form, nil)
				if r.status != 403 {
					t.Errorf("%s %s %s: status %d, want 403", role, c.method, c.path, r.status)
				}
			}
		}
		if n := us.count(t, `SELECT COUNT(*) FROM invites`); n != 0 {
			t.Errorf("%d invitations, want none", n)
		}
		if u, _ := us.users.ByID(us.ctx, victim.ID); !u.DisabledAt.IsZero() || u.Role != "member" {
			t.Errorf("the victim changed: %+v", u)
		}
		// An admin manages users but not owners.
		admin, _ := us.as(t, "admin", "admin@example.com")
		admin.get("/settings/users").expect(t, 200, "", "Invite someone")
		if strings.Contains(admin.get("/settings/users").body, `<option value="owner">`) {
			t.Error("an admin is offered the owner role")
		}
		admin.get("/settings/users/"+us.olga.ID).expect(t, 200, "", "Only an owner changes, deactivates or reactivates an owner.")
		admin.post("/settings/users/"+us.olga.ID+"/deactivate", nil).expect(t, 403, "")
		admin.post("/settings/users/invite", url.Values{"email": {"boss@example.com"}, "role": {"owner"}}).expect(t, 403, "")
		admin.get("/settings/outbox").expect(t, 200, "", "No email yet")
		if u, _ := us.users.ByID(us.ctx, us.olga.ID); !u.DisabledAt.IsZero() {
			t.Error("the admin deactivated the owner")
		}
	})
}
