package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// Settings → Users: the users, open invitations and the invitation form;
// per user their role, deactivation and the transfer of their records.
// The user service checks every action (the users object) and refuses
// with ErrForbidden, which s.fail turns into a 403.

// userRoutes registers the pages of: Settings → Users: invitations, roles, deactivation, record transfer.
func (s *Server) userRoutes(page func(pattern string, h http.HandlerFunc)) {
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /settings/users", s.userList)
	p("POST /settings/users/invite", s.inviteSend)
	p("POST /settings/invites/{id}/revoke", s.inviteRevoke)
	p("POST /settings/invites/{id}/resend", s.inviteResend)
	p("GET /settings/users/{id}", s.userShow)
	p("POST /settings/users/{id}/role", s.userRole)
	p("GET /settings/users/{id}/deactivate", s.userStatusConfirm)
	p("POST /settings/users/{id}/deactivate", s.userDeactivate)
	p("GET /settings/users/{id}/reactivate", s.userStatusConfirm)
	p("POST /settings/users/{id}/reactivate", s.userReactivate)
	p("GET /settings/users/{id}/transfer", s.transferForm)
	p("POST /settings/users/{id}/transfer", s.transferRecords)
	p("GET /settings/outbox", s.outboxList)
	p("GET /settings/outbox/{id}", s.outboxShow)

	// The invitation link is opened by someone who has no account yet.
	page("GET /invite/{token}", s.inviteAcceptForm)
	page("POST /invite/{token}", s.inviteAccept)
}

// ManagesUsers reports whether the signed-in user may open Settings →
// Users, for the card on the settings page.
func (p page) ManagesUsers() bool {
	return p.User != nil && access.Allowed(p.User.Actor(), access.Users, access.Read)
}

// ReadsOutbox reports whether the signed-in user may open Settings →
// Outbox: whoever may change settings (mail can carry sign-in links).
func (p page) ReadsOutbox() bool {
	return p.User != nil && access.Allowed(p.User.Actor(), access.Settings, access.Update)
}

// userRow is one user of the list.
type userRow struct {
	ID, Name, Email, RoleLabel string
	Teams                      []string
	Active                     bool
	You                        bool
	CreatedAt                  time.Time
}

// inviteRow is one open invitation.
type inviteRow struct {
	ID, Email, RoleLabel, InvitedBy string
	Teams                           []string
	CreatedAt, ExpiresAt            time.Time
	Expired                         bool
}

// option is one choice of a select or checklist.
type option struct {
	Value, Label string
	Checked      bool
}

// inviteForm is the invitation form's input, kept when it is re-rendered.
type inviteForm struct {
	Email, Role string
	Teams       []string
}

// sentInvite is the invitation just made, whose link is shown once.
type sentInvite struct {
	Email, Link string
	Delivering  bool
}

type usersView struct {
	page
	rights
	Users   []userRow
	Invites []inviteRow
	Roles   []option
	Teams   []option
	Form    inviteForm
	Sent    *sentInvite
	Errors  *apperr.Validation
}

// roleOptions lists the roles the signed-in user may give: owners give
// any, others every role but owner.
func (s *Server) roleOptions(r *http.Request, selected string) ([]option, map[string]string, error) {
	roles, err := s.users.Roles(r.Context())
	if err != nil {
		return nil, nil, err
	}
	a, _ := access.ActorFrom(r.Context())
	labels := map[string]string{}
	var out []option
	for _, ro := range roles {
		labels[ro.Name] = ro.Label
		if ro.Name == user.RoleOwner && !a.System && a.Role != user.RoleOwner {
			continue
		}
		out = append(out, option{Value: ro.Name, Label: ro.Label, Checked: ro.Name == selected})
	}
	return out, labels, nil
}

