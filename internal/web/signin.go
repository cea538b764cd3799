package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/user"
)

// Session keys. A signed-in browser holds its user and its row in
// user_sessions; one between the password and the second step holds the
// pending user instead, which signs in nobody.
const (
	sessionUserKey  = "user_id"
	sessionIDKey    = "session_id"
	pendingUserKey  = "mfa_user_id"
	pendingSinceKey = "mfa_since"
	pendingNextKey  = "mfa_next"
)

type signedInKey struct{}

type clientKey struct{}

// client is where a request comes from, for sessions and the audit log.
type client struct{ address, userAgent string }

func clientFrom(ctx context.Context) client {
	c, _ := ctx.Value(clientKey{}).(client)
	return c
}

// currentUser returns the signed-in user of r, if any.
func currentUser(r *http.Request) (user.User, bool) {
	u, ok := r.Context().Value(userKey).(user.User)
	return u, ok
}

// currentSession returns the signed-in session of r, if any.
func currentSession(r *http.Request) (user.SignedIn, bool) {
	in, ok := r.Context().Value(signedInKey{}).(user.SignedIn)
	return in, ok
}

// loadUser puts the session's user into the request context, read with
// the session's row (or from memory while neither changed, see
// user.Service.SessionUser): a session that was ended
// (revoked, a password change elsewhere) or whose user is gone or
// disabled is ended here. When the organisation requires two-factor
// sign-in, a user without it is sent to set it up.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientKey{}, client{clientAddr(r), r.UserAgent()})
		r = r.WithContext(ctx)
		uid := s.sessions.GetString(ctx, sessionUserKey)
		if uid == "" {
			next.ServeHTTP(w, r)
			return
		}
		in, err := s.users.SessionUser(ctx, s.sessions.GetString(ctx, sessionIDKey), uid)
		if err != nil || !in.User.DisabledAt.IsZero() {
			if err != nil && !errors.Is(err, apperr.ErrNotFound) {
				s.serverError(w, r, err)
				return
			}
			if err := s.sessions.Destroy(ctx); err != nil {
				s.serverError(w, r, err)
				return
			}
			s.sessions.Put(ctx, "flash", "You were signed out. Sign in again to continue.")
			next.ServeHTTP(w, r)
			return
		}
		if time.Since(in.Session.LastSeenAt) >= user.TouchEvery {
			if err := s.users.TouchSession(ctx, in.Session.ID, clientAddr(r), r.UserAgent()); err != nil {
				s.log(r).Warn("session last seen not updated", "err", err)
			}
		}
		u := in.User
		ctx = context.WithValue(ctx, userKey, u)
		ctx = context.WithValue(ctx, signedInKey{}, in)
		a := u.Actor()
		a.Address, a.UserAgent = clientAddr(r), r.UserAgent()
		ctx = access.WithActor(ctx, a)
		r = r.WithContext(ctx)
		if in.RequireMFA && !in.MFA && !mfaExempt(r.URL.Path) {
			s.enrolmentRequired(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// enrolmentPath is where a user who must set up two-factor sign-in is sent.
const enrolmentPath = "/account/security/mfa"

// mfaExempt lists what a user who must set up two-factor sign-in may still
// reach: the enrolment pages (an authenticator app or a passkey), signing
// out, and the API's description.
func mfaExempt(path string) bool {
	return path == enrolmentPath || strings.HasPrefix(path, enrolmentPath+"/") ||
		path == "/account/security/recovery-codes" || strings.HasPrefix(path, "/account/security/recovery-codes/") ||
		path == "/account/security/recovery-codes.txt" || strings.HasPrefix(path, passkeyRegisterPrefix) ||
		path == "/logout" || path == "/api/openapi.json" || path == "/api/docs"
}

// enrolmentRequired answers a request of a user who must set up two-factor
// sign-in first: API calls get a 403 problem, pages a redirect.
func (s *Server) enrolmentRequired(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": "Forbidden", "status": http.StatusForbidden,
			"detail": "Two-factor sign-in is required for everyone in this organisation: enrol first, in Account → Security (" + enrolmentPath + ").",
			"errors": []any{}})
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", enrolmentPath)
		w.WriteHeader(http.StatusForbidden)
		return
	}
	http.Redirect(w, r, enrolmentPath, http.StatusSeeOther)
}

