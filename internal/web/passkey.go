package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// Passkey ceremonies run in the browser (web/static/js/passkeys.js) and
// talk to these JSON endpoints: a begin call returns the options for
// navigator.credentials.create or get, and keeps the challenge in the
// session; the finish call sends the browser's answer. A begun ceremony
// is used once, and refused by the service after user.CeremonyTimeout.
const (
	passkeyRegisterKey = "passkey_register"
	passkeySignInKey   = "passkey_signin"
	passkeyPendingKey  = "passkey_pending_user"
	passkeyNextKey     = "passkey_next"
	// passkeyRegisterPrefix is where a user who must set up two-factor
	// sign-in may add a passkey instead of an authenticator app.
	passkeyRegisterPrefix = "/account/passkeys/register/"
	maxPasskeyBody        = 64 << 10
)

func (s *Server) passkeyRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("POST "+passkeyRegisterPrefix+"begin", s.passkeyRegisterBegin)
	page("POST "+passkeyRegisterPrefix+"finish", s.passkeyRegisterFinish)
	page("POST /account/passkeys/{id}/rename", s.requireUser(s.passkeyRename))
	page("POST /account/passkeys/{id}/remove", s.requireUser(s.passkeyRemove))
	page("POST /login/passkey/begin", s.passkeySignInBegin)
	page("POST /login/mfa/passkey/begin", s.passkeySecondBegin)
	page("POST /login/passkey/finish", s.passkeySignInFinish)
}

// newPasskeys sets up the passkey ceremonies for the configured base URL.
// At an address passkeys cannot work with (an IP address), the reason is
// kept for the pages to show instead.
func newPasskeys(users *user.Service, baseURL string) (*user.Passkeys, string) {
	if baseURL == "" {
		return nil, "Passkeys need the site's address (--base-url) to be set."
	}
	p, err := users.Passkeys(baseURL)
	if errors.Is(err, user.ErrPasskeysUnavailable) {
		return nil, "Passkeys are not available at this address: they need the site to be reached by a name such as localhost or crm.example.com, not an IP address. Ask an admin to set --base-url."
	}
	if err != nil {
		return nil, "Passkeys are not available: " + err.Error()
	}
	return p, ""
}

// passkeyAdd is what the "Add a passkey" form needs.
type passkeyAdd struct {
	// Unavailable says why passkeys cannot be used here; "" when they can.
	Unavailable string
	// NeedPassword is set when the session is too old to add a passkey
	// without typing the password.
	NeedPassword bool
}

// passkeysSection is the Passkeys card of the Security page.
type passkeysSection struct {
	List []user.Passkey
	Add  passkeyAdd
	// ErrorID is the passkey whose rename or remove form came back with
	// messages (in the page's Errors, as passkey_name or passkey_password).
	ErrorID string
}

func (s *Server) passkeyAddView(r *http.Request) passkeyAdd {
	in, _ := currentSession(r)
	return passkeyAdd{Unavailable: s.passkeysOff, NeedPassword: !s.users.SessionFresh(r.Context(), in.Session.ID)}
}

func (s *Server) passkeysSection(r *http.Request) (passkeysSection, error) {
	list, err := s.users.ListPasskeys(r.Context())
	return passkeysSection{List: list, Add: s.passkeyAddView(r)}, err
}

// jsonReply writes v as JSON with status.
func jsonReply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// passkeyError is the JSON of a refused passkey request: a message for
// people, and the form field it is about, if any.
type passkeyError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

func jsonError(w http.ResponseWriter, status int, msg string) {
	jsonReply(w, status, passkeyError{Error: msg})
}

// readPasskeyJSON reads a JSON request body; a form posted without
// JavaScript gets a page saying passkeys need it.
func (s *Server) readPasskeyJSON(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		s.errorPage(w, r, http.StatusBadRequest, "Passkeys need JavaScript",
			"Adding or using a passkey needs JavaScript turned on in your browser. Turn it on and reload the page.")
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPasskeyBody))
	if err != nil {
		jsonError(w, http.StatusRequestEntityTooLarge, "The request was too large.")
		return nil, false
	}
	return b, true
}

// passkeysReady answers, and reports false, when passkeys cannot be used
// at this address.
func (s *Server) passkeysReady(w http.ResponseWriter) bool {
	if s.passkeys == nil {
		jsonError(w, http.StatusServiceUnavailable, s.passkeysOff)
		return false
	}
	return true
}

// takeState returns the ceremony kept under key and forgets it: each is
// answered once.
func (s *Server) takeState(r *http.Request, key string) []byte {
	st := s.sessions.PopString(r.Context(), key)
	if st == "" {
		return nil
	}
	return []byte(st)
}

