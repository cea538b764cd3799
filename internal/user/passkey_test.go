package user_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/passkeytest"
	"github.com/rapportcrm/rapport/internal/user"
)

const passkeyOrigin = "http://localhost:8080"

func passkeys(t *testing.T, s *user.Service) *user.Passkeys {
	t.Helper()
	p, err := s.Passkeys(passkeyOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// addPasskey registers a passkey of a for the user acting in ctx, with
// the password as the fresh proof, and returns what was added.
func addPasskey(t *testing.T, p *user.Passkeys, ctx context.Context, a *passkeytest.Authenticator, name string) (user.AddedPasskey, *passkeytest.Credential) {
	t.Helper()
	c, err := p.BeginRegistration(ctx, user.NewPasskey{Name: name, Password: fixture.Password})
	if err != nil {
		t.Fatalf("BeginRegistration: %v", err)
	}
	resp, cred, err := a.Create(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	added, err := p.FinishRegistration(ctx, c.State, resp)
	if err != nil {
		t.Fatalf("FinishRegistration: %v", err)
	}
	return added, cred
}

// signIn runs a passwordless sign-in with cred and returns the result.
func signIn(t *testing.T, p *user.Passkeys, a *passkeytest.Authenticator, cred *passkeytest.Credential) (user.User, error) {
	t.Helper()
	c, err := p.BeginSignIn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Get(c.Options, cred)
	if err != nil {
		t.Fatal(err)
	}
	return p.FinishSignIn(context.Background(), user.PasskeySignIn{State: c.State, Response: resp, Address: "192.0.2.7"})
}

// secondStep runs the second sign-in step of userID with cred.
func secondStep(t *testing.T, p *user.Passkeys, a *passkeytest.Authenticator, userID string, cred *passkeytest.Credential) (user.User, error) {
	t.Helper()
	c, err := p.BeginSecondFactor(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := a.Get(c.Options, cred)
	if err != nil {
		t.Fatal(err)
	}
	return p.FinishSignIn(context.Background(), user.PasskeySignIn{State: c.State, Response: resp})
}

func TestPasskeyRegistrationAndSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		p := passkeys(t, s)
		if p.RPID() != "localhost" {
			t.Errorf("RP ID %q, want localhost", p.RPID())
		}
		ctx, u := fixture.User(t, d, "member")
		a := &passkeytest.Authenticator{Origin: passkeyOrigin, Synced: true}

		c, err := p.BeginRegistration(ctx, user.NewPasskey{Name: "  Work   laptop ", Password: fixture.Password})
		if err != nil {
			t.Fatal(err)
		}
		if c.Expires.Before(time.Now().Add(user.CeremonyTimeout-time.Minute)) || c.Expires.After(time.Now().Add(user.CeremonyTimeout)) {
			t.Errorf("ceremony expires %v, want in about %v", c.Expires, user.CeremonyTimeout)
		}
		var opts struct {
			PublicKey struct {
				RP                     struct{ ID, Name string }
				User                   struct{ ID, Name, DisplayName string }
				AuthenticatorSelection struct{ ResidentKey, UserVerification string }
			}
		}
		if err := json.Unmarshal(c.Options, &opts); err != nil {
			t.Fatal(err)
		}
		o := opts.PublicKey
		if o.RP.ID != "localhost" || o.RP.Name != "Rapport" || o.User.Name != u.Email || o.User.DisplayName != u.Name ||
			len(o.User.ID) != 86 || o.AuthenticatorSelection.ResidentKey != "required" {
			t.Errorf("creation options %+v", o)
		}
		resp, cred, err := a.Create(c.Options)
		if err != nil {
			t.Fatal(err)
		}
		added, err := p.FinishRegistration(ctx, c.State, resp)
		if err != nil {
			t.Fatal(err)
		}
		if added.Passkey.Name != "Work laptop" || !added.Passkey.Synced || len(added.RecoveryCodes) != user.RecoveryCodeCount {
			t.Errorf("added %+v", added)
		}
		// The same answer again: the credential exists already.
		if _, err := p.FinishRegistration(ctx, c.State, resp); !errors.Is(err, user.ErrPasskeyRefused) {
			t.Errorf("the same passkey twice: %v", err)
		}

		list, err := s.ListPasskeys(ctx)
		if err != nil || len(list) != 1 || list[0].Name != "Work laptop" || !list[0].LastUsedAt.IsZero() {
			t.Fatalf("list %+v, %v", list, err)
		}
		st, _ := s.MFAStatus(ctx)
		if st.Enabled || st.Passkeys != 1 || !st.SecondFactor() || st.RecoveryCodesLeft != user.RecoveryCodeCount {
			t.Errorf("status %+v", st)
		}
		if f, err := s.SecondFactorsOf(context.Background(), u.ID); err != nil || f.TOTP || f.Passkeys != 1 || !f.Any() {
			t.Errorf("second factors %+v, %v", f, err)
		}
		if k := kinds(t, d, "user", u.ID); !slices.Contains(k, "user.passkey_added") {
			t.Errorf("events %v lack user.passkey_added", k)
		}

		// Passwordless: the browser names the user through the handle.
		got, err := signIn(t, p, a, cred)
		if err != nil || got.ID != u.ID {
			t.Fatalf("passwordless sign-in: %v, %v", got.ID, err)
		}
		list, _ = s.ListPasskeys(ctx)
		if list[0].LastUsedAt.IsZero() {
			t.Error("last use not noted")
		}
		// Second step: only the user's passkeys are asked for.
		pc, err := p.BeginSecondFactor(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if allowed, _ := passkeytest.Allowed(pc.Options); len(allowed) != 1 || !bytes.Equal(allowed[0], cred.ID) {
			t.Errorf("allowed credentials %x, want %x", allowed, cred.ID)
		}
		if got, err := secondStep(t, p, a, u.ID, cred); err != nil || got.ID != u.ID {
			t.Fatalf("second step: %v, %v", got.ID, err)
		}
		var count int64
		d.R.QueryRow(`SELECT sign_count FROM passkeys WHERE user_id = $1`, u.ID).Scan(&count)
		if count != 2 {
			t.Errorf("sign count %d, want 2", count)
		}

		// A session signed in with a passkey counts as two-factor.
		ss, err := s.StartSession(context.Background(), user.NewSession{UserID: u.ID, Method: user.MethodPasskey})
		if err != nil {
			t.Fatal(err)
		}
		in, err := s.SessionUser(context.Background(), ss.ID, u.ID)
		if err != nil || !in.MFA || in.Session.Method != user.MethodPasskey {
			t.Errorf("session %+v, %v", in, err)
		}
		// Recovery codes stand in for a lost passkey.
		if m, err := s.VerifySecondFactor(context.Background(), user.SecondFactor{UserID: u.ID, Code: added.RecoveryCodes[0]}); err != nil || m != user.MethodRecovery {
			t.Errorf("recovery code of a passkey user: %q, %v", m, err)
		}
		if _, err := s.VerifySecondFactor(context.Background(), user.SecondFactor{UserID: u.ID, Code: "123456"}); !errors.Is(err, user.ErrBadCode) {
			t.Errorf("an app code without the app: %v", err)
		}
		// The owner (first user) may now require MFA on the strength of a passkey.
		ownerCtx := ctx
		if err := s.SetMFARequired(ownerCtx, true); err != nil {
			t.Errorf("require MFA with a passkey as own second factor: %v", err)
		}
		if on, total, err := s.MFAAdoption(ownerCtx); err != nil || on != 1 || total != 1 {
			t.Errorf("adoption %d of %d, %v", on, total, err)
		}
	})
}

func TestPasskeyRefusals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		p := passkeys(t, s)
		aliceCtx, alice := fixture.User(t, d, "owner")
		bobCtx, bob := fixture.User(t, d, "member")
		a := &passkeytest.Authenticator{Origin: passkeyOrigin}
		_, aliceCred := addPasskey(t, p, aliceCtx, a, "Alice's phone")
		_, bobCred := addPasskey(t, p, bobCtx, a, "Bob's laptop")
		failures := func() int { return auditCount(t, d, "auth.passkey_failed", "failed", alice.ID) }

		if _, err := signIn(t, p, a, aliceCred); err != nil {
			t.Fatal(err)
		}
		t.Run("sign count regression", func(t *testing.T) {
			before := failures()
			aliceCred.SignCount = 0 // a copy of the key with an old counter
			if _, err := signIn(t, p, a, aliceCred); !errors.Is(err, user.ErrSignCountRegressed) {
				t.Errorf("regressed counter: %v", err)
			}
			aliceCred.SignCount = 0
			if _, err := secondStep(t, p, a, alice.ID, aliceCred); !errors.Is(err, user.ErrSignCountRegressed) {
				t.Errorf("regressed counter at the second step: %v", err)
			}
			if n := failures(); n != before+2 {
				t.Errorf("%d failures recorded, want %d", n, before+2)
			}
			aliceCred.SignCount = 10
			if _, err := signIn(t, p, a, aliceCred); err != nil {
				t.Errorf("counter moved on: %v", err)
			}
		})
		t.Run("another user's passkey at the second step", func(t *testing.T) {
			before := failures()
			if _, err := secondStep(t, p, a, alice.ID, bobCred); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("Bob's passkey for Alice: %v", err)
			}
			if failures() != before+1 {
				t.Error("failure not recorded under Alice")
			}
		})
		t.Run("another user's handle", func(t *testing.T) {
			// Bob's key claims to be Alice's: the handle names Alice, who
			// does not own the credential.
			forged := *bobCred
			forged.UserHandle = aliceCred.UserHandle
			if _, err := signIn(t, p, a, &forged); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("forged handle: %v", err)
			}
			bobCred.SignCount = forged.SignCount
		})
		t.Run("replayed answer", func(t *testing.T) {
			c, _ := p.BeginSignIn(context.Background())
			resp, _ := a.Get(c.Options, aliceCred)
			in := user.PasskeySignIn{State: c.State, Response: resp}
			if _, err := p.FinishSignIn(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if _, err := p.FinishSignIn(context.Background(), in); err == nil {
				t.Error("the same answer signed in twice")
			}
		})
		t.Run("answer to another challenge", func(t *testing.T) {
			c1, _ := p.BeginSignIn(context.Background())
			c2, _ := p.BeginSignIn(context.Background())
			resp, _ := a.Get(c1.Options, aliceCred)
			if _, err := p.FinishSignIn(context.Background(), user.PasskeySignIn{State: c2.State, Response: resp}); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("answer to another challenge: %v", err)
			}
		})
		t.Run("wrong origin", func(t *testing.T) {
			evil := &passkeytest.Authenticator{Origin: "https://rapport.example.net"}
			if _, err := signIn(t, p, evil, aliceCred); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("answer from another origin: %v", err)
			}
		})
		t.Run("user not verified", func(t *testing.T) {
			lax := &passkeytest.Authenticator{Origin: passkeyOrigin, NoUserVerification: true}
			if _, err := signIn(t, p, lax, aliceCred); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("passwordless without user verification: %v", err)
			}
		})
		t.Run("expired request", func(t *testing.T) {
			c, _ := p.BeginSignIn(context.Background())
			var st map[string]any
			json.Unmarshal(c.State, &st)
			st["data"].(map[string]any)["expires"] = time.Now().Add(-time.Second).Format(time.RFC3339Nano)
			state, _ := json.Marshal(st)
			resp, _ := a.Get(c.Options, aliceCred)
			if _, err := p.FinishSignIn(context.Background(), user.PasskeySignIn{State: state, Response: resp}); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("expired request: %v", err)
			}
		})
		t.Run("ceremony of another kind or user", func(t *testing.T) {
			c, err := p.BeginRegistration(aliceCtx, user.NewPasskey{Password: fixture.Password})
			if err != nil {
				t.Fatal(err)
			}
			resp, _, _ := a.Create(c.Options)
			if _, err := p.FinishRegistration(bobCtx, c.State, resp); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("Bob finishes Alice's registration: %v", err)
			}
			if _, err := p.FinishSignIn(context.Background(), user.PasskeySignIn{State: c.State, Response: resp}); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("registration state used to sign in: %v", err)
			}
			if _, err := p.FinishSignIn(context.Background(), user.PasskeySignIn{State: []byte("nonsense"), Response: resp}); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("no state: %v", err)
			}
			if _, err := p.FinishSignIn(context.Background(), user.PasskeySignIn{State: c.State, Response: []byte(`{"id":1}`)}); !errors.Is(err, user.ErrPasskeyRefused) {
				t.Errorf("garbage answer: %v", err)
			}
		})
		t.Run("second step of a user without passkeys", func(t *testing.T) {
			_, carol := fixture.User(t, d, "member")
			if _, err := p.BeginSecondFactor(context.Background(), carol.ID); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("BeginSecondFactor without passkeys: %v", err)
			}
		})
		_ = bob
	})
}

