package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/id"
)

// MaxBulkItems is the most items one bulk call takes.
const MaxBulkItems = 1000

// ContactBulkItem is one item of a bulk call: create a contact from data,
// or change the contact id with it.
type ContactBulkItem struct {
	Op   string          `json:"op"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Schema describes an item for the OpenAPI document: data is a
// ContactInput. The body is not validated as a whole (one bad item must
// not spoil the others); each item's data is validated on its own
// against this schema.
func (ContactBulkItem) Schema(r huma.Registry) *huma.Schema {
	data := r.Schema(reflect.TypeFor[ContactInput](), true, "ContactInput")
	return &huma.Schema{Type: huma.TypeObject, Required: []string{"op"}, AdditionalProperties: false,
		Description: "One item: create a contact, or change the contact `id` (only the fields sent change).",
		Properties: map[string]*huma.Schema{
			"op": {Type: huma.TypeString, Enum: []any{"create", "update"}, Description: "What to do with this item."},
			"id": {Type: huma.TypeString, Description: "The contact to change; required for update, left out for create.",
				Examples: []any{"01890a5d-ac96-774b-bcce-b302099a8057"}},
			"data": data,
		},
		Examples: []any{map[string]any{"op": "create", "data": map[string]any{"first_name": "Ada", "last_name": "Lovelace",
			"emails": []any{map[string]any{"address": "ada@example.com"}}}}},
	}
}

// ContactBulkInput is the body of a bulk call.
type ContactBulkInput struct {
	Items []ContactBulkItem `json:"items" minItems:"1" maxItems:"1000" doc:"1 to 1,000 items, applied in order."`
}

// BulkResult is one item's outcome, at the item's index.
type BulkResult struct {
	Index   int      `json:"index" minimum:"0" example:"0" doc:"The item's position in items, from 0."`
	Status  int      `json:"status" enum:"200,201,404,409,422" example:"201" doc:"201 created, 200 changed, 404 no such contact (or one you may not see), 409 an email belongs to another contact (possibly one created earlier in this call), 422 invalid item."`
	ID      string   `json:"id,omitempty" format:"uuid" example:"01890a5d-ac96-774b-bcce-b302099a8057" doc:"The contact's id, for 200 and 201."`
	Problem *Problem `json:"problem,omitempty" doc:"What was wrong with the item, for 404, 409 and 422; the item wrote nothing."`
}

// ContactBulkOutput reports every item, in the order sent.
type ContactBulkOutput struct {
	Results []BulkResult `json:"results" doc:"One result per item, in order."`
	Created int          `json:"created" example:"2" doc:"How many contacts were created."`
	Updated int          `json:"updated" example:"1" doc:"How many contacts were changed."`
	Failed  int          `json:"failed" example:"1" doc:"How many items wrote nothing."`
}

type contactBulk struct{ Body ContactBulkInput }
type contactBulkOut struct{ Body ContactBulkOutput }

func (a *API) bulkRoutes() {
	register(a, huma.Operation{OperationID: "bulk-contacts", Method: http.MethodPost, Path: Prefix + "/contacts/batch",
		Tags: []string{"Contacts"}, Summary: "Create and change many contacts",
		Description: "Up to 1,000 items in one call, applied in order. Each item is written whole or not at all, " +
			"with the same checks, permissions and timeline events as a single create or change; a bad item does " +
			"not stop the others. The answer is 200 with one result per item; the call as a whole fails only when " +
			"the list is empty or too long (422), your role may not create or change contacts (403), or the body " +
			"is not JSON of this shape (400).",
		SkipValidateBody: true, MaxBodyBytes: 16 << 20}, a.bulkContacts)
}

func (a *API) bulkContacts(ctx context.Context, in *contactBulk) (*contactBulkOut, error) {
	n := len(in.Body.Items)
	switch {
	case n == 0:
		return nil, newProblem(http.StatusUnprocessableEntity, "Check the fields listed in errors: items.",
			FieldError{Field: "items", Message: "Give at least 1 item."})
	case n > MaxBulkItems:
		return nil, newProblem(http.StatusUnprocessableEntity,
			fmt.Sprintf("A bulk call takes at most %d items; this one has %d. Split it into several calls.", MaxBulkItems, n),
			FieldError{Field: "items", Message: fmt.Sprintf("Give at most %d items.", MaxBulkItems)})
	}
	out := ContactBulkOutput{Results: make([]BulkResult, n)}
	var items []contact.BulkItem
	var at []int // at[k] is the index of items[k]
	for i, it := range in.Body.Items {
		out.Results[i].Index = i
		item, p := a.bulkItem(it)
		if p != nil {
			out.Results[i].Status, out.Results[i].Problem = p.Status, p
			continue
		}
		items = append(items, item)
		at = append(at, i)
	}
	if len(items) > 0 {
		res, err := a.o.Contacts.Bulk(ctx, items)
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		for k, r := range res {
			i := at[k]
			switch {
			case r.Err != nil:
				p, _ := a.fail(ctx, r.Err).(*Problem)
				out.Results[i].Status, out.Results[i].Problem = p.Status, p
			case items[k].Update:
				out.Results[i].Status, out.Results[i].ID = http.StatusOK, r.Contact.ID
			default:
				out.Results[i].Status, out.Results[i].ID = http.StatusCreated, r.Contact.ID
			}
		}
	}
	for _, r := range out.Results {
		switch r.Status {
		case http.StatusCreated:
			out.Created++
		case http.StatusOK:
			out.Updated++
		default:
			out.Failed++
		}
	}
	return &contactBulkOut{Body: out}, nil
}

// bulkItem checks one item's shape and validates its data against the
// ContactInput schema, as a single create or change would be.
func (a *API) bulkItem(it ContactBulkItem) (contact.BulkItem, *Problem) {
	var fields []FieldError
	switch it.Op {
	case "create":
		if it.ID != "" {
			fields = append(fields, FieldError{Field: "id", Message: "Leave the id out when creating a contact."})
		}
	case "update":
		if it.ID == "" {
			fields = append(fields, FieldError{Field: "id", Message: "Give the id of the contact to change."})
		} else if !id.Valid(it.ID) {
			return contact.BulkItem{}, newProblem(http.StatusNotFound, "There is no such record, or you may not see it.")
		}
	default:
		fields = append(fields, FieldError{Field: "op", Message: "Use create or update."})
	}
	data := bytes.TrimSpace(it.Data)
	if len(data) == 0 || string(data) == "null" {
		data = []byte("{}")
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		fields = append(fields, FieldError{Field: "data", Message: "Use an object here."})
	} else {
		reg := a.huma.OpenAPI().Components.Schemas
		res := &huma.ValidateResult{}
		huma.Validate(reg, reg.Schema(reflect.TypeFor[ContactInput](), true, "ContactInput"),
			huma.NewPathBuffer([]byte{}, 0), huma.ModeWriteToServer, raw, res)
		for _, err := range res.Errors {
			if d, ok := err.(*huma.ErrorDetail); ok {
				f := translate(d)
				if f.Field == "" {
					f.Field = "data"
				}
				fields = append(fields, f)
			}
		}
	}
	if len(fields) > 0 {
		return contact.BulkItem{}, newProblem(http.StatusUnprocessableEntity, checkFields(fields), fields...)
	}
	var in ContactInput
	if err := json.Unmarshal(data, &in); err != nil {
		return contact.BulkItem{}, newProblem(http.StatusUnprocessableEntity, "Check the fields listed in errors: data.",
			FieldError{Field: "data", Message: sentence(err.Error())})
	}
	return contact.BulkItem{Update: it.Op == "update", ID: it.ID, Input: in.service()}, nil
}