func (s *Server) usersView(r *http.Request, form inviteForm, sent *sentInvite, verr *apperr.Validation) (usersView, error) {
	ctx := r.Context()
	invites, err := s.users.Invites(ctx) // checks that the actor may read users
	if err != nil {
		return usersView{}, err
	}
	teams, err := s.users.Teams(ctx)
	if err != nil {
		return usersView{}, err
	}
	users, err := s.users.List(ctx)
	if err != nil {
		return usersView{}, err
	}
	if form.Role == "" {
		form.Role = user.RoleMember
	}
	roles, labels, err := s.roleOptions(r, form.Role)
	if err != nil {
		return usersView{}, err
	}
	v := usersView{page: s.page(r, "Users"), rights: userRights(r), Roles: roles, Form: form, Sent: sent, Errors: verr,
		Users: []userRow{}, Invites: []inviteRow{}}
	teamName := map[string]string{}
	memberOf := map[string][]string{}
	for _, t := range teams {
		teamName[t.ID] = t.Name
		for _, m := range t.Members {
			memberOf[m] = append(memberOf[m], t.Name)
		}
		v.Teams = append(v.Teams, option{Value: t.ID, Label: t.Name, Checked: slices.Contains(form.Teams, t.ID)})
	}
	self := me(r).ID
	for _, u := range users {
		v.Users = append(v.Users, userRow{ID: u.ID, Name: u.Name, Email: u.Email, RoleLabel: u.Access.Label,
			Teams: memberOf[u.ID], Active: u.DisabledAt.IsZero(), You: u.ID == self, CreatedAt: u.CreatedAt})
	}
	for _, in := range invites {
		row := inviteRow{ID: in.ID, Email: in.Email, RoleLabel: labels[in.Role], InvitedBy: in.CreatedByName,
			CreatedAt: in.CreatedAt, ExpiresAt: in.ExpiresAt, Expired: in.Status == user.InviteExpired}
		if row.RoleLabel == "" {
			row.RoleLabel = in.Role
		}
		for _, t := range in.TeamIDs {
			row.Teams = append(row.Teams, teamName[t])
		}
		v.Invites = append(v.Invites, row)
	}
	return v, nil
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, status int, form inviteForm, sent *sentInvite, verr *apperr.Validation) {
	v, err := s.usersView(r, form, sent, verr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "settings_users", v)
}

func (s *Server) userList(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, inviteForm{}, nil, nil)
}

// inviteSend invites and answers with the users page showing the link
// once; it is not stored, so a reload cannot show it again.
func (s *Server) inviteSend(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	form := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Role: r.PostFormValue("role"), Teams: r.PostForm["teams"]}
	in, err := s.users.Invite(r.Context(), form.Email, form.Role, form.Teams)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderUsers(w, r, invalidStatus(verr), form, nil, verr)
		return
	}
	s.renderUsers(w, r, http.StatusOK, inviteForm{}, &sentInvite{Email: in.Email, Link: in.Link, Delivering: s.cfg.SMTP != ""}, nil)
}

// inviteResend replaces an open invitation with a fresh one: a new link
// and a new week.
func (s *Server) inviteResend(w http.ResponseWriter, r *http.Request) {
	old, err := s.users.InviteByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if old.Status == user.InviteAccepted || old.Status == user.InviteRevoked {
		s.redirect(w, r, "/settings/users", "That invitation is closed; invite "+old.Email+" again below.")
		return
	}
	in, err := s.users.Invite(r.Context(), old.Email, old.Role, old.TeamIDs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderUsers(w, r, http.StatusOK, inviteForm{}, &sentInvite{Email: in.Email, Link: in.Link, Delivering: s.cfg.SMTP != ""}, nil)
}

func (s *Server) inviteRevoke(w http.ResponseWriter, r *http.Request) {
	in, err := s.users.InviteByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.users.Revoke(r.Context(), in.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/users#invites", "Invitation to "+in.Email+" withdrawn; its link no longer works.")
}

type userView struct {
	page
	rights
	Subject user.User
	Teams   []string
	Roles   []option
	You     bool
	// MayManage is false for an owner seen by a non-owner: only owners
	// change, deactivate or reactivate owners.
	MayManage bool
	Errors    *apperr.Validation
}

func (s *Server) userView(r *http.Request, u user.User, verr *apperr.Validation) (userView, error) {
	teams, err := s.users.TeamsOf(r.Context(), u.ID)
	if err != nil {
		return userView{}, err
	}
	roles, _, err := s.roleOptions(r, u.Role)
	if err != nil {
		return userView{}, err
	}
	a, _ := access.ActorFrom(r.Context())
	v := userView{page: s.page(r, u.Name), rights: userRights(r), Subject: u, Roles: roles, You: u.ID == a.UserID,
		MayManage: u.Role != user.RoleOwner || a.System || a.Role == user.RoleOwner, Errors: verr}
	for _, t := range teams {
		v.Teams = append(v.Teams, t.Name)
	}
	return v, nil
}

// subject loads the user a /settings/users/{id} page is about, for those
// who may read users.
func (s *Server) subject(w http.ResponseWriter, r *http.Request) (user.User, bool) {
	if _, err := access.Check(r.Context(), access.Users, access.Read); err != nil {
		s.fail(w, r, err)
		return user.User{}, false
	}
	u, err := s.users.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return u, false
	}
	return u, true
}

func (s *Server) userShow(w http.ResponseWriter, r *http.Request) {
	u, ok := s.subject(w, r)
	if !ok {
		return
	}
	v, err := s.userView(r, u, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_user", v)
}

func (s *Server) userRole(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	u, err := s.users.SetRole(r.Context(), r.PathValue("id"), r.PostFormValue("role"))
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v, err := s.userView(r, u, verr)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, invalidStatus(verr), "settings_user", v)
		return
	}
	s.redirect(w, r, "/settings/users/"+u.ID, u.Name+" is now "+u.Access.Label+".")
}