func TestPasskeyRenameAndRemove(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		p := passkeys(t, s)
		ctx, u := fixture.User(t, d, "member")
		otherCtx, _ := fixture.User(t, d, "member")
		a := &passkeytest.Authenticator{Origin: passkeyOrigin}

		// Adding one needs the password or a fresh session.
		if _, err := p.BeginRegistration(ctx, user.NewPasskey{Name: "Phone"}); apperr.AsValidation(err).For("password") == "" {
			t.Errorf("no password, no session: %v", err)
		}
		if _, err := p.BeginRegistration(ctx, user.NewPasskey{Name: "Phone", Password: "wrong password"}); !errors.Is(err, user.ErrBadCredentials) {
			t.Errorf("wrong password: %v", err)
		}
		long := string(bytes.Repeat([]byte("x"), user.MaxPasskeyName+1))
		if _, err := p.BeginRegistration(ctx, user.NewPasskey{Name: long, Password: fixture.Password}); apperr.AsValidation(err).For("name") == "" {
			t.Errorf("long name: %v", err)
		}
		ss, err := s.StartSession(context.Background(), user.NewSession{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if !s.SessionFresh(ctx, ss.ID) || s.SessionFresh(otherCtx, ss.ID) {
			t.Error("SessionFresh: a new session of one's own is fresh, another user's is not")
		}
		c, err := p.BeginRegistration(ctx, user.NewPasskey{SessionID: ss.ID})
		if err != nil {
			t.Fatalf("fresh session: %v", err)
		}
		resp, _, _ := a.Create(c.Options)
		first, err := p.FinishRegistration(ctx, c.State, resp)
		if err != nil || first.Passkey.Name != "Passkey" {
			t.Fatalf("default name: %+v, %v", first, err)
		}
		second, _ := addPasskey(t, p, ctx, a, "Security key")
		if len(second.RecoveryCodes) != 0 {
			t.Error("a second passkey made new recovery codes")
		}

		if err := s.RenamePasskey(ctx, first.Passkey.ID, "Phone"); err != nil {
			t.Fatal(err)
		}
		if err := s.RenamePasskey(ctx, first.Passkey.ID, long); apperr.AsValidation(err).For("name") == "" {
			t.Errorf("rename to a long name: %v", err)
		}
		if err := s.RenamePasskey(otherCtx, first.Passkey.ID, "Mine now"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("rename another user's passkey: %v", err)
		}
		if err := s.RemovePasskey(otherCtx, user.PasskeyRemoval{ID: first.Passkey.ID, Password: fixture.Password}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("remove another user's passkey: %v", err)
		}
		list, _ := s.ListPasskeys(ctx)
		if len(list) != 2 || list[0].Name != "Phone" || list[1].Name != "Security key" {
			t.Errorf("list %+v", list)
		}

		// Removing needs the password unless the session is fresh.
		if err := s.RemovePasskey(ctx, user.PasskeyRemoval{ID: first.Passkey.ID}); apperr.AsValidation(err).For("password") == "" {
			t.Errorf("remove without password: %v", err)
		}
		if err := s.RemovePasskey(ctx, user.PasskeyRemoval{ID: first.Passkey.ID, Password: "nope nope nope"}); !errors.Is(err, user.ErrBadCredentials) {
			t.Errorf("remove with a wrong password: %v", err)
		}
		if err := s.RemovePasskey(ctx, user.PasskeyRemoval{ID: first.Passkey.ID, SessionID: ss.ID}); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.MFAStatus(ctx); st.Passkeys != 1 || st.RecoveryCodesLeft != user.RecoveryCodeCount {
			t.Errorf("after removing one of two: %+v", st)
		}
		// The last second factor gone, the recovery codes go with it.
		if err := s.RemovePasskey(ctx, user.PasskeyRemoval{ID: second.Passkey.ID, Password: fixture.Password}); err != nil {
			t.Fatal(err)
		}
		if st, _ := s.MFAStatus(ctx); st.SecondFactor() || st.RecoveryCodesLeft != 0 {
			t.Errorf("after removing the last: %+v", st)
		}
		if err := s.RemovePasskey(ctx, user.PasskeyRemoval{ID: second.Passkey.ID, Password: fixture.Password}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("remove twice: %v", err)
		}
		k := kinds(t, d, "user", u.ID)
		for _, want := range []string{"user.passkey_added", "user.passkey_renamed", "user.passkey_removed"} {
			if !slices.Contains(k, want) {
				t.Errorf("events %v lack %s", k, want)
			}
		}
		if n := auditCount(t, d, "user.passkey_removed", "ok", u.ID); n != 2 {
			t.Errorf("%d removals in the audit log, want 2", n)
		}
	})
}

