package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/user"
)

// pendingFor is how long the second sign-in step waits for a code after
// the password was right.
const pendingFor = 10 * time.Minute

// startSecondStep remembers, in a fresh session, that u typed the right
// password and must now give a second factor. Nobody is signed in yet.
func (s *Server) startSecondStep(ctx context.Context, u user.User, next string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Remove(ctx, sessionUserKey)
	s.sessions.Remove(ctx, sessionIDKey)
	s.sessions.Put(ctx, pendingUserKey, u.ID)
	s.sessions.Put(ctx, pendingSinceKey, time.Now().Unix())
	s.sessions.Put(ctx, pendingNextKey, next)
	return nil
}

// pendingUser returns the user waiting at the second step, if the wait
// has not run out.
func (s *Server) pendingUser(ctx context.Context) (string, bool) {
	uid := s.sessions.GetString(ctx, pendingUserKey)
	since := s.sessions.GetInt64(ctx, pendingSinceKey)
	if uid == "" || time.Since(time.Unix(since, 0)) > pendingFor {
		return "", false
	}
	return uid, true
}

type loginMFAView struct {
	page
	Error  string
	Errors *apperr.Validation
	// TOTP and Passkey say which second factors the user can choose from;
	// without the app, the code field takes recovery codes only.
	TOTP, Passkey bool
}

// loginMFAView returns the second step's page for the pending user uid.
func (s *Server) loginMFAView(r *http.Request, uid string) (loginMFAView, error) {
	f, err := s.users.SecondFactorsOf(r.Context(), uid)
	return loginMFAView{page: s.page(r, "Two-factor sign-in"), TOTP: f.TOTP, Passkey: f.Passkeys > 0 && s.passkeys != nil}, err
}

// backToLogin ends a second step that has run out or lost its user.
func (s *Server) backToLogin(w http.ResponseWriter, r *http.Request) {
	for _, k := range []string{pendingUserKey, pendingSinceKey, pendingNextKey} {
		s.sessions.Remove(r.Context(), k)
	}
	s.redirect(w, r, "/login", "Sign in again: the step for the code waits 10 minutes at most.")
}

func (s *Server) loginMFAForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	uid, ok := s.pendingUser(r.Context())
	if !ok {
		s.backToLogin(w, r)
		return
	}
	view, err := s.loginMFAView(r, uid)
	if errors.Is(err, apperr.ErrNotFound) {
		s.backToLogin(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "login_mfa", view)
}

// Messages of the second step.
const (
	msgBadCode      = "That code is not right. Type the 6-digit code your authenticator app shows now, or one of your recovery codes."
	msgCodeReused   = "That code was already used. Wait for your app to show the next code, then type it."
	msgRecoveryUsed = "That recovery code was already used: each recovery code works only once. Use another one, or the code from your app."
	msgBadRecovery  = "That recovery code is not right. Type one of the recovery codes you saved, like abcde-12345, or use your passkey."
)

func (s *Server) loginMFA(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	uid, ok := s.pendingUser(ctx)
	if !ok {
		s.backToLogin(w, r)
		return
	}
	view, err := s.loginMFAView(r, uid)
	if errors.Is(err, apperr.ErrNotFound) {
		s.backToLogin(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	var v apperr.Validation
	switch {
	case code == "" && !view.TOTP:
		v.Add("code", "Enter one of your recovery codes, or use your passkey.")
	case code == "":
		v.Add("code", "Enter the code from your authenticator app, or a recovery code.")
	case len(code) > 64:
		v.Add("code", "That is far too long for a code.")
	}
	if v.Err() != nil {
		view.Errors = &v
		s.render(w, r, http.StatusUnprocessableEntity, "login_mfa", view)
		return
	}

	codeKey, addressKey := "mfa:user:"+uid, "login:address:"+clientAddr(r)
	attempt := user.SecondFactor{UserID: uid, Code: code, Address: clientAddr(r), UserAgent: r.UserAgent()}
	for _, c := range []struct {
		t   *auth.Throttle
		key string
	}{{s.accounts, codeKey}, {s.address, addressKey}} {
		wait, err := c.t.Blocked(ctx, c.key)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if wait > 0 {
			view.Error = "Too many wrong codes. " + retryAfter(w, wait)
			s.log(r).Warn("second sign-in step throttled", "key", c.key)
			if err := s.users.RecordSecondFactorThrottled(ctx, attempt); err != nil {
				s.serverError(w, r, err)
				return
			}
			s.render(w, r, http.StatusTooManyRequests, "login_mfa", view)
			return
		}
	}

	method, err := s.users.VerifySecondFactor(ctx, attempt)
	var msg string
	switch {
	case err == nil:
	case errors.Is(err, user.ErrRecoveryCodeUsed):
		msg = msgRecoveryUsed
	case errors.Is(err, user.ErrCodeReused):
		msg = msgCodeReused
	case errors.Is(err, user.ErrBadCode) && !view.TOTP:
		msg = msgBadRecovery
	case errors.Is(err, user.ErrBadCode):
		msg = msgBadCode
	case errors.Is(err, apperr.ErrNotFound):
		// Two-factor sign-in was turned off, or the user is gone.
		s.backToLogin(w, r)
		return
	default:
		s.serverError(w, r, err)
		return
	}
	if msg != "" {
		if err := errors.Join(s.accounts.Fail(ctx, codeKey), s.address.Fail(ctx, addressKey)); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.log(r).Info("second sign-in step failed", "user_id", uid, "err", err)
		view.Error = msg
		s.render(w, r, http.StatusUnauthorized, "login_mfa", view)
		return
	}

	if err := s.accounts.Reset(ctx, codeKey); err != nil {
		s.serverError(w, r, err)
		return
	}
	u, err := s.users.ByID(ctx, uid)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	next := s.sessions.GetString(ctx, pendingNextKey)
	if err := s.signInWith(ctx, u, method); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("login", "user_id", u.ID, "method", method)
	if method == user.MethodRecovery {
		s.flash(r, "You signed in with a recovery code; it cannot be used again. If you are running low, make new codes on the Security page.")
	}
	http.Redirect(w, r, safeNext(next), http.StatusSeeOther)
}
