package importer

import (
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/csvfile"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/vcard"
)

// cardInput builds the contact a vCard describes, and its company's name.
func cardInput(c vcard.Card, v *apperr.Validation) (contact.Input, string) {
	first, last := strings.TrimSpace(c.FirstName), strings.TrimSpace(c.LastName)
	if first == "" && last == "" {
		first, last = splitName(c.FullName)
	}
	in := contact.Input{FirstName: &first, LastName: &last}
	if t := strings.TrimSpace(c.Title); t != "" {
		in.JobTitle = &t
	}
	if len(c.Emails) > 0 {
		emails := make([]contact.Email, 0, len(c.Emails))
		for _, e := range preferredFirst(c.Emails) {
			emails = append(emails, contact.Email{Address: e.Text, Label: label(e.Label)})
		}
		in.Emails = &emails
	}
	if len(c.Phones) > 0 {
		phones := make([]contact.PhoneInput, 0, len(c.Phones))
		for _, p := range preferredFirst(c.Phones) {
			phones = append(phones, contact.PhoneInput{Number: p.Text, Label: label(p.Label)})
		}
		in.Phones = &phones
	}
	if len(c.Addresses) > 0 {
		a := c.Addresses[0]
		in.Address = &record.Address{Street: a.Street, City: a.City, Region: a.Region, PostalCode: a.PostalCode, Country: a.Country}
	}
	if b := strings.TrimSpace(c.Birthday); b != "" && !strings.HasPrefix(b, "--") {
		// A birthday without a year has no place in a date field.
		if d, ok := parseDate(b); ok {
			in.Birthday = &d
		} else {
			v.Add("birthday", "The birthday "+b+" is not a date.")
		}
	}
	if len(c.Categories) > 0 {
		tags := append([]string(nil), c.Categories...)
		in.Tags = &tags
	}
	// A picture given inline is kept; one given as a link is not fetched
	// (the server does not reach out to addresses a file names).
	if c.Photo != nil && len(c.Photo.Data) > 0 {
		in.Photo = &contact.Photo{MediaType: c.Photo.MediaType, Data: c.Photo.Data}
	}
	return in, strings.TrimSpace(c.Org)
}

// preferredFirst puts the values marked preferred first.
func preferredFirst(vs []vcard.Value) []vcard.Value {
	out := make([]vcard.Value, 0, len(vs))
	for _, x := range vs {
		if x.Preferred {
			out = append(out, x)
		}
	}
	for _, x := range vs {
		if !x.Preferred {
			out = append(out, x)
		}
	}
	return out
}

// label keeps a short label, lower case: "work", "home", "mobile".
func label(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 50 {
		s = s[:50]
	}
	return s
}

// parseDate reads a date in the common forms a file has (day first when
// it cannot tell).
func parseDate(s string) (string, bool) {
	return csvfile.ParseDate(s, csvfile.DayFirst)
}