func (s *Server) passkeyRegisterBegin(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); !ok {
		jsonError(w, http.StatusUnauthorized, "You were signed out. Sign in again, then add the passkey.")
		return
	}
	body, ok := s.readPasskeyJSON(w, r)
	if !ok || !s.passkeysReady(w) {
		return
	}
	var in struct{ Name, Password string }
	if err := json.Unmarshal(body, &in); err != nil {
		jsonError(w, http.StatusBadRequest, "The request could not be read. Reload the page and try again.")
		return
	}
	ctx := r.Context()
	if in.Password != "" {
		wait, err := s.accounts.Blocked(ctx, reauthKey(r))
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if wait > 0 {
			jsonReply(w, http.StatusTooManyRequests, passkeyError{Error: "Too many wrong passwords. " + retryAfter(w, wait), Field: "password"})
			return
		}
	}
	sess, _ := currentSession(r)
	c, err := s.passkeys.BeginRegistration(ctx, user.NewPasskey{Name: in.Name, Password: in.Password, SessionID: sess.Session.ID})
	if v := apperr.AsValidation(err); v != nil {
		if ferr := s.reauthFailed(r, err); ferr != nil {
			s.serverError(w, r, ferr)
			return
		}
		f := v.Fields[0]
		jsonReply(w, http.StatusUnprocessableEntity, passkeyError{Error: f.Message, Field: f.Field})
		return
	}
	if err != nil {
		s.passkeyFail(w, r, err)
		return
	}
	if in.Password != "" && !s.reauthDone(w, r) {
		return
	}
	s.sessions.Put(ctx, passkeyRegisterKey, string(c.State))
	jsonReply(w, http.StatusOK, c.Options)
}

// passkeyFail answers a passkey request that failed with anything but a
// validation error.
func (s *Server) passkeyFail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, user.ErrSignCountRegressed):
		s.log(r).Warn("passkey refused: signature counter went backwards", "err", err)
		jsonError(w, http.StatusUnauthorized, "This passkey was refused: it looks like a copy of the real one. Use another passkey or your password, and tell an admin.")
	case errors.Is(err, user.ErrPasskeyRefused):
		s.log(r).Info("passkey refused", "err", err)
		jsonError(w, http.StatusUnauthorized, "The passkey was not accepted. Try again; if it keeps failing, use another passkey or sign in with your password.")
	case errors.Is(err, apperr.ErrNotFound), errors.Is(err, apperr.ErrForbidden):
		jsonError(w, http.StatusNotFound, "There is nothing to do: reload the page and try again.")
	default:
		s.log(r).Error("passkey request failed", "err", err)
		jsonError(w, http.StatusInternalServerError, "Something went wrong on our side. Try again in a moment.")
	}
}

func (s *Server) passkeyRegisterFinish(w http.ResponseWriter, r *http.Request) {
	if _, ok := currentUser(r); !ok {
		jsonError(w, http.StatusUnauthorized, "You were signed out. Sign in again, then add the passkey.")
		return
	}
	body, ok := s.readPasskeyJSON(w, r)
	if !ok || !s.passkeysReady(w) {
		return
	}
	ctx := r.Context()
	state := s.takeState(r, passkeyRegisterKey)
	if state == nil {
		jsonError(w, http.StatusBadRequest, "The request to add a passkey had expired. Try again.")
		return
	}
	added, err := s.passkeys.FinishRegistration(ctx, state, body)
	if err != nil {
		s.passkeyFail(w, r, err)
		return
	}
	s.log(r).Info("passkey added", "user_id", me(r).ID, "passkey", added.Passkey.ID)
	if len(added.RecoveryCodes) > 0 {
		s.sessions.Put(ctx, recoveryCodesKey, strings.Join(added.RecoveryCodes, "\n"))
		s.flash(r, "Passkey “"+added.Passkey.Name+"” added: two-factor sign-in is on.")
		jsonReply(w, http.StatusOK, map[string]string{"redirect": "/account/security/recovery-codes"})
		return
	}
	s.flash(r, "Passkey “"+added.Passkey.Name+"” added.")
	jsonReply(w, http.StatusOK, map[string]string{"redirect": "/account/security#passkeys-heading"})
}

// passkeyInvalid re-renders the Security page with the messages of err
// beside the form of passkey passkeyID, under field names prefixed
// "passkey_".
func (s *Server) passkeyInvalid(w http.ResponseWriter, r *http.Request, passkeyID string, err error) {
	v, verr := s.securityView(r)
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	v.Passkeys.ErrorID = passkeyID
	v.Errors = &apperr.Validation{}
	for _, f := range apperr.AsValidation(err).Fields {
		v.Errors.Add("passkey_"+f.Field, f.Message)
	}
	status := http.StatusUnprocessableEntity
	if errors.Is(err, errThrottled) {
		status = http.StatusTooManyRequests
	}
	s.render(w, r, status, "account_security", v)
}

var errThrottled = errors.New("throttled")

