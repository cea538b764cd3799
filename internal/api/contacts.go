package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
)

// Contact is a person, with everything on their record.
type Contact struct {
	ID          string       `json:"id" format:"uuid" example:"01890a5d-ac96-774b-bcce-b302099a8057"`
	FirstName   string       `json:"first_name" example:"Ada"`
	LastName    string       `json:"last_name" example:"Lovelace"`
	DisplayName string       `json:"display_name" example:"Ada Lovelace" doc:"First and last name together."`
	Emails      []Email      `json:"emails" doc:"Email addresses; the first is the primary one."`
	Phones      []Phone      `json:"phones" doc:"Phone numbers; the first is the primary one."`
	JobTitle    string       `json:"job_title" example:"Head of Engineering"`
	Companies   []CompanyRef `json:"companies" doc:"Companies the contact works for; the first is the primary one."`
	Address     Address      `json:"address"`
	Birthday    string       `json:"birthday,omitempty" format:"date" example:"1815-12-10"`
	Source      string       `json:"source" example:"Conference"`
	Stage       Stage        `json:"lifecycle_stage"`
	OwnerID     string       `json:"owner_id,omitempty" format:"uuid" doc:"The user who owns the contact."`
	OwnerName   string       `json:"owner_name,omitempty" example:"Olga Owner"`
	Tags        []string     `json:"tags" example:"[\"vip\"]"`
	Custom      Custom       `json:"custom"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	CreatedBy   string       `json:"created_by,omitempty" format:"uuid"`
	UpdatedBy   string       `json:"updated_by,omitempty" format:"uuid"`
}

// Email is one of a contact's addresses.
type Email struct {
	Address string `json:"address" example:"ada@example.com" doc:"The address; unique among live contacts, ignoring case."`
	Label   string `json:"label,omitempty" example:"work"`
}

// Phone is one of a contact's numbers.
type Phone struct {
	E164     string `json:"e164" example:"+441134960000" doc:"The number in E.164 form."`
	Original string `json:"original" example:"0113 496 0000" doc:"The number as it was entered."`
	Label    string `json:"label,omitempty" example:"mobile"`
}

// PhoneInput is a number as typed; numbers without a country code are read
// in the organisation's default region.
type PhoneInput struct {
	Number string `json:"number" example:"+44 113 496 0000"`
	Label  string `json:"label,omitempty" example:"mobile"`
}

// ContactInput creates a contact (POST) or changes one (PATCH). A field
// left out stays as it is; a list replaces the whole list.
type ContactInput struct {
	FirstName  *string       `json:"first_name,omitempty" example:"Ada" doc:"A first or a last name is required."`
	LastName   *string       `json:"last_name,omitempty" example:"Lovelace"`
	Emails     *[]Email      `json:"emails,omitempty" doc:"Replaces every address; the first is the primary one."`
	Phones     *[]PhoneInput `json:"phones,omitempty" doc:"Replaces every number; the first is the primary one."`
	JobTitle   *string       `json:"job_title,omitempty"`
	CompanyIDs *[]string     `json:"company_ids,omitempty" doc:"Ids of the contact's companies; the first is the primary one."`
	Address    *Address      `json:"address,omitempty"`
	Birthday   *string       `json:"birthday,omitempty" example:"1815-12-10" doc:"YYYY-MM-DD, not in the future; \"\" clears it."`
	Source     *string       `json:"source,omitempty"`
	Stage      *Stage        `json:"lifecycle_stage,omitempty"`
	OwnerID    *string       `json:"owner_id,omitempty" doc:"Id of an active user; \"\" for no owner."`
	Tags       *[]string     `json:"tags,omitempty" doc:"Replaces every tag; new tags are created."`
	Custom     Custom        `json:"custom,omitempty"`
}

func (in ContactInput) service() contact.Input {
	out := contact.Input{FirstName: in.FirstName, LastName: in.LastName, JobTitle: in.JobTitle,
		CompanyIDs: in.CompanyIDs, Address: in.Address.record(), Birthday: in.Birthday, Source: in.Source,
		Stage: strp(in.Stage), OwnerID: in.OwnerID, Tags: in.Tags, Custom: in.Custom}
	if in.Emails != nil {
		emails := make([]contact.Email, len(*in.Emails))
		for i, e := range *in.Emails {
			emails[i] = contact.Email(e)
		}
		out.Emails = &emails
	}
	if in.Phones != nil {
		phones := make([]contact.PhoneInput, len(*in.Phones))
		for i, p := range *in.Phones {
			phones[i] = contact.PhoneInput(p)
		}
		out.Phones = &phones
	}
	return out
}

func toContact(c contact.Contact) Contact {
	out := Contact{ID: c.ID, FirstName: c.FirstName, LastName: c.LastName, DisplayName: c.DisplayName,
		Emails: []Email{}, Phones: []Phone{}, JobTitle: c.JobTitle, Companies: toRefs(c.Companies),
		Address: toAddress(c.Address), Birthday: c.Birthday, Source: c.Source, Stage: Stage(c.Stage),
		OwnerID: c.OwnerID, OwnerName: c.OwnerName, Tags: nonNil(c.Tags), Custom: custom(c.Custom),
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy}
	for _, e := range c.Emails {
		out.Emails = append(out.Emails, Email(e))
	}
	for _, p := range c.Phones {
		out.Phones = append(out.Phones, Phone(p))
	}
	return out
}

// ContactRow is a contact as a list shows it.
type ContactRow struct {
	ID          string    `json:"id" format:"uuid"`
	DisplayName string    `json:"display_name" example:"Ada Lovelace"`
	FirstName   string    `json:"first_name" example:"Ada"`
	LastName    string    `json:"last_name" example:"Lovelace"`
	Email       string    `json:"email,omitempty" example:"ada@example.com" doc:"The primary email."`
	Phone       string    `json:"phone,omitempty" example:"+441134960000" doc:"The primary phone, E.164."`
	JobTitle    string    `json:"job_title"`
	CompanyID   string    `json:"company_id,omitempty" format:"uuid" doc:"The primary company."`
	CompanyName string    `json:"company_name,omitempty" example:"Acme Ltd"`
	Stage       Stage     `json:"lifecycle_stage"`
	Source      string    `json:"source"`
	City        string    `json:"city"`
	Country     string    `json:"country"`
	Birthday    string    `json:"birthday,omitempty" format:"date"`
	OwnerID     string    `json:"owner_id,omitempty" format:"uuid"`
	OwnerName   string    `json:"owner_name,omitempty"`
	Tags        []string  `json:"tags"`
	Custom      Custom    `json:"custom"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ContactPage is one page of contacts.
type ContactPage pageOf[ContactRow]

// MergeInput names the contacts merged into the one in the path.
type MergeInput struct {
	MergedIDs []string          `json:"merged_ids" minItems:"1" doc:"Ids of the contacts to fold into this one; they are deleted and their data kept in the merge event."`
	Choices   map[string]string `json:"choices,omitempty" example:"{\"first_name\":\"01890a5d-ac96-774b-bcce-b302099a8057\"}" doc:"For a field (first_name, last_name, job_title, birthday, source, lifecycle_stage, owner_id, address, emails, phones, companies or custom.<key>), the id of the contact whose value to keep. Without a choice the survivor's value is kept, or the first non-empty one."`
}

type contactInput struct{ Body ContactInput }
type contactPatch struct {
	IDPath
	Body ContactInput
}
type contactMerge struct {
	IDPath
	Body MergeInput
}
type contactOut struct{ Body Contact }
type contactCreated struct {
	Location string `header:"Location" doc:"The new contact's URL."`
	Body     Contact
}
type contactList struct{ ListParams }
type contactPageOut struct{ Body ContactPage }

func (a *API) contactRoutes() {
	tags := []string{"Contacts"}
	p := Prefix + "/contacts"
	register(a, huma.Operation{OperationID: "list-contacts", Method: http.MethodGet, Path: p, Tags: tags,
		Summary:    "List contacts",
		Parameters: []*huma.Param{shorthandParam(map[string]any{"lifecycle_stage": "lead", "tag": "vip"})},
		Errors:     []int{http.StatusUnprocessableEntity}}, a.listContacts)
	register(a, huma.Operation{OperationID: "create-contact", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a contact", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusConflict}}, a.createContact)
	register(a, huma.Operation{OperationID: "get-contact", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a contact", Errors: []int{http.StatusNotFound}}, a.getContact)
	register(a, huma.Operation{OperationID: "update-contact", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a contact", Description: "Only the fields sent change; lists replace the whole list.",
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateContact)
	register(a, huma.Operation{OperationID: "delete-contact", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a contact", Description: "Moves the contact to the trash; its emails become free.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteContact)
	register(a, huma.Operation{OperationID: "merge-contacts", Method: http.MethodPost, Path: p + "/{id}/merge", Tags: tags,
		Summary: "Merge contacts into this one",
		Description: "Emails, phones, companies and tags are combined; every activity and event moves to this " +
			"contact; the merged contacts are deleted.",
		Errors: []int{http.StatusNotFound}}, a.mergeContacts)
	a.timelineRoute("contact", p+"/{id}/timeline", tags)
}

func (a *API) listContacts(ctx context.Context, in *contactList) (*contactPageOut, error) {
	schema, err := a.o.Contacts.Schema(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	req, remap, err := listRequest(schema, in.ListParams)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	page, err := a.o.Contacts.List(ctx, req)
	if err != nil {
		return nil, a.fail(ctx, remap(err))
	}
	out := &contactPageOut{Body: ContactPage{Data: make([]ContactRow, len(page.Rows)),
		NextCursor: page.Cursors.Next, PrevCursor: page.Cursors.Prev, Sort: page.Sort.String()}}
	for i, r := range page.Rows {
		vals, err := r.Custom.Values()
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		out.Body.Data[i] = ContactRow{ID: r.ID, DisplayName: r.DisplayName, FirstName: r.FirstName,
			LastName: r.LastName, Email: r.Email, Phone: r.Phone, JobTitle: r.JobTitle, CompanyID: r.CompanyID,
			CompanyName: r.CompanyName, Stage: Stage(r.Stage), Source: r.Source, City: r.City, Country: r.Country,
			Birthday: r.Birthday, OwnerID: r.OwnerID, OwnerName: r.OwnerName, Tags: nonNil(r.Tags),
			Custom: custom(vals), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

func (a *API) createContact(ctx context.Context, in *contactInput) (*contactCreated, error) {
	c, err := a.o.Contacts.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &contactCreated{Location: Prefix + "/contacts/" + c.ID, Body: toContact(c)}, nil
}

func (a *API) getContact(ctx context.Context, in *IDPath) (*contactOut, error) {
	c, err := a.o.Contacts.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &contactOut{Body: toContact(c)}, nil
}

func (a *API) updateContact(ctx context.Context, in *contactPatch) (*contactOut, error) {
	c, err := a.o.Contacts.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &contactOut{Body: toContact(c)}, nil
}

func (a *API) deleteContact(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Contacts.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) mergeContacts(ctx context.Context, in *contactMerge) (*contactOut, error) {
	// The survivor missing is a 404; a merged contact missing is a bad
	// field of the request.
	if _, err := a.o.Contacts.ByID(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	var v apperr.Validation
	for i, mid := range in.Body.MergedIDs {
		if _, err := a.o.Contacts.ByID(ctx, mid); errors.Is(err, apperr.ErrNotFound) {
			v.Add(fmt.Sprintf("merged_ids[%d]", i), "There is no contact with this id.")
		} else if err != nil {
			return nil, a.fail(ctx, err)
		}
	}
	if err := v.Err(); err != nil {
		return nil, a.fail(ctx, err)
	}
	c, err := a.o.Contacts.Merge(ctx, contact.MergeInput{SurvivorID: in.ID, MergedIDs: in.Body.MergedIDs,
		Choices: in.Body.Choices})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &contactOut{Body: toContact(c)}, nil
}
