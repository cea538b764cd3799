// Package contact holds the people Rapport is about: names, emails, phones,
// companies, address, lifecycle stage, owner, tags and custom fields.
package contact

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/record"
)

// Contact is a person.
type Contact struct {
	ID          string             `json:"id"`
	FirstName   string             `json:"first_name"`
	LastName    string             `json:"last_name"`
	DisplayName string             `json:"display_name"`
	Emails      []Email            `json:"emails"`
	Phones      []Phone            `json:"phones"`
	JobTitle    string             `json:"job_title"`
	Companies   []company.Ref      `json:"companies"`
	Address     record.Address     `json:"address"`
	Birthday    string             `json:"birthday,omitempty"`
	Source      string             `json:"source"`
	Stage       string             `json:"lifecycle_stage"`
	OwnerID     string             `json:"owner_id,omitempty"`
	OwnerName   string             `json:"owner_name,omitempty"`
	Tags        []string           `json:"tags"`
	Custom      customfield.Values `json:"custom"`
	// HasPhoto says whether the contact has a picture (see Service.Photo).
	HasPhoto  bool      `json:"has_photo"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// Email is one of a contact's addresses; the first is the primary one.
type Email struct {
	Address string `json:"address"`
	Label   string `json:"label,omitempty"`
}

// Phone is one of a contact's numbers: E.164 plus the text as entered.
type Phone struct {
	E164     string `json:"e164"`
	Original string `json:"original"`
	Label    string `json:"label,omitempty"`
}

// PrimaryEmail is the first email, or "".
func (c Contact) PrimaryEmail() string {
	if len(c.Emails) == 0 {
		return ""
	}
	return c.Emails[0].Address
}

// PrimaryPhone is the first phone in E.164, or "".
func (c Contact) PrimaryPhone() string {
	if len(c.Phones) == 0 {
		return ""
	}
	return c.Phones[0].E164
}

// PrimaryCompany is the first company, or a zero Ref.
func (c Contact) PrimaryCompany() company.Ref {
	if len(c.Companies) == 0 {
		return company.Ref{}
	}
	return c.Companies[0]
}

// Stages are the lifecycle stages in funnel order.
var Stages = []struct{ Key, Label string }{
	{"subscriber", "Subscriber"}, {"lead", "Lead"}, {"qualified_lead", "Qualified lead"},
	{"opportunity", "Opportunity"}, {"customer", "Customer"}, {"evangelist", "Evangelist"},
	{"other", "Other"},
}

// StageLabel is the readable name of a stage key.
func StageLabel(key string) string {
	for _, s := range Stages {
		if s.Key == key {
			return s.Label
		}
	}
	return key
}

// DefaultStage is a new contact's stage when none is given.
const DefaultStage = "lead"

// Limits.
const (
	MaxEmails = 20
	MaxPhones = 20
)

// Input creates or changes a contact; nil fields stay as they are (PATCH).
// Lists replace the whole list; the first email, phone and company are the
// primary ones.
type Input struct {
	FirstName  *string         `json:"first_name,omitempty"`
	LastName   *string         `json:"last_name,omitempty"`
	Emails     *[]Email        `json:"emails,omitempty"`
	Phones     *[]PhoneInput   `json:"phones,omitempty"`
	JobTitle   *string         `json:"job_title,omitempty"`
	CompanyIDs *[]string       `json:"company_ids,omitempty"`
	Address    *record.Address `json:"address,omitempty"`
	Birthday   *string         `json:"birthday,omitempty"`
	Source     *string         `json:"source,omitempty"`
	Stage      *string         `json:"lifecycle_stage,omitempty"`
	OwnerID    *string         `json:"owner_id,omitempty"`
	Tags       *[]string       `json:"tags,omitempty"`
	// Custom holds the custom values to set; a null or "" value clears one.
	Custom map[string]any `json:"custom,omitempty"`
	// Photo is a picture an import brings (a vCard's PHOTO); forms and the
	// API set pictures with SetPhoto.
	Photo *Photo `json:"-"`
}

// PhoneInput is a number as typed, with an optional label.
type PhoneInput struct {
	Number string `json:"number"`
	Label  string `json:"label,omitempty"`
}

// apply copies the set fields of in onto c and checks c's own fields.
// Owner, companies, tags, custom values and email uniqueness need the
// database and are checked by the service.
func (in Input) apply(c *Contact, v *apperr.Validation, region string, today time.Time) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.JobTitle, in.JobTitle)
	set(&c.Birthday, in.Birthday)
	set(&c.Source, in.Source)
	set(&c.Stage, in.Stage)
	set(&c.OwnerID, in.OwnerID)
	if in.Address != nil {
		c.Address = *in.Address
	}
	record.Text(v, "first_name", &c.FirstName, 100, false)
	record.Text(v, "last_name", &c.LastName, 100, false)
	if c.FirstName == "" && c.LastName == "" {
		v.Add("first_name", "Enter a first or last name.")
	}
	c.DisplayName = joinName(c.FirstName, c.LastName)
	record.Text(v, "job_title", &c.JobTitle, 200, false)
	record.Text(v, "source", &c.Source, 100, false)
	c.Address.Clean(v, "address")
	c.OwnerID = strings.TrimSpace(c.OwnerID)
	c.Stage = strings.TrimSpace(c.Stage)
	if c.Stage == "" {
		c.Stage = DefaultStage
	}
	if !slices.ContainsFunc(Stages, func(s struct{ Key, Label string }) bool { return s.Key == c.Stage }) {
		v.Add("lifecycle_stage", "Choose a lifecycle stage from the list.")
	}
	if c.Birthday = strings.TrimSpace(c.Birthday); c.Birthday != "" {
		d, err := customfield.ParseDate(c.Birthday)
		switch {
		case err != nil:
			v.Add("birthday", "Enter the birthday as YYYY-MM-DD.")
		case d > today.Format(db.DateLayout):
			v.Add("birthday", "The birthday cannot be in the future.")
		default:
			c.Birthday = d
		}
	}
	if in.Emails != nil {
		c.Emails = cleanEmails(v, *in.Emails)
	}
	if in.Phones != nil {
		c.Phones = cleanPhones(v, *in.Phones, region)
	}
}

func cleanEmails(v *apperr.Validation, in []Email) []Email {
	var out []Email
	for i, e := range in {
		field := fmt.Sprintf("emails[%d]", i)
		if strings.TrimSpace(e.Address) == "" {
			continue
		}
		addr, ok := customfield.NormaliseEmail(e.Address)
		if !ok {
			v.Add(field, fmt.Sprintf("%q is not an email address like name@example.com.", strings.TrimSpace(e.Address)))
			continue
		}
		if slices.ContainsFunc(out, func(o Email) bool { return strings.EqualFold(o.Address, addr) }) {
			continue
		}
		record.Text(v, field+".label", &e.Label, 50, false)
		out = append(out, Email{Address: addr, Label: e.Label})
	}
	if len(out) > MaxEmails {
		v.Add("emails", fmt.Sprintf("Use at most %d email addresses.", MaxEmails))
	}
	return out
}

func cleanPhones(v *apperr.Validation, in []PhoneInput, region string) []Phone {
	var out []Phone
	for i, p := range in {
		field := fmt.Sprintf("phones[%d]", i)
		raw := strings.TrimSpace(p.Number)
		if raw == "" {
			continue
		}
		e164, err := phone.Normalise(raw, region)
		if err != nil {
			if strings.HasPrefix(raw, "+") {
				v.Add(field, fmt.Sprintf("%q is not a phone number in use for its country code; check the digits.", raw))
			} else {
				v.Add(field, fmt.Sprintf("%q is not a phone number; include the country code, e.g. +44 20 7946 0958.", raw))
			}
			continue
		}
		if slices.ContainsFunc(out, func(o Phone) bool { return o.E164 == e164 }) {
			continue
		}
		record.Text(v, field+".label", &p.Label, 50, false)
		out = append(out, Phone{E164: e164, Original: raw, Label: p.Label})
	}
	if len(out) > MaxPhones {
		v.Add("phones", fmt.Sprintf("Use at most %d phone numbers.", MaxPhones))
	}
	return out
}

// fields flattens the values an update event compares.
func (c Contact) fields() map[string]any {
	emails := make([]string, len(c.Emails))
	for i, e := range c.Emails {
		emails[i] = e.Address
	}
	phones := make([]string, len(c.Phones))
	for i, p := range c.Phones {
		phones[i] = p.E164
	}
	companies := make([]string, len(c.Companies))
	for i, r := range c.Companies {
		companies[i] = r.Name
	}
	m := map[string]any{
		"first_name": c.FirstName, "last_name": c.LastName, "emails": emails, "phones": phones,
		"job_title": c.JobTitle, "companies": companies, "birthday": c.Birthday, "source": c.Source,
		"lifecycle_stage": c.Stage,
		"address.street":  c.Address.Street, "address.city": c.Address.City,
		"address.region": c.Address.Region, "address.postal_code": c.Address.PostalCode,
		"address.country": c.Address.Country,
	}
	for k, x := range c.Custom {
		m[customfield.FieldName(k)] = x
	}
	return m
}

func joinName(first, last string) string { return strings.TrimSpace(first + " " + last) }

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