func (s *Server) passkeyRename(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	pid := r.PathValue("id")
	err := s.users.RenamePasskey(r.Context(), pid, r.PostFormValue("name"))
	if apperr.AsValidation(err) != nil {
		s.passkeyInvalid(w, r, pid, err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account/security#passkeys-heading", "Passkey renamed.")
}

func (s *Server) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	ctx := r.Context()
	pid := r.PathValue("id")
	wait, err := s.accounts.Blocked(ctx, reauthKey(r))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if wait > 0 {
		var v apperr.Validation
		v.Add("password", "Too many wrong passwords. "+retryAfter(w, wait))
		s.passkeyInvalid(w, r, pid, errors.Join(v.Err(), errThrottled))
		return
	}
	in, _ := currentSession(r)
	password := r.PostFormValue("password")
	err = s.users.RemovePasskey(ctx, user.PasskeyRemoval{ID: pid, Password: password, SessionID: in.Session.ID})
	if apperr.AsValidation(err) != nil {
		if ferr := s.reauthFailed(r, err); ferr != nil {
			s.serverError(w, r, ferr)
			return
		}
		s.passkeyInvalid(w, r, pid, err)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if password != "" && !s.reauthDone(w, r) {
		return
	}
	msg := "Passkey removed. It can no longer sign in to this account."
	if st, err := s.users.MFAStatus(ctx); err == nil && !st.SecondFactor() {
		msg = "Passkey removed. Two-factor sign-in is off: signing in takes only your password."
	}
	s.redirect(w, r, "/account/security#passkeys-heading", msg)
}

func (s *Server) passkeySignInBegin(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readPasskeyJSON(w, r)
	if !ok || !s.passkeysReady(w) {
		return
	}
	var in struct{ Next string }
	json.Unmarshal(body, &in)
	ctx := r.Context()
	c, err := s.passkeys.BeginSignIn(ctx)
	if err != nil {
		s.passkeyFail(w, r, err)
		return
	}
	s.sessions.Put(ctx, passkeySignInKey, string(c.State))
	s.sessions.Remove(ctx, passkeyPendingKey)
	s.sessions.Put(ctx, passkeyNextKey, safeNext(in.Next))
	jsonReply(w, http.StatusOK, c.Options)
}

// passkeySecondBegin starts the second sign-in step with a passkey, for
// the user who typed the right password.
func (s *Server) passkeySecondBegin(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.readPasskeyJSON(w, r); !ok || !s.passkeysReady(w) {
		return
	}
	ctx := r.Context()
	uid, ok := s.pendingUser(ctx)
	if !ok {
		jsonError(w, http.StatusUnauthorized, "The sign-in waited too long. Start again with your email and password.")
		return
	}
	c, err := s.passkeys.BeginSecondFactor(ctx, uid)
	if errors.Is(err, apperr.ErrNotFound) {
		jsonError(w, http.StatusNotFound, "Your account has no passkey. Type a code instead.")
		return
	}
	if err != nil {
		s.passkeyFail(w, r, err)
		return
	}
	s.sessions.Put(ctx, passkeySignInKey, string(c.State))
	s.sessions.Put(ctx, passkeyPendingKey, uid)
	s.sessions.Put(ctx, passkeyNextKey, safeNext(s.sessions.GetString(ctx, pendingNextKey)))
	jsonReply(w, http.StatusOK, c.Options)
}

// passkeySignInFinish signs in the user whose passkey answered: on its
// own, or as the second step after the password.
func (s *Server) passkeySignInFinish(w http.ResponseWriter, r *http.Request) {
	body, ok := s.readPasskeyJSON(w, r)
	if !ok || !s.passkeysReady(w) {
		return
	}
	ctx := r.Context()
	state := s.takeState(r, passkeySignInKey)
	pending := s.sessions.PopString(ctx, passkeyPendingKey)
	next := s.sessions.PopString(ctx, passkeyNextKey)
	if state == nil {
		jsonError(w, http.StatusBadRequest, "The passkey request had expired. Try again.")
		return
	}
	if pending != "" {
		if uid, ok := s.pendingUser(ctx); !ok || uid != pending {
			jsonError(w, http.StatusUnauthorized, "The sign-in waited too long. Start again with your email and password.")
			return
		}
	}
	c := clientFrom(ctx)
	u, err := s.passkeys.FinishSignIn(ctx, user.PasskeySignIn{State: state, Response: body, Address: c.address, UserAgent: c.userAgent})
	if err != nil {
		s.passkeyFail(w, r, err)
		return
	}
	if pending != "" && u.ID != pending {
		s.passkeyFail(w, r, user.ErrPasskeyRefused)
		return
	}
	if err := s.signInWith(ctx, u, user.MethodPasskey); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("login", "user_id", u.ID, "method", user.MethodPasskey)
	jsonReply(w, http.StatusOK, map[string]string{"redirect": safeNext(next)})
}
