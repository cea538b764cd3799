package contact

import (
	"encoding/json"
	"fmt"

	"github.com/rapportcrm/rapport/internal/phone"
)

// storedLists is the contacts.lists column (migration 00022): a copy of
// the contact's emails and phone numbers, in position order, kept in its
// own row. contact_emails and contact_phones stay the truth that matching,
// uniqueness and search read; the copy is written in the same statement
// or transaction as they are, everywhere they are, and lets a stream of a
// million contacts read each contact's lists with its row instead of two
// index seeks per contact into tables far larger than any cache.
//
// It is JSON: {"e": [[address, label], ...], "p": [[e164, original,
// label, international], ...]}, or "" for a contact with neither. The
// migration that fills it for existing contacts builds the same shape in
// SQL.
type storedLists struct {
	E [][2]string `json:"e,omitempty"`
	P [][4]string `json:"p,omitempty"`
}

// EncodeLists is the contacts.lists value of a contact with emails and
// phones; international gives each number's display form as stored in
// contact_phones.international.
func EncodeLists(emails []Email, phones []Phone, international func(e164 string) string) string {
	if len(emails) == 0 && len(phones) == 0 {
		return ""
	}
	l := storedLists{E: make([][2]string, len(emails)), P: make([][4]string, len(phones))}
	for i, e := range emails {
		l.E[i] = [2]string{e.Address, e.Label}
	}
	for i, p := range phones {
		l.P[i] = [4]string{p.E164, p.Original, p.Label, international(p.E164)}
	}
	b, err := json.Marshal(l)
	if err != nil {
		// Strings and arrays of strings always marshal.
		panic(fmt.Sprintf("contact: encode lists: %v", err))
	}
	return string(b)
}

// listsOf is EncodeLists for a contact about to be stored.
func listsOf(c Contact) string {
	return EncodeLists(c.Emails, c.Phones, phone.International)
}

// decodeLists fills x's emails, phones and their display forms from a
// contacts.lists value.
func decodeLists(s string, x *ExportRow) error {
	if s == "" {
		return nil
	}
	var l storedLists
	if err := json.Unmarshal([]byte(s), &l); err != nil {
		return fmt.Errorf("contact %s: lists: %w", x.ID, err)
	}
	if len(l.E) > 0 {
		x.Emails = make([]Email, len(l.E))
		for i, e := range l.E {
			x.Emails[i] = Email{Address: e[0], Label: e[1]}
		}
		x.Email = x.Emails[0].Address
	}
	if len(l.P) > 0 {
		x.Phones = make([]Phone, len(l.P))
		x.Shown = make([]string, len(l.P))
		for i, p := range l.P {
			x.Phones[i] = Phone{E164: p[0], Original: p[1], Label: p[2]}
			if x.Shown[i] = p[3]; x.Shown[i] == "" {
				x.Shown[i] = phone.Format(p[0])
			}
		}
		x.Phone = x.Phones[0].E164
	}
	return nil
}
