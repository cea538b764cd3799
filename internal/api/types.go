package api

import (
	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/record"
)

// The enums below take their values from the services, so the OpenAPI
// document cannot drift from the rules.

// Stage is a contact's lifecycle stage.
type Stage string

// Schema lists the stages.
func (Stage) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(contact.Stages))
	for i, s := range contact.Stages {
		keys[i] = s.Key
	}
	return enum("A lifecycle stage.", keys)
}

// Kind is an activity's kind.
type Kind string

// Schema lists the kinds.
func (Kind) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(activity.Kinds))
	for i, k := range activity.Kinds {
		keys[i] = k.Key
	}
	return enum("The kind of activity.", keys)
}

// EntryKind is a timeline entry's kind: an activity kind or system.
type EntryKind string

// Schema lists the kinds.
func (EntryKind) Schema(r huma.Registry) *huma.Schema {
	s := Kind("").Schema(r)
	s.Enum = append(s.Enum, activity.System)
	s.Description = "An activity kind, or system for what Rapport recorded (created, changed, tagged, merged, ...)."
	return s
}

// FieldType is a custom field's type.
type FieldType string

// Schema lists the types.
func (FieldType) Schema(huma.Registry) *huma.Schema {
	keys := make([]string, len(customfield.Types))
	for i, t := range customfield.Types {
		keys[i] = string(t.Type)
	}
	return enum("The type of value the field holds.", keys)
}

// Object is the kind of record custom fields and views belong to.
type Object string

// Schema lists the objects.
func (Object) Schema(huma.Registry) *huma.Schema {
	return enum("contact, company or deal.", []string{customfield.ObjectContact, customfield.ObjectCompany, customfield.ObjectDeal})
}

func enum(doc string, values []string) *huma.Schema {
	s := &huma.Schema{Type: huma.TypeString, Description: doc}
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

// Custom holds custom field values by key. Values are text, numbers,
// true/false or lists of text by the field's type; in a request, null or
// "" clears a value.
type Custom map[string]any

// Schema describes the object.
func (Custom) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeObject, AdditionalProperties: true,
		Description: "Custom field values by key: text, a number, true/false or a list of text, " +
			"by the field's type (see /api/v1/custom-fields). In a request, null or \"\" clears a value; " +
			"keys not sent stay as they are.",
		Examples: []any{map[string]any{"plan": "pro", "seats": 12}}}
}

// Address is a postal address. In a request it replaces the whole address.
type Address struct {
	Street     string `json:"street" required:"false" example:"1 Main Street" doc:"Street lines, separated by line breaks."`
	City       string `json:"city" required:"false" example:"Leeds"`
	Region     string `json:"region" required:"false" example:"West Yorkshire"`
	PostalCode string `json:"postal_code" required:"false" example:"LS1 1AA"`
	Country    string `json:"country" required:"false" example:"United Kingdom"`
}

func toAddress(a record.Address) Address { return Address(a) }

func (a *Address) record() *record.Address {
	if a == nil {
		return nil
	}
	r := record.Address(*a)
	return &r
}

// CompanyRef names a company from another record.
type CompanyRef struct {
	ID     string `json:"id" format:"uuid"`
	Name   string `json:"name" example:"Acme Ltd"`
	Domain string `json:"domain,omitempty" example:"acme.example"`
}

func toRefs(refs []company.Ref) []CompanyRef {
	out := make([]CompanyRef, len(refs))
	for i, r := range refs {
		out[i] = CompanyRef(r)
	}
	return out
}

// IDPath is the {id} of a record. A malformed id is simply not found.
type IDPath struct {
	ID string `path:"id" doc:"The record's id (a UUID)." example:"01890a5d-ac96-774b-bcce-b302099a8057"`
}

// Deleted is the empty answer of a DELETE.
type Deleted struct{}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func custom(v customfield.Values) Custom {
	if v == nil {
		return Custom{}
	}
	return Custom(v)
}

// strp converts an optional enum to the service's *string.
func strp[T ~string](p *T) *string {
	if p == nil {
		return nil
	}
	s := string(*p)
	return &s
}
