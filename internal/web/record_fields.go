package web

import (
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
)

// Settings → Custom fields: the definitions of both objects, their forms
// and the delete confirmation. The service decides who may change them;
// members and viewers see the list without the buttons.

type fieldGroup struct {
	Object, Label string
	Fields        []customfield.Field
}

type fieldsView struct {
	page
	Groups  []fieldGroup
	CanEdit bool
}

// TypeLabel names a field type.
func (fieldsView) TypeLabel(t customfield.Type) string { return typeLabel(t) }

func typeLabel(t customfield.Type) string {
	for _, x := range customfield.Types {
		if x.Type == t {
			return x.Label
		}
	}
	return string(t)
}

func objectLabel(object string) string {
	if object == customfield.ObjectCompany {
		return "Company"
	}
	if object == customfield.ObjectDeal {
		return "Deal"
	}
	return "Contact"
}

func (s *Server) fieldList(w http.ResponseWriter, r *http.Request) {
	v := fieldsView{page: s.page(r, "Custom fields"), CanEdit: mayConfigure(r)}
	for _, object := range []string{customfield.ObjectContact, customfield.ObjectCompany, customfield.ObjectDeal} {
		defs, err := s.fields.List(r.Context(), object)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Groups = append(v.Groups, fieldGroup{Object: object, Label: objectLabel(object), Fields: defs})
	}
	s.render(w, r, http.StatusOK, "settings_fields", v)
}

// fieldFormView is the form that creates or edits a definition. Key and
// type are chosen once: editing shows them without inputs.
type fieldFormView struct {
	page
	ID, Object, Label, Key, Currency, Options string
	Type                                      customfield.Type
	Required, Filterable                      bool
	Errors                                    *apperr.Validation
}

// Types fills the type select.
func (fieldFormView) Types() []struct {
	Type  customfield.Type
	Label string
} {
	return customfield.Types
}

// ObjectLabel and TypeLabel name the object and type in words.
func (v fieldFormView) ObjectLabel() string { return objectLabel(v.Object) }
func (v fieldFormView) TypeLabel() string   { return typeLabel(v.Type) }

// HasOptions reports whether the type takes options (for editing).
func (v fieldFormView) HasOptions() bool {
	return v.Type == customfield.Select || v.Type == customfield.MultiSelect
}

func (s *Server) fieldNew(w http.ResponseWriter, r *http.Request) {
	if !mayConfigure(r) {
		s.forbidden(w, r)
		return
	}
	object := r.URL.Query().Get("object")
	if object != customfield.ObjectCompany && object != customfield.ObjectDeal {
		object = customfield.ObjectContact
	}
	s.render(w, r, http.StatusOK, "settings_field_form", fieldFormView{page: s.page(r, "New "+strings.ToLower(objectLabel(object))+" field"),
		Object: object, Type: customfield.Text})
}

func (s *Server) fieldCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := fieldFormView{Object: r.PostFormValue("object"), Label: r.PostFormValue("label"),
		Key: strings.TrimSpace(r.PostFormValue("key")), Type: customfield.Type(r.PostFormValue("type")),
		Currency: r.PostFormValue("currency"), Options: r.PostFormValue("options"),
		Required: r.PostFormValue("required") != "", Filterable: r.PostFormValue("filterable") != ""}
	f, err := s.fields.Create(r.Context(), customfield.Field{Object: v.Object, Label: v.Label, Key: v.Key, Type: v.Type,
		Options: lines(v.Options), Currency: v.Currency, Required: v.Required, Filterable: v.Filterable})
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v.page, v.Errors = s.page(r, "New "+strings.ToLower(objectLabel(v.Object))+" field"), verr
		s.render(w, r, invalidStatus(verr), "settings_field_form", v)
		return
	}
	s.redirect(w, r, "/settings/fields#"+f.Object+"-fields", "Field “"+f.Label+"” added to "+kindPlural(f.Object)+".")
}

func (s *Server) fieldEdit(w http.ResponseWriter, r *http.Request) {
	if !mayConfigure(r) {
		s.forbidden(w, r)
		return
	}
	f, err := s.fields.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_field_form", fieldFormView{page: s.page(r, "Edit field "+f.Label),
		ID: f.ID, Object: f.Object, Label: f.Label, Key: f.Key, Type: f.Type, Currency: f.Currency,
		Options: strings.Join(f.Options, "\n"), Required: f.Required, Filterable: f.Filterable})
}

func (s *Server) fieldUpdate(w http.ResponseWriter, r *http.Request) {
	f, err := s.fields.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	v := fieldFormView{ID: f.ID, Object: f.Object, Key: f.Key, Type: f.Type, Currency: f.Currency,
		Label: r.PostFormValue("label"), Options: r.PostFormValue("options"),
		Required: r.PostFormValue("required") != "", Filterable: r.PostFormValue("filterable") != ""}
	p := customfield.Patch{Label: &v.Label, Required: &v.Required, Filterable: &v.Filterable}
	if v.HasOptions() {
		opts := lines(v.Options)
		p.Options = &opts
	}
	f, err = s.fields.Update(r.Context(), f.ID, p)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		v.page, v.Errors = s.page(r, "Edit field"), verr
		s.render(w, r, invalidStatus(verr), "settings_field_form", v)
		return
	}
	s.redirect(w, r, "/settings/fields#"+f.Object+"-fields", "Field “"+f.Label+"” saved.")
}

type fieldDeleteView struct {
	page
	Field customfield.Field
}

// ObjectLabel names the field's object.
func (v fieldDeleteView) ObjectLabel() string { return strings.ToLower(objectLabel(v.Field.Object)) }

func (s *Server) fieldDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	if !mayConfigure(r) {
		s.forbidden(w, r)
		return
	}
	f, err := s.fields.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_field_delete", fieldDeleteView{s.page(r, "Delete field "+f.Label), f})
}

func (s *Server) fieldDelete(w http.ResponseWriter, r *http.Request) {
	f, err := s.fields.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.fields.Delete(r.Context(), f.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/fields#"+f.Object+"-fields", "Field “"+f.Label+"” deleted.")
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
