package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// Settings → Teams and Settings → Roles. The user service checks who may
// read and change teams and roles (the users object); pages that call no
// checking service ask access.Check themselves, and every refusal goes
// through s.fail, so it is a 403.

// teamRoutes registers the pages of: Settings → Teams and Roles: teams and custom roles.
func (s *Server) teamRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /settings/teams", s.requireUser(s.teamList))
	page("GET /settings/teams/new", s.requireUser(s.teamNew))
	page("POST /settings/teams", s.requireUser(s.teamCreate))
	page("GET /settings/teams/{id}", s.requireUser(s.teamEdit))
	page("POST /settings/teams/{id}", s.requireUser(s.teamUpdate))
	page("GET /settings/teams/{id}/delete", s.requireUser(s.teamDeleteConfirm))
	page("POST /settings/teams/{id}/delete", s.requireUser(s.teamDelete))

	page("GET /settings/roles", s.requireUser(s.roleList))
	page("GET /settings/roles/new", s.requireUser(s.roleNew))
	page("POST /settings/roles", s.requireUser(s.roleCreate))
	page("GET /settings/roles/{name}", s.requireUser(s.roleEdit))
	page("POST /settings/roles/{name}", s.requireUser(s.roleUpdate))
	page("GET /settings/roles/{name}/delete", s.requireUser(s.roleDeleteConfirm))
	page("POST /settings/roles/{name}/delete", s.requireUser(s.roleDelete))
}

// ManagesTeamsAndRoles reports whether the signed-in user may open
// Settings → Teams and Roles, for the cards on the settings page.
func (p page) ManagesTeamsAndRoles() bool {
	return p.User != nil && access.Allowed(p.User.Actor(), access.Users, access.Read)
}

// rights says which buttons a teams or roles page shows.
type rights struct {
	CanCreate, CanEdit, CanDelete bool
}

func userRights(r *http.Request) rights {
	return rights{CanCreate: allowed(r, access.Users, access.Create), CanEdit: allowed(r, access.Users, access.Update),
		CanDelete: allowed(r, access.Users, access.Delete)}
}

// teamRow is one team of the list, its members by name.
type teamRow struct {
	ID, Name string
	Members  []string
}

type teamsView struct {
	page
	rights
	Teams []teamRow
}

// userNames maps user IDs to names.
func (s *Server) userNames(r *http.Request) (map[string]user.User, []user.User, error) {
	us, err := s.users.List(r.Context())
	if err != nil {
		return nil, nil, err
	}
	m := make(map[string]user.User, len(us))
	for _, u := range us {
		m[u.ID] = u
	}
	return m, us, nil
}

func (s *Server) teamList(w http.ResponseWriter, r *http.Request) {
	ts, err := s.users.Teams(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	byID, _, err := s.userNames(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := teamsView{page: s.page(r, "Teams"), rights: userRights(r)}
	for _, t := range ts {
		row := teamRow{ID: t.ID, Name: t.Name}
		for _, m := range t.Members {
			row.Members = append(row.Members, byID[m].Name)
		}
		v.Teams = append(v.Teams, row)
	}
	s.render(w, r, http.StatusOK, "settings_teams", v)
}

// memberOption is one user of the members checklist.
type memberOption struct {
	ID, Name, Email string
	Disabled        bool
	Checked         bool
}

type teamFormView struct {
	page
	ID, Name string
	Users    []memberOption
	Errors   *apperr.Validation
}

// teamForm fills the form's view: the active users, and members who have
// since been deactivated so that saving does not drop them unseen.
func (s *Server) teamForm(r *http.Request, title, teamID, name string, members []string, verr *apperr.Validation) (teamFormView, error) {
	_, us, err := s.userNames(r)
	if err != nil {
		return teamFormView{}, err
	}
	v := teamFormView{page: s.page(r, title), ID: teamID, Name: name, Errors: verr}
	for _, u := range us {
		checked := slices.Contains(members, u.ID)
		disabled := !u.DisabledAt.IsZero()
		if disabled && !checked {
			continue
		}
		v.Users = append(v.Users, memberOption{ID: u.ID, Name: u.Name, Email: u.Email, Disabled: disabled, Checked: checked})
	}
	return v, nil
}

func (s *Server) renderTeamForm(w http.ResponseWriter, r *http.Request, status int, title, teamID, name string, members []string, verr *apperr.Validation) {
	v, err := s.teamForm(r, title, teamID, name, members, verr)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "settings_team_form", v)
}

func (s *Server) teamNew(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTeamForm(w, r, http.StatusOK, "New team", "", "", nil, nil)
}

// postedMembers reads the ticked members, without blanks.
func postedMembers(r *http.Request) []string {
	var out []string
	for _, m := range r.PostForm["members"] {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

func (s *Server) teamCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	name, members := r.PostFormValue("name"), postedMembers(r)
	t, err := s.users.CreateTeam(r.Context(), name, members)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderTeamForm(w, r, invalidStatus(verr), "New team", "", name, members, verr)
		return
	}
	s.redirect(w, r, "/settings/teams#team-"+t.ID, "Team “"+t.Name+"” created.")
}

func (s *Server) teamEdit(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Update); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.users.Team(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderTeamForm(w, r, http.StatusOK, "Edit team "+t.Name, t.ID, t.Name, t.Members, nil)
}

func (s *Server) teamUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	name, members := r.PostFormValue("name"), postedMembers(r)
	t, err := s.users.UpdateTeam(r.Context(), r.PathValue("id"), name, members)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderTeamForm(w, r, invalidStatus(verr), "Edit team", r.PathValue("id"), name, members, verr)
		return
	}
	s.redirect(w, r, "/settings/teams#team-"+t.ID, "Team “"+t.Name+"” saved.")
}

type teamDeleteView struct {
	page
	Team    user.Team
	Members int
}

func (s *Server) teamDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Delete); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.users.Team(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_team_delete", teamDeleteView{s.page(r, "Delete team "+t.Name), t, len(t.Members)})
}

func (s *Server) teamDelete(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), access.Users, access.Delete); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.users.Team(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.users.DeleteTeam(r.Context(), t.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/teams", "Team “"+t.Name+"” deleted.")
}