type userStatusView struct {
	page
	Subject    user.User
	Deactivate bool
	Errors     *apperr.Validation
}

func deactivating(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/deactivate") }

func (s *Server) userStatusConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Update); err != nil {
		s.fail(w, r, err)
		return
	}
	u, ok := s.subject(w, r)
	if !ok {
		return
	}
	title := "Reactivate " + u.Name
	if deactivating(r) {
		title = "Deactivate " + u.Name
	}
	s.render(w, r, http.StatusOK, "settings_user_status", userStatusView{page: s.page(r, title), Subject: u, Deactivate: deactivating(r)})
}

func (s *Server) changeStatus(w http.ResponseWriter, r *http.Request, change func(*http.Request, string) (user.User, error), done string) {
	u, err := change(r, r.PathValue("id"))
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		title := "Reactivate " + u.Name
		if deactivating(r) {
			title = "Deactivate " + u.Name
		}
		s.render(w, r, invalidStatus(verr), "settings_user_status", userStatusView{page: s.page(r, title), Subject: u,
			Deactivate: deactivating(r), Errors: verr})
		return
	}
	s.redirect(w, r, "/settings/users/"+u.ID, u.Name+" "+done)
}

func (s *Server) userDeactivate(w http.ResponseWriter, r *http.Request) {
	s.changeStatus(w, r, func(r *http.Request, id string) (user.User, error) { return s.users.Deactivate(r.Context(), id) },
		"is deactivated and signed out everywhere. Their records keep them as owner until you transfer them.")
}

func (s *Server) userReactivate(w http.ResponseWriter, r *http.Request) {
	s.changeStatus(w, r, func(r *http.Request, id string) (user.User, error) { return s.users.Reactivate(r.Context(), id) },
		"can sign in again.")
}

type transferView struct {
	page
	Subject user.User
	Targets []option
	To      string
	Result  *user.Transfer
	// Moved says what the transfer moved, one line per kind of record.
	Moved  []string
	Errors *apperr.Validation
}

// singular names one record of a kind that transfers move.
var singular = map[string]string{"contacts": "contact", "companies": "company"}

func movedLines(t *user.Transfer) []string {
	var out []string
	for _, m := range t.Moved {
		one := singular[m.Object]
		if one == "" {
			one = m.Object
		}
		out = append(out, thousands(m.Count)+" "+plural(m.Count, one, m.Object))
	}
	return out
}

func (s *Server) renderTransfer(w http.ResponseWriter, r *http.Request, status int, u user.User, to string, res *user.Transfer, verr *apperr.Validation) {
	users, err := s.users.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := transferView{page: s.page(r, "Transfer "+u.Name+"’s records"), Subject: u, To: to, Result: res, Errors: verr}
	if res != nil {
		v.Moved = movedLines(res)
	}
	for _, o := range users {
		if o.ID != u.ID && o.DisabledAt.IsZero() {
			v.Targets = append(v.Targets, option{Value: o.ID, Label: o.Name + " (" + o.Email + ")", Checked: o.ID == to})
		}
	}
	s.render(w, r, status, "settings_user_transfer", v)
}

func (s *Server) transferForm(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Update); err != nil {
		s.fail(w, r, err)
		return
	}
	u, ok := s.subject(w, r)
	if !ok {
		return
	}
	s.renderTransfer(w, r, http.StatusOK, u, "", nil, nil)
}

// transferRecords moves the records and answers with the counts moved.
func (s *Server) transferRecords(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	to := r.PostFormValue("to")
	res, err := s.users.TransferRecords(r.Context(), r.PathValue("id"), to)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderTransfer(w, r, invalidStatus(verr), res.From, to, nil, verr)
		return
	}
	s.renderTransfer(w, r, http.StatusOK, res.From, "", &res, nil)
}
