package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/apperr"
)

// Settings → API keys: each user creates and revokes their own keys;
// owners and admins see everyone's and may revoke them. The secret of a
// new key is rendered in the answer to the form post, once, and never
// stored anywhere the page could show it again.

// apiKeyRoutes registers the pages of: Settings → API keys.
func (s *Server) apiKeyRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /settings/api-keys", s.requireUser(s.apiKeyList))
	page("POST /settings/api-keys", s.requireUser(s.apiKeyCreate))
	page("GET /settings/api-keys/{id}/revoke", s.requireUser(s.apiKeyRevokeConfirm))
	page("POST /settings/api-keys/{id}/revoke", s.requireUser(s.apiKeyRevoke))
}

// apiKeyRow is one key of the list.
type apiKeyRow struct {
	apikey.Key
	Status    string
	Mine      bool
	CanRevoke bool
}

// LastDay is the last day the key works, as the form took it.
func (k apiKeyRow) LastDay() string {
	return k.ExpiresAt.UTC().AddDate(0, 0, -1).Format("2 Jan 2006")
}

// scopeRow is one object of the scope checkboxes: read and write.
type scopeRow struct {
	Name, Label string
	Read, Write bool
}

type apiKeysView struct {
	page
	Keys []apiKeyRow
	// All is set when the list shows every user's keys (owners, admins).
	All bool
	// The form, with the input kept when it is refused.
	Name      string
	ExpiresOn string
	Today     string
	Scopes    []scopeRow
	Errors    *apperr.Validation
	// Created is the key just made, with its secret: shown this once.
	Created *apikey.Created
}

func (s *Server) apiKeysView(r *http.Request, in apikey.Input, verr *apperr.Validation) (apiKeysView, error) {
	admin := allowed(r, access.Users, access.Update)
	keys, err := s.apikeys.List(r.Context(), admin)
	if err != nil {
		return apiKeysView{}, err
	}
	me, _ := currentUser(r)
	now := time.Now()
	v := apiKeysView{page: s.page(r, "API keys"), All: admin, Name: in.Name, ExpiresOn: in.ExpiresOn,
		Today: now.UTC().Format(time.DateOnly), Errors: verr}
	for _, k := range keys {
		mine := k.UserID == me.ID
		status := k.Status(now)
		v.Keys = append(v.Keys, apiKeyRow{Key: k, Status: status, Mine: mine, CanRevoke: status == apikey.StatusActive && (mine || admin)})
	}
	for _, o := range access.Objects() {
		v.Scopes = append(v.Scopes, scopeRow{Name: o.Name, Label: o.Label,
			Read: slices.Contains(in.Scopes, o.Name+":read"), Write: slices.Contains(in.Scopes, o.Name+":write")})
	}
	return v, nil
}

func (s *Server) apiKeyList(w http.ResponseWriter, r *http.Request) {
	v, err := s.apiKeysView(r, apikey.Input{}, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_api_keys", v)
}

func (s *Server) apiKeyCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "That did not work", "The form could not be read.")
		return
	}
	in := apikey.Input{Name: r.PostForm.Get("name"), Scopes: r.PostForm["scope"], ExpiresOn: r.PostForm.Get("expires_on")}
	created, err := s.apikeys.Create(r.Context(), in)
	status := http.StatusOK
	verr := apperr.AsValidation(err)
	switch {
	case verr != nil:
		status = invalidStatus(verr)
	case err != nil:
		s.fail(w, r, err)
		return
	default:
		in = apikey.Input{}
	}
	v, lerr := s.apiKeysView(r, in, verr)
	if lerr != nil {
		s.fail(w, r, lerr)
		return
	}
	if err == nil {
		v.Created = &created
	}
	// The secret must not linger in a cache or the back-forward history.
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "settings_api_keys", v)
}

type apiKeyRevokeView struct {
	page
	Key  apikey.Key
	Mine bool
}

func (s *Server) apiKeyRevokeConfirm(w http.ResponseWriter, r *http.Request) {
	k, err := s.apikeys.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	me, _ := currentUser(r)
	s.render(w, r, http.StatusOK, "settings_api_key_revoke", apiKeyRevokeView{page: s.page(r, "Revoke API key"), Key: k, Mine: k.UserID == me.ID})
}

func (s *Server) apiKeyRevoke(w http.ResponseWriter, r *http.Request) {
	k, err := s.apikeys.Revoke(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/api-keys", "API key “"+k.Name+"” revoked: anything using it is refused from now on.")
}
