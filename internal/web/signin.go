package web

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/user"
)

const sessionUserKey = "user_id"

// currentUser returns the signed-in user of r, if any.
func currentUser(r *http.Request) (user.User, bool) {
	u, ok := r.Context().Value(userKey).(user.User)
	return u, ok
}

// loadUser puts the session's user into the request context. A session
// whose user is gone or disabled is ended.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uid := s.sessions.GetString(r.Context(), sessionUserKey)
		if uid == "" {
			next.ServeHTTP(w, r)
			return
		}
		u, err := s.users.ByID(r.Context(), uid)
		if err != nil || !u.DisabledAt.IsZero() {
			if err != nil && !errors.Is(err, apperr.ErrNotFound) {
				s.serverError(w, r, err)
				return
			}
			s.sessions.Remove(r.Context(), sessionUserKey)
			next.ServeHTTP(w, r)
			return
		}
		ctx := context.WithValue(r.Context(), userKey, u)
		a := u.Actor()
		a.Address, a.UserAgent = clientAddr(r), r.UserAgent()
		ctx = access.WithActor(ctx, a)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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

// signIn starts a fresh session for u: a new token defeats session fixation.
func (s *Server) signIn(ctx context.Context, u user.User) error {
	if err := s.sessions.RenewToken(ctx); err != nil {
		return err
	}
	s.sessions.Put(ctx, sessionUserKey, u.ID)
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
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); ok {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if s.sentToSetup(w, r) {
		return
	}
	s.render(w, r, http.StatusOK, "login", loginView{page: s.page(r, "Sign in"), Next: r.URL.Query().Get("next")})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	view := loginView{page: s.page(r, "Sign in"), Email: email, Next: r.PostFormValue("next")}

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
			minutes := int(math.Ceil(wait.Minutes()))
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			view.Error = fmt.Sprintf("Too many failed sign-ins. Try again in %d %s.", minutes, plural(minutes, "minute", "minutes"))
			s.log(r).Warn("login throttled", "key", c.key)
			s.render(w, r, http.StatusTooManyRequests, "login", view)
			return
		}
	}

	u, err := s.users.Authenticate(ctx, email, password)
	if errors.Is(err, user.ErrBadCredentials) {
		if err := errors.Join(s.accounts.Fail(ctx, accountKey), s.address.Fail(ctx, addressKey)); err != nil {
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
	if err := s.signIn(ctx, u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("login", "user_id", u.ID)
	http.Redirect(w, r, safeNext(view.Next), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