// Passkeys and the authenticator app together: one set of recovery codes,
// and turning the app off keeps them while a passkey is left.
func TestPasskeyBesideTOTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		p := passkeys(t, s)
		ctx, u := fixture.User(t, d, "member")
		_, codes := enrol(t, s, ctx)
		added, _ := addPasskey(t, p, ctx, &passkeytest.Authenticator{Origin: passkeyOrigin}, "Laptop")
		if len(added.RecoveryCodes) != 0 {
			t.Error("a passkey beside the app made new recovery codes")
		}
		if err := s.DisableTOTP(ctx, fixture.Password); err != nil {
			t.Fatal(err)
		}
		st, _ := s.MFAStatus(ctx)
		if st.Enabled || !st.SecondFactor() || st.RecoveryCodesLeft != user.RecoveryCodeCount {
			t.Errorf("app off, passkey left: %+v", st)
		}
		if _, err := s.VerifySecondFactor(context.Background(), user.SecondFactor{UserID: u.ID, Code: codes[0]}); err != nil {
			t.Errorf("recovery code after the app went: %v", err)
		}
		if _, err := s.RegenerateRecoveryCodes(ctx, fixture.Password); err != nil {
			t.Errorf("new recovery codes with a passkey only: %v", err)
		}
		// The app can be set up again beside the passkey.
		if _, err := s.BeginTOTP(ctx); err != nil {
			t.Errorf("BeginTOTP beside a passkey: %v", err)
		}
	})
}

func TestPasskeysNeedADomainName(t *testing.T) {
	s := user.NewService(nil)
	for _, base := range []string{"http://127.0.0.1:8080", "http://[::1]:8080"} {
		if _, err := s.Passkeys(base); !errors.Is(err, user.ErrPasskeysUnavailable) {
			t.Errorf("Passkeys(%s) = %v, want ErrPasskeysUnavailable", base, err)
		}
	}
	if _, err := s.Passkeys("ftp://example.com"); err == nil {
		t.Error("ftp URL accepted")
	}
	p, err := s.Passkeys("https://CRM.example.com:8443/app")
	if err != nil || p.RPID() != "crm.example.com" {
		t.Errorf("Passkeys(https://CRM.example.com:8443/app) = %v, %v", p, err)
	}
}
