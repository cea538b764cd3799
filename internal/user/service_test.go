package user_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestSetupCreatesOneOwnerOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := user.NewService(d)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Setup(ctx, user.NewUser{Email: "Owner@Example.com ", Name: "Olga", Role: "viewer", Password: "correct horse battery"})
			}()
		}
		wg.Wait()
		var ok, done int
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, user.ErrSetupDone) || apperr.AsValidation(err) != nil:
				done++
			default:
				t.Errorf("Setup: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d setups succeeded, want exactly 1", ok)
		}
		us, err := s.List(ctx)
		if err != nil || len(us) != 1 {
			t.Fatalf("users = %v (%v), want 1", us, err)
		}
		if us[0].Role != user.RoleOwner || us[0].Email != "owner@example.com" {
			t.Errorf("got %s as %s, want owner@example.com as owner", us[0].Email, us[0].Role)
		}
		evs, _ := event.ListForSubject(ctx, d.R, "user", us[0].ID, 5)
		if len(evs) != 1 || evs[0].Kind != "user.created" {
			t.Errorf("events = %+v, want user.created", evs)
		}
	})
}

func TestCreateValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := user.NewService(d)
		if _, err := s.Create(ctx, "", user.NewUser{Email: "a@example.com", Name: "A", Role: "member", Password: "0123456789"}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name  string
			in    user.NewUser
			field string
		}{
			{"bad email", user.NewUser{Email: "not-an-email", Name: "B", Role: "member", Password: "0123456789"}, "email"},
			{"taken email", user.NewUser{Email: "A@EXAMPLE.COM", Name: "B", Role: "member", Password: "0123456789"}, "email"},
			{"no name", user.NewUser{Email: "b@example.com", Name: "  ", Role: "member", Password: "0123456789"}, "name"},
			{"unknown role", user.NewUser{Email: "b@example.com", Name: "B", Role: "god", Password: "0123456789"}, "role"},
			{"short password", user.NewUser{Email: "b@example.com", Name: "B", Role: "member", Password: "short"}, "password"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := s.Create(ctx, "", c.in)
				v := apperr.AsValidation(err)
				if v == nil || v.For(c.field) == "" {
					t.Fatalf("Create = %v, want a message for %s", err, c.field)
				}
			})
		}
		if n, _ := s.Count(ctx); n != 1 {
			t.Errorf("%d users after failed creates, want 1", n)
		}
	})
}

func TestAuthenticate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := user.NewService(d)
		u, err := s.Create(ctx, "", user.NewUser{Email: "ann@example.com", Name: "Ann", Role: "admin", Password: "open sesame 42"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Authenticate(ctx, " ANN@example.com", "open sesame 42")
		if err != nil || got.ID != u.ID {
			t.Fatalf("Authenticate = %v, %v; want Ann", got, err)
		}
		_, wrong := s.Authenticate(ctx, "ann@example.com", "open sesame 43")
		_, unknown := s.Authenticate(ctx, "bob@example.com", "open sesame 42")
		if !errors.Is(wrong, user.ErrBadCredentials) || !errors.Is(unknown, user.ErrBadCredentials) || wrong.Error() != unknown.Error() {
			t.Errorf("wrong password = %v, unknown email = %v; want the same ErrBadCredentials", wrong, unknown)
		}
		byID, err := s.ByID(ctx, u.ID)
		if err != nil || byID.Email != "ann@example.com" || byID.CreatedAt.IsZero() {
			t.Errorf("ByID = %+v, %v", byID, err)
		}
		if _, err := s.ByID(ctx, "nope"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("ByID(nope) = %v, want not found", err)
		}
	})
}

func TestPasswordHashRoundTrip(t *testing.T) {
	h, err := user.HashPassword("pässwörd ünïcode")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := user.CheckPassword(h, "pässwörd ünïcode"); !ok || err != nil {
		t.Errorf("CheckPassword(right) = %v, %v", ok, err)
	}
	if ok, _ := user.CheckPassword(h, "password unicode"); ok {
		t.Error("CheckPassword accepted a wrong password")
	}
	h2, _ := user.HashPassword("pässwörd ünïcode")
	if h == h2 {
		t.Error("two hashes of the same password are equal; the salt is not random")
	}
}
