package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/view"
)

// Filter is a filter group, as in a list's filter parameter.
type Filter struct {
	Match      string      `json:"match,omitempty" enum:"all,any" doc:"all (AND, the default) or any (OR)."`
	Conditions []Condition `json:"conditions,omitempty"`
	Groups     []Filter    `json:"groups,omitempty"`
}

// Condition compares one field with a value.
type Condition struct {
	Field  string   `json:"field" example:"lifecycle_stage" doc:"A field key; custom fields are cf.<key>."`
	Op     string   `json:"op" example:"is" doc:"is, is_not, contains, starts_with, empty, not_empty, gt, lt, between, last_days, has_tag or not_has_tag, by field type."`
	Value  string   `json:"value,omitempty" example:"customer"`
	Values []string `json:"values,omitempty" doc:"The two bounds of between, or several values meaning any of them."`
}

// View is a saved list view: a filter, a sort and columns under a name.
type View struct {
	ID        string    `json:"id" format:"uuid"`
	Object    Object    `json:"object"`
	Name      string    `json:"name" example:"Hot leads"`
	OwnerID   string    `json:"owner_id" format:"uuid"`
	Shared    bool      `json:"shared" doc:"Shared views are visible to everyone; others only to their owner."`
	Filter    Filter    `json:"filter"`
	Sort      string    `json:"sort" example:"-updated_at"`
	Columns   []string  `json:"columns" example:"[\"name\",\"email\",\"lifecycle_stage\"]"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ViewInput saves a view; PUT replaces every property but the object.
type ViewInput struct {
	Object  Object   `json:"object,omitempty" doc:"Required for a new view; a view's object never changes."`
	Name    string   `json:"name" example:"Hot leads"`
	Shared  bool     `json:"shared,omitempty"`
	Filter  *Filter  `json:"filter,omitempty"`
	Sort    string   `json:"sort,omitempty" example:"-updated_at"`
	Columns []string `json:"columns,omitempty"`
}

func toView(v view.View) View {
	out := View{ID: v.ID, Object: Object(v.Object), Name: v.Name, OwnerID: v.OwnerID, Shared: v.Shared,
		Sort: v.Definition.Sort.String(), Columns: nonNil(v.Definition.Columns), CreatedAt: v.CreatedAt,
		UpdatedAt: v.UpdatedAt}
	// Same JSON shape both sides; the service's Condition reads numbers
	// and booleans as text.
	b, _ := json.Marshal(v.Definition.Filter)
	json.Unmarshal(b, &out.Filter)
	return out
}

func (in ViewInput) definition() (view.Definition, error) {
	d := view.Definition{Sort: query.ParseSort(in.Sort), Columns: in.Columns}
	if in.Filter != nil {
		b, _ := json.Marshal(in.Filter)
		if err := json.Unmarshal(b, &d.Filter); err != nil {
			return d, err
		}
	}
	return d, nil
}

type viewList struct {
	Object string `query:"object" enum:"contact,company" doc:"Only views of contacts or of companies; both when left out."`
}

// ViewList is the views you may use, by name.
type ViewList struct {
	Data []View `json:"data"`
}

type viewsOut struct{ Body ViewList }
type viewInput struct{ Body ViewInput }
type viewPut struct {
	IDPath
	Body ViewInput
}
type viewOut struct{ Body View }
type viewCreated struct {
	Location string `header:"Location" doc:"The new view's URL."`
	Body     View
}

func (a *API) viewRoutes() {
	tags := []string{"Saved views"}
	p := Prefix + "/views"
	register(a, huma.Operation{OperationID: "list-views", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List saved views", Description: "Your own views and the shared ones.",
		Errors: []int{http.StatusUnprocessableEntity}}, a.listViews)
	register(a, huma.Operation{OperationID: "create-view", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Save a view", DefaultStatus: http.StatusCreated}, a.createView)
	register(a, huma.Operation{OperationID: "get-view", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a saved view", Errors: []int{http.StatusNotFound}}, a.getView)
	register(a, huma.Operation{OperationID: "replace-view", Method: http.MethodPut, Path: p + "/{id}", Tags: tags,
		Summary: "Replace a view you own", Errors: []int{http.StatusNotFound}}, a.replaceView)
	register(a, huma.Operation{OperationID: "delete-view", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a view you own", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound}}, a.deleteView)
}

func (a *API) listViews(ctx context.Context, in *viewList) (*viewsOut, error) {
	objects := []string{customfield.ObjectContact, customfield.ObjectCompany}
	if in.Object != "" {
		objects = []string{in.Object}
	}
	out := &viewsOut{}
	out.Body.Data = []View{}
	for _, o := range objects {
		vs, err := a.o.Views.List(ctx, o)
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		for _, v := range vs {
			out.Body.Data = append(out.Body.Data, toView(v))
		}
	}
	return out, nil
}

// schema returns the list schema a view of object is checked against.
func (a *API) schema(ctx context.Context, object string) (*query.Schema, error) {
	switch object {
	case customfield.ObjectContact:
		return a.o.Contacts.Schema(ctx)
	case customfield.ObjectCompany:
		return a.o.Companies.Schema(ctx)
	case customfield.ObjectDeal:
		return a.o.Deals.Schema(ctx)
	}
	return nil, (&apperr.Validation{Fields: []apperr.FieldError{{Field: "object", Message: "Choose contact, company or deal."}}}).Err()
}

func (a *API) save(ctx context.Context, v view.View, in ViewInput) (view.View, error) {
	schema, err := a.schema(ctx, v.Object)
	if err != nil {
		return v, err
	}
	if v.Definition, err = in.definition(); err != nil {
		return v, err
	}
	v.Name, v.Shared = in.Name, in.Shared
	return a.o.Views.Save(ctx, schema, v)
}

func (a *API) createView(ctx context.Context, in *viewInput) (*viewCreated, error) {
	v, err := a.save(ctx, view.View{Object: string(in.Body.Object)}, in.Body)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &viewCreated{Location: Prefix + "/views/" + v.ID, Body: toView(v)}, nil
}

func (a *API) getView(ctx context.Context, in *IDPath) (*viewOut, error) {
	v, err := a.o.Views.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &viewOut{Body: toView(v)}, nil
}

func (a *API) replaceView(ctx context.Context, in *viewPut) (*viewOut, error) {
	old, err := a.o.Views.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	v, err := a.save(ctx, old, in.Body)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &viewOut{Body: toView(v)}, nil
}

func (a *API) deleteView(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Views.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}
