package web

import (
	"errors"
	"net/http"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// The public page of an invitation link: the invited person chooses a name
// and a password, and is signed in. Nobody needs to be signed in to open
// it; a link that is unknown (404), expired, used or withdrawn (410) gets
// a page that says so, and the user service records the attempt.

type inviteAcceptView struct {
	page
	Invite user.Invite
	Token  string
	Name   string
	Errors *apperr.Validation
}

// inviteRefused answers a link the user service refused.
func (s *Server) inviteRefused(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, user.ErrInviteUnknown):
		s.errorPage(w, r, http.StatusNotFound, "Invitation not found",
			"This invitation link is not valid. Check that you opened the whole link from the email, or ask for a new invitation.")
	case errors.Is(err, user.ErrInviteExpired):
		s.errorPage(w, r, http.StatusGone, "This invitation has expired",
			"Invitation links work for 7 days. Ask the person who invited you to send a new one.")
	case errors.Is(err, user.ErrInviteUsed):
		s.errorPage(w, r, http.StatusGone, "This invitation was already used",
			"Each invitation link works once. If you accepted it, sign in with your email and password.")
	case errors.Is(err, user.ErrInviteRevoked):
		s.errorPage(w, r, http.StatusGone, "This invitation was withdrawn",
			"The invitation is no longer valid. Ask the person who invited you for a new one.")
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) inviteAcceptForm(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	in, err := s.users.InviteByToken(r.Context(), token)
	if err != nil {
		s.inviteRefused(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "invite_accept", inviteAcceptView{page: s.page(r, "Join Rapport"), Invite: in, Token: token})
}

func (s *Server) inviteAccept(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	token, name := r.PathValue("token"), r.PostFormValue("name")
	u, err := s.users.Accept(r.Context(), token, name, r.PostFormValue("password"))
	if verr := apperr.AsValidation(err); verr != nil {
		in, err := s.users.InviteByToken(r.Context(), token)
		if err != nil {
			s.inviteRefused(w, r, err)
			return
		}
		s.render(w, r, invalidStatus(verr), "invite_accept", inviteAcceptView{page: s.page(r, "Join Rapport"), Invite: in,
			Token: token, Name: name, Errors: verr})
		return
	}
	if err != nil {
		s.inviteRefused(w, r, err)
		return
	}
	if err := s.signIn(r.Context(), u); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.log(r).Info("invitation accepted", "user_id", u.ID)
	s.redirect(w, r, "/", "Welcome to Rapport, "+u.Name+".")
}
