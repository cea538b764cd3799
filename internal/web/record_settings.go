package web

import (
	"net/http"
	"sort"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/setting"
)

// mayConfigure reports whether the signed-in user may change settings:
// owners and admins, the roles that may change custom fields.
func mayConfigure(r *http.Request) bool {
	return allowed(r, access.CustomFields, access.Update)
}

type settingsView struct {
	page
	Region        string
	RegionName    string
	ContactFields int
	CompanyFields int
	CanEdit       bool
	CanAudit      bool
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	region, err := setting.Region(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := settingsView{page: s.page(r, "Settings"), Region: region, RegionName: regionName(region), CanEdit: mayConfigure(r),
		CanAudit: allowed(r, access.Audit, access.Read)}
	for object, n := range map[string]*int{customfield.ObjectContact: &v.ContactFields, customfield.ObjectCompany: &v.CompanyFields} {
		defs, err := s.fields.List(r.Context(), object)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		*n = len(defs)
	}
	s.render(w, r, http.StatusOK, "settings", v)
}

// regionOption is one choice of the phone region select.
type regionOption struct{ Code, Name string }

type generalView struct {
	page
	Region  string
	Regions []regionOption
	CanEdit bool
	Errors  *apperr.Validation
}

func regionName(code string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if n := display.English.Regions().Name(r); n != "" {
		return n
	}
	return code
}

// regions lists every region the phone library knows, by name.
func regions() []regionOption {
	var out []regionOption
	for code := range phonenumbers.GetSupportedRegions() {
		out = append(out, regionOption{Code: code, Name: regionName(code)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (s *Server) settingsGeneral(w http.ResponseWriter, r *http.Request) {
	region, err := setting.Region(r.Context(), s.db.R)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_general", generalView{page: s.page(r, "General settings"),
		Region: region, Regions: regions(), CanEdit: mayConfigure(r)})
}

func (s *Server) settingsGeneralSave(w http.ResponseWriter, r *http.Request) {
	if !mayConfigure(r) {
		s.forbidden(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	region := strings.ToUpper(strings.TrimSpace(r.PostFormValue("phone_region")))
	if err := setting.ChangeRegion(r.Context(), s.db, region); err != nil {
		if v := apperr.AsValidation(err); v != nil {
			s.render(w, r, http.StatusUnprocessableEntity, "settings_general", generalView{page: s.page(r, "General settings"),
				Region: region, Regions: regions(), CanEdit: true, Errors: v})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/general", "Default phone region set to "+regionName(region)+".")
}
