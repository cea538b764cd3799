package user_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestDeactivateAndReactivate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		contacts := contact.NewService(d, e.users)
		memberCtx, member := fixture.User(t, d, "member")
		c, err := contacts.Create(memberCtx, contact.Input{FirstName: fixture.Ptr("Carl"), LastName: fixture.Ptr("Customer"), OwnerID: fixture.Ptr(member.ID)})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := e.users.StartSession(context.Background(), user.NewSession{UserID: member.ID}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := e.users.Deactivate(e.ctx, member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.DisabledAt.IsZero() {
			t.Error("DisabledAt not set")
		}
		if u, _ := e.users.ByID(e.ctx, member.ID); u.DisabledAt.IsZero() {
			t.Error("the member is still active")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM user_sessions WHERE user_id = $1`, member.ID); n != 0 {
			t.Errorf("%d sessions left, want 0", n)
		}
		if _, err := e.users.Authenticate(context.Background(), member.Email, fixture.Password); !errors.Is(err, user.ErrBadCredentials) {
			t.Errorf("a deactivated user signs in: %v", err)
		}
		if kept, err := contacts.ByID(e.ctx, c.ID); err != nil || kept.OwnerID != member.ID {
			t.Errorf("the contact's owner is %q (%v), want the deactivated member", kept.OwnerID, err)
		}
		evs, _ := event.ListForSubject(e.ctx, d.R, "user", member.ID, 5)
		if len(evs) == 0 || evs[0].Kind != "user.deactivated" || evs[0].ActorID != e.owner.ID {
			t.Errorf("events %+v, want user.deactivated by the owner", evs)
		}
		if _, err := e.users.Deactivate(e.ctx, member.ID); err != nil {
			t.Errorf("deactivating twice: %v", err)
		}

		if _, err := e.users.Reactivate(e.ctx, member.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Authenticate(context.Background(), member.Email, fixture.Password); err != nil {
			t.Errorf("sign-in after reactivation: %v", err)
		}
		evs, _ = event.ListForSubject(e.ctx, d.R, "user", member.ID, 5)
		if evs[0].Kind != "user.reactivated" {
			t.Errorf("last event %s, want user.reactivated", evs[0].Kind)
		}
	})
}

func TestDeactivateGuardsOwners(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		adminCtx, admin := fixture.User(t, d, "admin")

		// Nobody deactivates themselves.
		_, err := e.users.Deactivate(e.ctx, e.owner.ID)
		if v := apperr.AsValidation(err); v == nil || !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("owner deactivates themselves: %v, want a conflict", err)
		}
		if _, err := e.users.Deactivate(adminCtx, admin.ID); apperr.AsValidation(err) == nil {
			t.Errorf("admin deactivates themselves: %v, want a conflict", err)
		}
		// An admin does not deactivate an owner.
		if _, err := e.users.Deactivate(adminCtx, e.owner.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin deactivates the owner: %v, want forbidden", err)
		}
		if n := e.denied(t, "user.deactivate", e.owner.ID); n != 1 {
			t.Errorf("%d refusals in the audit log, want 1", n)
		}
		// The last owner stays, whoever asks.
		system := access.WithActor(context.Background(), access.SystemActor)
		if _, err := e.users.Deactivate(system, e.owner.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("deactivating the last owner: %v, want a conflict", err)
		}
		// With a second owner, an owner deactivates the other, and an
		// admin cannot bring an owner back.
		second, err := e.users.SetRole(e.ctx, admin.ID, user.RoleOwner)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Deactivate(e.ctx, second.ID); err != nil {
			t.Fatalf("owner deactivates another owner: %v", err)
		}
		otherAdminCtx, _ := fixture.User(t, d, "admin")
		if _, err := e.users.Reactivate(otherAdminCtx, second.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("admin reactivates an owner: %v, want forbidden", err)
		}
		if _, err := e.users.Deactivate(system, e.owner.ID); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("deactivating the last active owner: %v, want a conflict", err)
		}
		if _, err := e.users.Deactivate(e.ctx, "nobody"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("unknown user: %v, want not found", err)
		}
	})
}

func TestTransferRecords(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newInviteEnv(t, d)
		contacts := contact.NewService(d, e.users)
		companies := company.NewService(d, e.users)
		e.users.OnTransfer("contacts", contacts.TransferOwner)
		e.users.OnTransfer("companies", companies.TransferOwner)
		memberCtx, leaver := fixture.User(t, d, "member")
		_, heir := fixture.User(t, d, "manager")
		var mine []string
		for i := range 5 {
			c, err := contacts.Create(memberCtx, contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("Person %d", i)), OwnerID: fixture.Ptr(leaver.ID)})
			if err != nil {
				t.Fatal(err)
			}
			mine = append(mine, c.ID)
		}
		if err := contacts.Delete(memberCtx, mine[4]); err != nil {
			t.Fatal(err)
		}
		other, err := contacts.Create(e.ctx, contact.Input{FirstName: fixture.Ptr("Not theirs"), OwnerID: fixture.Ptr(e.owner.ID)})
		if err != nil {
			t.Fatal(err)
		}
		co, err := companies.Create(memberCtx, company.Input{Name: fixture.Ptr("Leaver Ltd"), OwnerID: fixture.Ptr(leaver.ID)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.users.Deactivate(e.ctx, leaver.ID); err != nil {
			t.Fatal(err)
		}

		res, err := e.users.TransferRecords(e.ctx, leaver.ID, heir.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total() != 5 || len(res.Moved) != 2 || res.Moved[0] != (user.Moved{Object: "contacts", Count: 4}) ||
			res.Moved[1] != (user.Moved{Object: "companies", Count: 1}) || res.To.ID != heir.ID {
			t.Errorf("transfer %+v, want 4 contacts and 1 company to the heir", res)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM contacts WHERE owner_id = $1`, leaver.ID); n != 0 {
			t.Errorf("%d contacts (deleted ones too) left with the leaver", n)
		}
		for _, cid := range mine[:4] {
			c, err := contacts.ByID(e.ctx, cid)
			if err != nil || c.OwnerID != heir.ID || c.UpdatedBy != e.owner.ID {
				t.Errorf("contact %s: owner %q, updated by %q (%v)", cid, c.OwnerID, c.UpdatedBy, err)
			}
		}
		if c, _ := contacts.ByID(e.ctx, other.ID); c.OwnerID != e.owner.ID {
			t.Errorf("someone else's contact moved to %q", c.OwnerID)
		}
		if c, _ := companies.ByID(e.ctx, co.ID); c.OwnerID != heir.ID {
			t.Errorf("company owner %q, want the heir", c.OwnerID)
		}
		evs, _ := event.ListForSubject(e.ctx, d.R, "user", leaver.ID, 10)
		kinds := map[string]int{}
		for _, ev := range evs {
			kinds[ev.Kind]++
		}
		if kinds["contact.owner_transferred"] != 1 || kinds["company.owner_transferred"] != 1 || kinds["user.records_transferred"] != 1 {
			t.Errorf("events %v, want one summary per kind and one for the transfer", kinds)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM events WHERE kind = 'contact.owner_changed'`); n != 0 {
			t.Errorf("%d per-record events, want none", n)
		}

		// Nothing left: a second transfer moves nothing and says so.
		again, err := e.users.TransferRecords(e.ctx, leaver.ID, heir.ID)
		if err != nil || again.Total() != 0 {
			t.Errorf("second transfer %+v, %v", again, err)
		}
		for _, c := range []struct {
			name, to string
		}{{"to themselves", leaver.ID}, {"to nobody", ""}, {"to a bad id", "x"}, {"to an unknown user", "0190aaaa-0000-7000-8000-000000000000"},
			{"to a deactivated user", leaver.ID}} {
			from := heir.ID
			if c.name == "to themselves" {
				from = leaver.ID
			}
			_, err := e.users.TransferRecords(e.ctx, from, c.to)
			if v := apperr.AsValidation(err); v == nil || v.For("to") == "" {
				t.Errorf("%s: %v, want a message for to", c.name, err)
			}
		}
	})
}