// requireUser sends visitors who are not signed in to the login page and
// back here afterwards.
func (s *Server) requireUser(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := currentUser(r); ok {
			next(w, r)
			return
		}
		to := "/login?next=" + url.QueryEscape(r.URL.RequestURI())
		if r.Header.Get("HX-Request") == "true" {
			w.Header().Set("HX-Redirect", to)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// signIn starts a fresh session for u, who passed the password step and
// needs no second one.
func (s *Server) signIn(ctx context.Context, u user.User) error {
	return s.signInWith(ctx, u, user.MethodPassword)
}

// signInWith starts a fresh session for u: a new token defeats session
// fixation, and a user_sessions row lets the user see and end it.
func (s *Server) signInWith(ctx context.Context, u user.User, method string) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	c := clientFrom(ctx)
	ss, err := s.users.StartSession(ctx, user.NewSession{UserID: u.ID, Address: c.address, UserAgent: c.userAgent,
		Method: method, Idle: IdleTimeout})
	if err != nil {
		return err
	}
	for _, k := range []string{pendingUserKey, pendingSinceKey, pendingNextKey} {
		s.sessions.Remove(ctx, k)
	}
	s.sessions.Put(ctx, sessionUserKey, u.ID)
	s.sessions.Put(ctx, sessionIDKey, ss.ID)
	return nil
}

type setupView struct {
	page
	Name, Email string
	Errors      *apperr.Validation
}

func (s *Server) setupOpen(w http.ResponseWriter, r *http.Request) bool {
	n, err := s.users.Count(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return false
	}
	if n > 0 {
		s.notFound(w, r)
		return false
	}
	return true
}

func (s *Server) setupForm(w http.ResponseWriter, r *http.Request) {
	if !s.setupOpen(w, r) {
		return
	}
	s.render(w, r, http.StatusOK, "setup", setupView{page: s.page(r, "Set up Rapport")})
}

func (s *Server) setup(w http.ResponseWriter, r *http.Request) {
	if !s.setupOpen(w, r) {
		return
	}
	in := user.NewUser{
		Name:     r.PostFormValue("name"),
		Email:    r.PostFormValue("email"),
		Password: r.PostFormValue("password"),
	}
	u, err := s.users.Setup(r.Context(), in)
	if errors.Is(err, user.ErrSetupDone) {
		s.notFound(w, r)
		return
	}
	if v := apperr.AsValidation(err); v != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "setup",
			setupView{page: s.page(r, "Set up Rapport"), Name: in.Name, Email: in.Email, Errors: v})
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.signIn(r.Context(), u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("owner account created", "user_id", u.ID)
	s.sessions.Put(r.Context(), "flash", "Your owner account is ready. Welcome to Rapport.")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// sentToSetup answers the request itself, with a redirect to /setup while
// no user exists (or an error page), and reports whether it did.
func (s *Server) sentToSetup(w http.ResponseWriter, r *http.Request) bool {
	n, err := s.users.Count(r.Context())
	if err != nil {
		s.serverError(w, r, err)
		return true
	}
	if n == 0 {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return true
	}
	return false
}

type loginView struct {
	page
	Email, Next string
	Error       string
	Errors      *apperr.Validation
	// Passkeys offers signing in with a passkey.
	Passkeys bool
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if s.sentToSetup(w, r) {
		return
	}
	s.render(w, r, http.StatusOK, "login", loginView{page: s.page(r, "Sign in"), Next: r.URL.Query().Get("next"),
		Passkeys: s.passkeys != nil})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	view := loginView{page: s.page(r, "Sign in"), Email: email, Next: r.PostFormValue("next"), Passkeys: s.passkeys != nil}

	var v apperr.Validation
	if email == "" {
		v.Add("email", "Enter your email address.")
	}
	if password == "" {
		v.Add("password", "Enter your password.")
	}
	if len(password) > 4*user.MaxPasswordLen {
		v.Add("password", "That password is far too long.")
	}
	if v.Err() != nil {
		view.Errors = &v
		s.render(w, r, http.StatusUnprocessableEntity, "login", view)
		return
	}

	accountKey := "login:account:" + user.NormaliseEmail(email)
	addressKey := "login:address:" + clientAddr(r)
	for _, c := range []struct {
		t   *auth.Throttle
		key string
	}{{s.accounts, accountKey}, {s.address, addressKey}} {
		wait, err := c.t.Blocked(ctx, c.key)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if wait > 0 {
			view.Error = "Too many failed sign-ins. " + retryAfter(w, wait)
			s.log(r).Warn("login throttled", "key", c.key)
			if err := s.users.RecordSignInFailure(ctx, user.SignInFailure{Email: email, Address: clientAddr(r),
				UserAgent: r.UserAgent(), Reason: "throttled"}); err != nil {
				s.serverError(w, r, err)
				return
			}
			s.render(w, r, http.StatusTooManyRequests, "login", view)
			return
		}
	}

	u, err := s.users.Authenticate(ctx, email, password)
	if errors.Is(err, user.ErrBadCredentials) {
		if err := errors.Join(s.accounts.Fail(ctx, accountKey), s.address.Fail(ctx, addressKey),
			s.users.RecordSignInFailure(ctx, user.SignInFailure{Email: email, Address: clientAddr(r),
				UserAgent: r.UserAgent(), Reason: "bad_credentials"})); err != nil {
			s.serverError(w, r, err)
			return
		}
		s.log(r).Info("login failed", "email", user.NormaliseEmail(email))
		view.Error = "Email or password is incorrect."
		s.render(w, r, http.StatusUnauthorized, "login", view)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.accounts.Reset(ctx, accountKey); err != nil {
		s.serverError(w, r, err)
		return
	}
	factors, err := s.users.SecondFactorsOf(ctx, u.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if factors.Any() {
		if err := s.startSecondStep(ctx, u, view.Next); err != nil {
			s.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return
	}
	if err := s.signIn(ctx, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("login", "user_id", u.ID)
	http.Redirect(w, r, safeNext(view.Next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if err := s.users.EndSession(r.Context(), s.sessions.GetString(r.Context(), sessionIDKey)); err != nil {
		s.serverError(w, r, err)
		return
	}
	if err := s.sessions.Destroy(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext allows only a path on this site as the place to return to.
func safeNext(next string) string {
	// Browsers drop tabs and newlines before resolving: "/\t/x" is "//x".
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\t\r\n\\") {
		return "/"
	}
	return next
}

// clientAddr is the address the connection comes from. (Trusting a proxy's
// X-Forwarded-For needs a setting naming the proxy; until then it is ignored.)
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// retryAfter sets the Retry-After header for wait and says it in words.
func retryAfter(w http.ResponseWriter, wait time.Duration) string {
	minutes := int(math.Ceil(wait.Minutes()))
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	return fmt.Sprintf("Try again in %d %s.", minutes, plural(minutes, "minute", "minutes"))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
