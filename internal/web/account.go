package web

import (
	"errors"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// accountRoutes registers the pages of: Account → Security: two-factor sign-in, sessions, password.
func (s *Server) accountRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /login/mfa", s.loginMFAForm)
	page("POST /login/mfa", s.loginMFA)
	page("GET /account", s.requireUser(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
	}))
	page("GET /account/security", s.requireUser(s.security))
	page("POST /account/security/password", s.requireUser(s.changePassword))
	page("GET "+enrolmentPath, s.requireUser(s.enrolForm))
	page("POST "+enrolmentPath+"/start", s.requireUser(s.enrolStart))
	page("GET "+enrolmentPath+"/qr.png", s.requireUser(s.enrolQR))
	page("POST "+enrolmentPath, s.requireUser(s.enrolConfirm))
	page("POST "+enrolmentPath+"/disable", s.requireUser(s.disableMFA))
	page("GET /account/security/recovery-codes", s.requireUser(s.recoveryCodes))
	page("GET /account/security/recovery-codes.txt", s.requireUser(s.recoveryCodesText))
	page("POST /account/security/recovery-codes", s.requireUser(s.regenerateCodes))
	page("POST /account/security/recovery-codes/done", s.requireUser(s.recoveryCodesDone))
	page("POST /account/sessions/{id}/revoke", s.requireUser(s.revokeSession))
	page("POST /account/sessions/revoke-others", s.requireUser(s.revokeOtherSessions))
	page("GET /settings/security", s.requireUser(s.settingsSecurity))
	page("POST /settings/security", s.requireUser(s.settingsSecuritySave))
	s.passkeyRoutes(page)
}

// Session keys of the Security pages: the secret being enrolled, and new
// recovery codes until the user says they are saved.
const (
	enrolSecretKey   = "totp_enrol_secret"
	recoveryCodesKey = "recovery_codes"
)

// sessionRow is one line of the "Active sessions" list.
type sessionRow struct {
	ID       string
	Address  string
	Browser  string
	Created  time.Time
	LastSeen time.Time
	Current  bool
}

type securityView struct {
	page
	MFA      user.MFAStatus
	Required bool
	Passkeys passkeysSection
	Sessions []sessionRow
	// Errors holds the messages of the one form that was sent: its fields
	// are current_password, new_password, confirm_password,
	// disable_password or regenerate_password.
	Errors *apperr.Validation
	// Throttled is the message shown when too many passwords were wrong.
	Throttled string
}

func (s *Server) securityView(r *http.Request) (securityView, error) {
	v := securityView{page: s.page(r, "Security")}
	var err error
	if v.MFA, err = s.users.MFAStatus(r.Context()); err != nil {
		return v, err
	}
	in, _ := currentSession(r)
	v.Required = in.RequireMFA
	if v.Passkeys, err = s.passkeysSection(r); err != nil {
		return v, err
	}
	list, err := s.users.Sessions(r.Context(), IdleTimeout)
	if err != nil {
		return v, err
	}
	for _, ss := range list {
		if time.Since(ss.CreatedAt) > SessionLifetime {
			continue // its cookie session has ended, whatever its last use
		}
		v.Sessions = append(v.Sessions, sessionRow{ID: ss.ID, Address: ss.Address, Browser: browserName(ss.UserAgent),
			Created: ss.CreatedAt, LastSeen: ss.LastSeenAt, Current: ss.ID == in.Session.ID})
	}
	return v, nil
}

func (s *Server) security(w http.ResponseWriter, r *http.Request) {
	v, err := s.securityView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "account_security", v)
}

// securityInvalid re-renders the Security page with the messages of err
// under the names of the form that was sent.
func (s *Server) securityInvalid(w http.ResponseWriter, r *http.Request, err error, rename map[string]string) {
	v, verr := s.securityView(r)
	if verr != nil {
		s.fail(w, r, verr)
		return
	}
	v.Errors = &apperr.Validation{}
	for _, f := range apperr.AsValidation(err).Fields {
		if to, ok := rename[f.Field]; ok {
			f.Field = to
		}
		v.Errors.Add(f.Field, f.Message)
	}
	s.render(w, r, http.StatusUnprocessableEntity, "account_security", v)
}

// reauthBlocked answers, and reports true, when the user typed too many
// wrong passwords on the Security page lately. field names the form's
// password field for the message.
func (s *Server) reauthBlocked(w http.ResponseWriter, r *http.Request, field string) bool {
	wait, err := s.accounts.Blocked(r.Context(), reauthKey(r))
	if err != nil {
		s.serverError(w, r, err)
		return true
	}
	if wait == 0 {
		return false
	}
	v, verr := s.securityView(r)
	if verr != nil {
		s.fail(w, r, verr)
		return true
	}
	v.Errors = &apperr.Validation{}
	v.Errors.Add(field, "Too many wrong passwords. "+retryAfter(w, wait))
	s.render(w, r, http.StatusTooManyRequests, "account_security", v)
	return true
}

