package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/tag"
)

// CustomField is the definition of a field an organisation added to
// contacts or companies. Values live under the record's custom object,
// keyed by key; filters and sorts name it cf.<key>.
type CustomField struct {
	ID         string    `json:"id" format:"uuid"`
	Object     Object    `json:"object"`
	Key        string    `json:"key" example:"plan"`
	Label      string    `json:"label" example:"Plan"`
	Type       FieldType `json:"type"`
	Options    []string  `json:"options,omitempty" example:"[\"free\",\"pro\",\"team\"]" doc:"The choices of a select or multi_select field."`
	Currency   string    `json:"currency,omitempty" example:"EUR" doc:"ISO 4217 code of a currency field; values are integer minor units."`
	Required   bool      `json:"required"`
	Filterable bool      `json:"filterable" doc:"Filterable fields are indexed."`
	Position   int       `json:"position" doc:"Display order."`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toField(f customfield.Field) CustomField {
	return CustomField{ID: f.ID, Object: Object(f.Object), Key: f.Key, Label: f.Label, Type: FieldType(f.Type),
		Options: f.Options, Currency: f.Currency, Required: f.Required, Filterable: f.Filterable,
		Position: f.Position, CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt}
}

// CustomFieldInput defines a new custom field.
type CustomFieldInput struct {
	Object     Object    `json:"object"`
	Key        string    `json:"key,omitempty" example:"plan" doc:"Lowercase letters, digits and underscores, starting with a letter; derived from the label when left out. It never changes."`
	Label      string    `json:"label" example:"Plan"`
	Type       FieldType `json:"type" doc:"It never changes."`
	Options    []string  `json:"options,omitempty" example:"[\"free\",\"pro\",\"team\"]" doc:"Required for select and multi_select."`
	Currency   string    `json:"currency,omitempty" example:"EUR" doc:"Required for currency."`
	Required   bool      `json:"required,omitempty"`
	Filterable bool      `json:"filterable,omitempty"`
	Position   int       `json:"position,omitempty" doc:"Display order; after the others when left out."`
}

// CustomFieldPatch changes a definition; fields left out stay as they are.
type CustomFieldPatch struct {
	Label      *string   `json:"label,omitempty"`
	Options    *[]string `json:"options,omitempty"`
	Required   *bool     `json:"required,omitempty"`
	Filterable *bool     `json:"filterable,omitempty"`
	Position   *int      `json:"position,omitempty"`
}

// Tag is a label on contacts and companies, with how many carry it.
type Tag struct {
	ID        string `json:"id" format:"uuid"`
	Name      string `json:"name" example:"vip"`
	Contacts  int    `json:"contacts" doc:"Live contacts with the tag."`
	Companies int    `json:"companies" doc:"Live companies with the tag."`
}

type fieldList struct {
	Object string `query:"object" enum:"contact,company,deal" doc:"Only the fields of contacts, companies or deals; all when left out."`
}

// CustomFieldList is every definition asked for, in display order.
type CustomFieldList struct {
	Data []CustomField `json:"data"`
}

type fieldsOut struct{ Body CustomFieldList }
type fieldInput struct{ Body CustomFieldInput }
type fieldPatch struct {
	IDPath
	Body CustomFieldPatch
}
type fieldOut struct{ Body CustomField }
type fieldCreated struct {
	Location string `header:"Location" doc:"The new field's URL."`
	Body     CustomField
}

// TagList is every tag, by name.
type TagList struct {
	Data []Tag `json:"data"`
}

type tagsOut struct{ Body TagList }

func (a *API) fieldRoutes() {
	tags := []string{"Custom fields"}
	p := Prefix + "/custom-fields"
	register(a, huma.Operation{OperationID: "list-custom-fields", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List custom field definitions", Errors: []int{http.StatusUnprocessableEntity}}, a.listFields)
	register(a, huma.Operation{OperationID: "create-custom-field", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Define a custom field", Description: "Owners and admins only.", DefaultStatus: http.StatusCreated}, a.createField)
	register(a, huma.Operation{OperationID: "get-custom-field", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a custom field definition", Errors: []int{http.StatusNotFound}}, a.getField)
	register(a, huma.Operation{OperationID: "update-custom-field", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a custom field definition", Description: "Owners and admins only. Key and type never change.",
		Errors: []int{http.StatusNotFound}}, a.updateField)
	register(a, huma.Operation{OperationID: "delete-custom-field", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary:       "Delete a custom field definition",
		Description:   "Owners and admins only. Stored values stay in the records and come back if the key is defined again.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteField)
}

func (a *API) tagRoutes() {
	register(a, huma.Operation{OperationID: "list-tags", Method: http.MethodGet, Path: Prefix + "/tags",
		Tags: []string{"Tags"}, Summary: "List tags", Description: "Every tag by name, with usage counts."}, a.listTags)
}

func (a *API) listFields(ctx context.Context, in *fieldList) (*fieldsOut, error) {
	objects := []string{customfield.ObjectContact, customfield.ObjectCompany, customfield.ObjectDeal}
	if in.Object != "" {
		objects = []string{in.Object}
	}
	out := &fieldsOut{}
	out.Body.Data = []CustomField{}
	for _, o := range objects {
		fs, err := a.o.Fields.List(ctx, o)
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		for _, f := range fs {
			out.Body.Data = append(out.Body.Data, toField(f))
		}
	}
	return out, nil
}

func (a *API) createField(ctx context.Context, in *fieldInput) (*fieldCreated, error) {
	b := in.Body
	f, err := a.o.Fields.Create(ctx, customfield.Field{Object: string(b.Object), Key: b.Key, Label: b.Label,
		Type: customfield.Type(b.Type), Options: b.Options, Currency: b.Currency, Required: b.Required,
		Filterable: b.Filterable, Position: b.Position})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &fieldCreated{Location: Prefix + "/custom-fields/" + f.ID, Body: toField(f)}, nil
}

func (a *API) getField(ctx context.Context, in *IDPath) (*fieldOut, error) {
	f, err := a.o.Fields.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &fieldOut{Body: toField(f)}, nil
}

func (a *API) updateField(ctx context.Context, in *fieldPatch) (*fieldOut, error) {
	b := in.Body
	f, err := a.o.Fields.Update(ctx, in.ID, customfield.Patch{Label: b.Label, Options: b.Options,
		Required: b.Required, Filterable: b.Filterable, Position: b.Position})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &fieldOut{Body: toField(f)}, nil
}

func (a *API) deleteField(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Fields.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) listTags(ctx context.Context, _ *struct{}) (*tagsOut, error) {
	// tag.List has no access check of its own: reading tags is reading
	// the contacts they sit on.
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return nil, a.fail(ctx, err)
	}
	ts, err := tag.List(ctx, a.o.DB.R)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &tagsOut{}
	out.Body.Data = make([]Tag, len(ts))
	for i, t := range ts {
		out.Body.Data[i] = Tag(t)
	}
	return out, nil
}
