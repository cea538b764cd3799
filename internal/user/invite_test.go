package user_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/user"
)

const baseURL = "https://crm.example.com"

// inviteEnv is an owner, the user service with a movable clock and the
// outbox invitations go to.
type inviteEnv struct {
	d      *db.DB
	ctx    context.Context
	owner  user.User
	users  *user.Service
	outbox *mail.Outbox
	now    time.Time
}

func newInviteEnv(t *testing.T, d *db.DB) *inviteEnv {
	t.Helper()
	ctx, owner := fixture.User(t, d, "owner")
	e := &inviteEnv{d: d, ctx: ctx, owner: owner, users: user.NewService(d), outbox: mail.New(d), now: time.Now()}
	e.users.UseMail(e.outbox, baseURL)
	e.users.SetNow(func() time.Time { return e.now })
	return e
}

// token is the token of an invitation link.
func token(t *testing.T, in user.Invite) string {
	t.Helper()
	tok, ok := strings.CutPrefix(in.Link, baseURL+"/invite/")
	if !ok || tok == "" {
		t.Fatalf("link %q is not under %s/invite/", in.Link, baseURL)
	}
	return tok
}

func (e *inviteEnv) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// denied counts refused attempts of action in the audit log.
func (e *inviteEnv) denied(t *testing.T, action, objectID string) int {
	t.Helper()
	return e.count(t, `SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = 'denied' AND object_id = $2`, action, objectID)
}

func TestInviteAcceptSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		team, err := e.users.CreateTeam(e.ctx, "North", nil)
		if err != nil {
			t.Fatal(err)
		}
		in, err := e.users.Invite(e.ctx, " New@Example.com ", user.RoleManager, []string{team.ID, team.ID})
		if err != nil {
			t.Fatal(err)
		}
		if in.Email != "new@example.com" || in.Role != user.RoleManager || in.Status != user.InvitePending ||
			len(in.TeamIDs) != 1 || !in.ExpiresAt.Equal(in.CreatedAt.Add(user.InviteTTL)) {
			t.Errorf("invitation %+v", in)
		}
		tok := token(t, in)
		if len(tok) != 43 {
			t.Errorf("token %q has %d characters, want 43 (32 random bytes)", tok, len(tok))
		}
		if n := e.count(t, `SELECT COUNT(*) FROM invites WHERE token_hash LIKE '%'||$1||'%'`, tok); n != 0 {
			t.Error("the token is stored in the clear")
		}
		msg, err := e.outbox.ByID(e.ctx, in.MailID)
		if err != nil {
			t.Fatal(err)
		}
		if msg.To != "new@example.com" || msg.Status != mail.Kept || !strings.Contains(msg.Text, in.Link) ||
			!strings.Contains(msg.Subject, e.owner.Name) || !strings.Contains(msg.Text, "Manager") {
			t.Errorf("invitation email %+v", msg)
		}
		open, err := e.users.Invites(e.ctx)
		if err != nil || len(open) != 1 || open[0].ID != in.ID || open[0].Link != "" || open[0].CreatedByName != e.owner.Name {
			t.Errorf("open invitations %+v, %v", open, err)
		}

		got, err := e.users.InviteByToken(context.Background(), tok)
		if err != nil || got.ID != in.ID {
			t.Fatalf("InviteByToken = %+v, %v", got, err)
		}
		_, err = e.users.Accept(context.Background(), tok, "", "short")
		if v := apperr.AsValidation(err); v == nil || v.For("name") == "" || v.For("password") == "" {
			t.Fatalf("Accept without name, short password = %v; want messages for both", err)
		}
		u, err := e.users.Accept(context.Background(), tok, "Nina New", "a long enough secret")
		if err != nil {
			t.Fatal(err)
		}
		if u.Email != "new@example.com" || u.Role != user.RoleManager || u.Access.Name != user.RoleManager || u.Name != "Nina New" {
			t.Errorf("new user %+v", u)
		}
		if signed, err := e.users.Authenticate(context.Background(), "new@example.com", "a long enough secret"); err != nil || signed.ID != u.ID {
			t.Errorf("sign-in after accepting: %+v, %v", signed, err)
		}
		if teams, err := e.users.TeamsOf(e.ctx, u.ID); err != nil || len(teams) != 1 || teams[0].ID != team.ID {
			t.Errorf("teams of the new user %+v, %v", teams, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM users WHERE id = $1 AND created_by = $2`, u.ID, e.owner.ID); n != 1 {
			t.Error("the new user is not recorded as created by the inviter")
		}
		msg, _ = e.outbox.ByID(e.ctx, in.MailID)
		if strings.Contains(msg.Text, tok) {
			t.Error("the outbox keeps a used link")
		}
		if open, _ := e.users.Invites(e.ctx); len(open) != 0 {
			t.Errorf("open invitations after accepting: %+v", open)
		}
		inviteEvents, _ := event.ListForSubject(e.ctx, d.R, "invite", in.ID, 5)
		if len(inviteEvents) != 2 || inviteEvents[0].Kind != "invite.accepted" || inviteEvents[1].Kind != "invite.sent" ||
			inviteEvents[1].ActorID != e.owner.ID || inviteEvents[0].ActorID != u.ID {
			t.Errorf("invitation events %+v", inviteEvents)
		}
		if strings.Contains(string(inviteEvents[1].Data), tok) {
			t.Error("the invite.sent event holds the token")
		}
		userEvents, _ := event.ListForSubject(e.ctx, d.R, "user", u.ID, 5)
		if len(userEvents) != 1 || userEvents[0].Kind != "user.created" {
			t.Errorf("user events %+v", userEvents)
		}

		// The link is single use.
		if _, err := e.users.Accept(context.Background(), tok, "Nina Again", "a long enough secret"); !errors.Is(err, user.ErrInviteUsed) {
			t.Errorf("second Accept = %v, want ErrInviteUsed", err)
		}
		if _, err := e.users.InviteByToken(context.Background(), tok); !errors.Is(err, user.ErrInviteUsed) {
			t.Errorf("InviteByToken after use = %v, want ErrInviteUsed", err)
		}
		if n := e.denied(t, "invite.accept", in.ID); n != 2 {
			t.Errorf("%d refused uses of the link in the audit log, want 2", n)
		}
		if n, _ := e.users.Count(e.ctx); n != 2 {
			t.Errorf("%d users, want 2", n)
		}
	})
}

func TestInviteExpires(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		in, err := e.users.Invite(e.ctx, "late@example.com", user.RoleMember, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(user.InviteTTL - time.Minute)
		if _, err := e.users.InviteByToken(context.Background(), token(t, in)); err != nil {
			t.Fatalf("a minute before expiry: %v", err)
		}
		e.now = e.now.Add(time.Minute)
		if _, err := e.users.InviteByToken(context.Background(), token(t, in)); !errors.Is(err, user.ErrInviteExpired) {
			t.Errorf("at expiry: %v, want ErrInviteExpired", err)
		}
		if _, err := e.users.Accept(context.Background(), token(t, in), "Late Larry", "a long enough secret"); !errors.Is(err, user.ErrInviteExpired) {
			t.Errorf("Accept after expiry: %v, want ErrInviteExpired", err)
		}
		if n := e.denied(t, "invite.accept", in.ID); n != 2 {
			t.Errorf("%d refused uses in the audit log, want 2", n)
		}
		if n, _ := e.users.Count(e.ctx); n != 1 {
			t.Errorf("%d users after an expired acceptance, want 1", n)
		}
		open, _ := e.users.Invites(e.ctx)
		if len(open) != 1 || open[0].Status != user.InviteExpired {
			t.Errorf("open invitations %+v, want the one, expired", open)
		}
		// A new invitation replaces the expired one and works.
		again, err := e.users.Invite(e.ctx, "late@example.com", user.RoleMember, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Accept(context.Background(), token(t, again), "Late Larry", "a long enough secret"); err != nil {
			t.Errorf("Accept of the new invitation: %v", err)
		}
	})
}

func TestInviteRevokedAndReplaced(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		first, err := e.users.Invite(e.ctx, "ann@example.com", user.RoleMember, nil)
		if err != nil {
			t.Fatal(err)
		}
		second, err := e.users.Invite(e.ctx, "ann@example.com", user.RoleViewer, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Accept(context.Background(), token(t, first), "Ann", "a long enough secret"); !errors.Is(err, user.ErrInviteRevoked) {
			t.Errorf("Accept of a replaced invitation = %v, want ErrInviteRevoked", err)
		}
		if open, _ := e.users.Invites(e.ctx); len(open) != 1 || open[0].ID != second.ID {
			t.Errorf("open invitations %+v, want only the second", open)
		}
		if err := e.users.Revoke(e.ctx, second.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.users.Revoke(e.ctx, second.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		if _, err := e.users.Accept(context.Background(), token(t, second), "Ann", "a long enough secret"); !errors.Is(err, user.ErrInviteRevoked) {
			t.Errorf("Accept of a revoked invitation = %v, want ErrInviteRevoked", err)
		}
		if n := e.denied(t, "invite.accept", second.ID); n != 1 {
			t.Errorf("%d refused uses in the audit log, want 1", n)
		}
		msg, _ := e.outbox.ByID(e.ctx, second.MailID)
		if strings.Contains(msg.Text, token(t, second)) {
			t.Error("the outbox keeps a withdrawn link")
		}
		evs, _ := event.ListForSubject(e.ctx, d.R, "invite", second.ID, 5)
		if len(evs) != 2 || evs[0].Kind != "invite.revoked" {
			t.Errorf("events %+v, want invite.revoked last", evs)
		}
		if open, _ := e.users.Invites(e.ctx); len(open) != 0 {
			t.Errorf("open invitations %+v, want none", open)
		}
	})
}

func TestInviteUnknownToken(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		for _, tok := range []string{"", "short", strings.Repeat("A", 43), strings.Repeat("!", 43)} {
			_, err := e.users.Accept(context.Background(), tok, "Eve", "a long enough secret")
			if !errors.Is(err, user.ErrInviteUnknown) || !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("Accept(%q) = %v, want ErrInviteUnknown (not found)", tok, err)
			}
		}
		if n := e.denied(t, "invite.accept", ""); n != 4 {
			t.Errorf("%d refused unknown links in the audit log, want 4", n)
		}
	})
}

func TestInviteValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		cases := []struct {
			name, email, role string
			teams             []string
			field             string
		}{
			{"no email", "", "member", nil, "email"},
			{"bad email", "not-an-email", "member", nil, "email"},
			{"already a user", strings.ToUpper(e.owner.Email), "member", nil, "email"},
			{"unknown role", "a@example.com", "god", nil, "role"},
			{"unknown team", "a@example.com", "member", []string{"0190aaaa-0000-7000-8000-000000000000"}, "teams"},
			{"bad team", "a@example.com", "member", []string{"x"}, "teams"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.users.Invite(e.ctx, c.email, c.role, c.teams)
				if v := apperr.AsValidation(err); v == nil || v.For(c.field) == "" {
					t.Errorf("Invite = %v, want a message for %s", err, c.field)
				}
			})
		}
		if n := e.count(t, `SELECT COUNT(*) FROM invites`); n != 0 {
			t.Errorf("%d invitations after invalid input, want 0", n)
		}
		// Only owners invite owners.
		adminCtx, _ := fixture.User(t, d, "admin")
		if _, err := e.users.Invite(adminCtx, "boss@example.com", user.RoleOwner, nil); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin invites an owner: %v, want forbidden", err)
		}
		if n := e.denied(t, "invite.send", ""); n != 1 {
			t.Errorf("%d refused invitations in the audit log, want 1", n)
		}
		in, err := e.users.Invite(e.ctx, "boss@example.com", user.RoleOwner, nil)
		if err != nil {
			t.Fatalf("owner invites an owner: %v", err)
		}
		if err := e.users.Revoke(adminCtx, in.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin withdraws an owner's invitation: %v, want forbidden", err)
		}
		if _, err := e.users.Invite(adminCtx, "second.admin@example.com", user.RoleAdmin, nil); err != nil {
			t.Errorf("admin invites an admin: %v", err)
		}
	})
}

// TestLifecyclePermissions runs every role below admin against every
// lifecycle action: all are refused with 403 and recorded.
func TestLifecyclePermissions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		_, target := fixture.User(t, d, "member")
		in, err := e.users.Invite(e.ctx, "pending@example.com", user.RoleMember, nil)
		if err != nil {
			t.Fatal(err)
		}
		actions := []struct {
			name, audit, object string
			do                  func(ctx context.Context) error
		}{
			{"invite", "invite.send", "", func(ctx context.Context) error {
				_, err := e.users.Invite(ctx, "x@example.com", user.RoleMember, nil)
				return err
			}},
			{"revoke", "invite.revoke", in.ID, func(ctx context.Context) error { return e.users.Revoke(ctx, in.ID) }},
			{"deactivate", "user.deactivate", target.ID, func(ctx context.Context) error {
				_, err := e.users.Deactivate(ctx, target.ID)
				return err
			}},
			{"reactivate", "user.reactivate", target.ID, func(ctx context.Context) error {
				_, err := e.users.Reactivate(ctx, target.ID)
				return err
			}},
			{"transfer", "user.transfer_records", target.ID, func(ctx context.Context) error {
				_, err := e.users.TransferRecords(ctx, target.ID, e.owner.ID)
				return err
			}},
		}
		for _, role := range []string{user.RoleManager, user.RoleMember, user.RoleViewer} {
			ctx, _ := fixture.User(t, d, role)
			for _, a := range actions {
				t.Run(role+"/"+a.name, func(t *testing.T) {
					before := e.denied(t, a.audit, a.object)
					err := a.do(ctx)
					if !errors.Is(err, apperr.ErrForbidden) {
						t.Errorf("%s %s: %v, want forbidden", role, a.name, err)
					}
					if n := e.denied(t, a.audit, a.object); n != before+1 {
						t.Errorf("refusal not in the audit log (%d entries, want %d)", n, before+1)
					}
				})
			}
			if _, err := e.users.Invites(ctx); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s lists invitations: %v, want forbidden", role, err)
			}
		}
		// Nothing changed.
		if u, _ := e.users.ByID(e.ctx, target.ID); !u.DisabledAt.IsZero() {
			t.Error("the member was deactivated")
		}
		if open, _ := e.users.Invites(e.ctx); len(open) != 1 {
			t.Errorf("%d open invitations, want 1", len(open))
		}
		// Nobody is an actor without a context.
		if _, err := e.users.Invite(context.Background(), "y@example.com", user.RoleMember, nil); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("Invite with no actor: %v, want forbidden", err)
		}
		if _, err := e.users.Invite(access.WithActor(context.Background(), access.SystemActor), "y@example.com", user.RoleOwner, nil); err != nil {
			t.Errorf("Rapport itself invites an owner: %v", err)
		}
	})
}