func reauthKey(r *http.Request) string { return "reauth:user:" + me(r).ID }

// reauthFailed counts a wrong password typed on the Security page.
func (s *Server) reauthFailed(r *http.Request, err error) error {
	if errors.Is(err, user.ErrBadCredentials) {
		return s.accounts.Fail(r.Context(), reauthKey(r))
	}
	return nil
}

// reauthDone forgets the wrong passwords once the right one was typed.
func (s *Server) reauthDone(w http.ResponseWriter, r *http.Request) bool {
	if err := s.accounts.Reset(r.Context(), reauthKey(r)); err != nil {
		s.serverError(w, r, err)
		return false
	}
	return true
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || s.reauthBlocked(w, r, "current_password") {
		return
	}
	in, _ := currentSession(r)
	err := s.users.ChangePassword(r.Context(), user.PasswordChange{
		Current: r.PostFormValue("current_password"), New: r.PostFormValue("new_password"),
		Confirm: r.PostFormValue("confirm_password"), KeepSessionID: in.Session.ID})
	if apperr.AsValidation(err) != nil {
		if ferr := s.reauthFailed(r, err); ferr != nil {
			s.serverError(w, r, ferr)
			return
		}
		s.securityInvalid(w, r, err, nil)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.reauthDone(w, r) {
		return
	}
	// A new token too: whoever might hold the old cookie holds nothing.
	if err := s.sessions.RenewToken(r.Context()); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.redirect(w, r, "/account/security", "Password changed. Every other session was signed out.")
}

type enrolView struct {
	page
	// Secret is the secret being enrolled; "" before the user starts.
	Secret string
	// Required is set when the organisation requires two-factor sign-in.
	Required bool
	// Passkey is the form to add a passkey instead, for people who must
	// set up a second factor.
	Passkey passkeyAdd
	Code    string
	Errors  *apperr.Validation
}

// SecretGroups writes the secret in groups of four, as people type it.
func (v enrolView) SecretGroups() string {
	var b strings.Builder
	for i, r := range v.Secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) {
	in, _ := currentSession(r)
	st, err := s.users.MFAStatus(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if st.Enabled {
		s.redirect(w, r, "/account/security", "Two-factor sign-in is already on.")
		return
	}
	s.render(w, r, http.StatusOK, "account_mfa", enrolView{page: s.page(r, "Set up two-factor sign-in"),
		Secret: s.sessions.GetString(r.Context(), enrolSecretKey), Required: in.RequireMFA && !in.MFA,
		Passkey: s.passkeyAddView(r)})
}

func (s *Server) enrolStart(w http.ResponseWriter, r *http.Request) {
	e, err := s.users.BeginTOTP(r.Context())
	if errors.Is(err, apperr.ErrConflict) {
		s.redirect(w, r, "/account/security", "Two-factor sign-in is already on.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), enrolSecretKey, e.Secret)
	http.Redirect(w, r, enrolmentPath, http.StatusSeeOther)
}

// enrolQR draws the secret being enrolled as a QR code. It is a URL of
// its own because the CSP allows images from this site only.
func (s *Server) enrolQR(w http.ResponseWriter, r *http.Request) {
	secret := s.sessions.GetString(r.Context(), enrolSecretKey)
	if secret == "" {
		s.notFound(w, r)
		return
	}
	u, err := s.users.EnrolmentURL(r.Context(), secret)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := otp.NewKeyFromURL(u)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	img, err := key.Image(264, 264)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	png.Encode(w, img)
}

func (s *Server) enrolConfirm(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	secret := s.sessions.GetString(r.Context(), enrolSecretKey)
	if secret == "" {
		s.redirect(w, r, enrolmentPath, "The setup had expired. Start again: scan the new code.")
		return
	}
	code := strings.TrimSpace(r.PostFormValue("code"))
	codes, err := s.users.ConfirmTOTP(r.Context(), user.TOTPConfirmation{Secret: secret, Code: code})
	if v := apperr.AsValidation(err); v != nil {
		in, _ := currentSession(r)
		s.render(w, r, http.StatusUnprocessableEntity, "account_mfa", enrolView{page: s.page(r, "Set up two-factor sign-in"),
			Secret: secret, Required: in.RequireMFA && !in.MFA, Passkey: s.passkeyAddView(r), Code: code, Errors: v})
		return
	}
	if errors.Is(err, apperr.ErrConflict) {
		s.sessions.Remove(r.Context(), enrolSecretKey)
		s.redirect(w, r, "/account/security", "Two-factor sign-in is already on.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Remove(r.Context(), enrolSecretKey)
	s.sessions.Put(r.Context(), recoveryCodesKey, strings.Join(codes, "\n"))
	s.redirect(w, r, "/account/security/recovery-codes", "Two-factor sign-in is on.")
}

func (s *Server) disableMFA(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || s.reauthBlocked(w, r, "disable_password") {
		return
	}
	err := s.users.DisableTOTP(r.Context(), r.PostFormValue("disable_password"))
	if apperr.AsValidation(err) != nil {
		if ferr := s.reauthFailed(r, err); ferr != nil {
			s.serverError(w, r, ferr)
			return
		}
		s.securityInvalid(w, r, err, map[string]string{"password": "disable_password"})
		return
	}
	if err != nil && !errors.Is(err, apperr.ErrConflict) {
		s.fail(w, r, err)
		return
	}
	if !s.reauthDone(w, r) {
		return
	}
	s.redirect(w, r, "/account/security", "Two-factor sign-in is off. Your recovery codes no longer work.")
}

type recoveryView struct {
	page
	Codes []string
}

// newCodes returns the recovery codes waiting to be shown, if any.
func (s *Server) newCodes(r *http.Request) []string {
	c := s.sessions.GetString(r.Context(), recoveryCodesKey)
	if c == "" {
		return nil
	}
	return strings.Split(c, "\n")
}

func (s *Server) recoveryCodes(w http.ResponseWriter, r *http.Request) {
	codes := s.newCodes(r)
	if codes == nil {
		http.Redirect(w, r, "/account/security", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "account_recovery", recoveryView{page: s.page(r, "Recovery codes"), Codes: codes})
}

func (s *Server) recoveryCodesText(w http.ResponseWriter, r *http.Request) {
	codes := s.newCodes(r)
	if codes == nil {
		s.notFound(w, r)
		return
	}
	u := me(r)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="rapport-recovery-codes.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	var b strings.Builder
	b.WriteString("Rapport recovery codes for " + u.Email + "\n")
	b.WriteString("Made " + time.Now().UTC().Format("2 Jan 2006 15:04 MST") + ". Each code signs in once, when your authenticator app is not at hand.\n\n")
	for _, c := range codes {
		b.WriteString(c + "\n")
	}
	w.Write([]byte(b.String()))
}

func (s *Server) regenerateCodes(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || s.reauthBlocked(w, r, "regenerate_password") {
		return
	}
	codes, err := s.users.RegenerateRecoveryCodes(r.Context(), r.PostFormValue("regenerate_password"))
	if apperr.AsValidation(err) != nil {
		if ferr := s.reauthFailed(r, err); ferr != nil {
			s.serverError(w, r, ferr)
			return
		}
		s.securityInvalid(w, r, err, map[string]string{"password": "regenerate_password"})
		return
	}
	if errors.Is(err, apperr.ErrConflict) {
		s.redirect(w, r, "/account/security", "Turn two-factor sign-in on first; recovery codes come with it.")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.reauthDone(w, r) {
		return
	}
	s.sessions.Put(r.Context(), recoveryCodesKey, strings.Join(codes, "\n"))
	s.redirect(w, r, "/account/security/recovery-codes", "New recovery codes made. The old ones no longer work.")
}

func (s *Server) recoveryCodesDone(w http.ResponseWriter, r *http.Request) {
	s.sessions.Remove(r.Context(), recoveryCodesKey)
	http.Redirect(w, r, "/account/security", http.StatusSeeOther)
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) {
	sid := r.PathValue("id")
	if err := s.users.RevokeSession(r.Context(), sid); err != nil {
		s.fail(w, r, err)
		return
	}
	if in, _ := currentSession(r); in.Session.ID == sid {
		if err := s.sessions.Destroy(r.Context()); err != nil {
			s.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.redirect(w, r, "/account/security", "That session was signed out.")
}

func (s *Server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	in, _ := currentSession(r)
	n, err := s.users.RevokeOtherSessions(r.Context(), in.Session.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "There were no other sessions."
	if n > 0 {
		msg = "Signed out " + count(n, "other session", "other sessions") + "."
	}
	s.redirect(w, r, "/account/security", msg)
}

// browserName names the browser and system of a User-Agent header in a
// few words, e.g. "Firefox on Windows".
func browserName(ua string) string {
	if ua == "" {
		return "Unknown browser"
	}
	var b string
	switch {
	case strings.Contains(ua, "Edg/"):
		b = "Edge"
	case strings.Contains(ua, "OPR/"):
		b = "Opera"
	case strings.Contains(ua, "Firefox/"):
		b = "Firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "Chromium/"):
		b = "Chrome"
	case strings.Contains(ua, "Safari/"):
		b = "Safari"
	default:
		name, _, _ := strings.Cut(ua, "/")
		if len(name) > 40 {
			name = name[:40]
		}
		return name
	}
	var os string
	switch {
	case strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad"):
		os = "iOS"
	case strings.Contains(ua, "Android"):
		os = "Android"
	case strings.Contains(ua, "Windows"):
		os = "Windows"
	case strings.Contains(ua, "Mac OS X") || strings.Contains(ua, "Macintosh"):
		os = "macOS"
	case strings.Contains(ua, "CrOS"):
		os = "ChromeOS"
	case strings.Contains(ua, "Linux"):
		os = "Linux"
	default:
		return b
	}
	return b + " on " + os
}
