package export

import (
	"bufio"
	"context"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/vcard"
)

// writeVCards writes one vCard per contact.
func (x *ListExport) writeVCards(ctx context.Context, w *bufio.Writer) (int, error) {
	n := 0
	o := contact.StreamOptions{Lists: true, Photos: true}
	for _, d := range x.defs {
		o.Custom = o.Custom || d.Type == customfield.URL
	}
	err := x.s.contacts.Stream(ctx, x.r.Query, o, func(r contact.ExportRow) error {
		if err := vcard.Encode(w, card(&r, x.defs), x.r.VCardVersion); err != nil {
			return err
		}
		n++
		if n%1000 == 0 {
			return ctx.Err()
		}
		return nil
	})
	return n, err
}

// card is a contact as a vCard: names, every email and phone (the first
// preferred), company, job title, address, birthday, tags as categories,
// the values of URL custom fields, the picture and the time of the last
// change.
func card(r *contact.ExportRow, defs []customfield.Field) vcard.Card {
	c := vcard.Card{UID: r.ID, FullName: r.DisplayName, FirstName: r.FirstName, LastName: r.LastName,
		Org: r.CompanyName, Title: r.JobTitle, Birthday: r.Birthday, Categories: r.Tags,
		Revision: r.UpdatedAt.UTC().Format("20060102T150405Z")}
	for i, e := range r.Emails {
		c.Emails = append(c.Emails, vcard.Value{Text: e.Address, Label: e.Label, Preferred: i == 0 && len(r.Emails) > 1})
	}
	for i, p := range r.Phones {
		c.Phones = append(c.Phones, vcard.Value{Text: r.Shown[i], Label: p.Label,
			Preferred: i == 0 && len(r.Phones) > 1})
	}
	if r.Address != (record.Address{}) {
		c.Addresses = []vcard.Address{{Street: r.Address.Street, City: r.Address.City, Region: r.Address.Region,
			PostalCode: r.Address.PostalCode, Country: r.Address.Country}}
	}
	if r.Photo != nil {
		c.Photo = &vcard.Photo{MediaType: r.Photo.MediaType, Data: r.Photo.Data}
	}
	for _, d := range defs {
		if d.Type != customfield.URL {
			continue
		}
		if u, ok := r.Values[d.Key].(string); ok && u != "" {
			c.URLs = append(c.URLs, vcard.Value{Text: u, Label: d.Label})
		}
	}
	return c
}
