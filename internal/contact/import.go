package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/setting"
)

// ImportMode says what an import does with a row that matches a contact
// already there (same email, else same phone number): skip it, fill its
// empty fields and add the emails, phone numbers and tags it lacks, or
// overwrite every field the row has, keeping the existing emails and
// phone numbers after the row's.
type ImportMode = record.ImportMode

// Import modes.
const (
	ImportSkip      = record.ImportSkip
	ImportFill      = record.ImportFill
	ImportOverwrite = record.ImportOverwrite
)

// Outcomes of an imported row.
const (
	Created  = record.Created
	Updated  = record.Updated
	Skipped  = record.Skipped
	Rejected = record.Rejected
)

// ImportResult is what happened to one imported row.
type ImportResult = record.ImportResult[Contact]

// ImportSource names the import in the created contact's timeline event.
type ImportSource = record.ImportSource

// ImportTx applies one imported row inside tx, the import's transaction:
// it matches the row to a live contact the actor may see, by email and
// then by phone number, and creates, updates or skips as mode says. The
// same rules as Create and Update apply; a row that breaks them is
// rejected (nothing written) and reported, not returned as an error.
func (s *Service) ImportTx(ctx context.Context, tx *db.Tx, in Input, mode ImportMode, src ImportSource) (ImportResult, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Create)
	if err != nil {
		return ImportResult{}, err
	}
	if v := importPhotoProblem(in); v != nil {
		return ImportResult{Outcome: Rejected, Problem: v}, nil
	}
	photo := in.Photo
	match, err := s.importMatch(ctx, tx, in)
	if err != nil {
		return ImportResult{}, err
	}
	if match == "" {
		c := Contact{Emails: []Email{}, Phones: []Phone{}, Custom: customfield.Values{}}
		tags, err := s.prepareIn(ctx, tx, &c, in)
		if v := apperr.AsValidation(err); v != nil {
			return ImportResult{Outcome: Rejected, Problem: v}, nil
		}
		if err != nil {
			return ImportResult{}, err
		}
		if err := createTx(ctx, tx, actor, &c, tags, map[string]any{"name": c.DisplayName, "import": src}); err != nil {
			return ImportResult{}, err
		}
		if photo != nil {
			if err := setPhotoTx(ctx, tx, c.ID, *photo); err != nil {
				return ImportResult{}, err
			}
		}
		return ImportResult{Outcome: Created, ID: c.ID}, nil
	}
	old, err := s.load(ctx, tx, match)
	if errors.Is(err, access.ErrOutOfScope) {
		v := &apperr.Validation{}
		v.Add("emails", "This row matches a contact you may not see.")
		return ImportResult{Outcome: Rejected, Problem: v}, nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if mode == ImportSkip {
		return ImportResult{Outcome: Skipped, ID: old.ID}, nil
	}
	if !access.Allowed(actor, access.Contacts, access.Update) {
		v := &apperr.Validation{}
		v.Add("emails", "This row matches an existing contact and your role may not change contacts.")
		return ImportResult{Outcome: Rejected, Problem: v}, nil
	}
	if mode == ImportFill {
		in = fillOnly(in, old)
	} else {
		in = keepContactInfo(in, old)
	}
	c := old
	c.Custom = customfield.Values{}
	for k, x := range old.Custom {
		c.Custom[k] = x
	}
	tags, err := s.prepareIn(ctx, tx, &c, in)
	if v := apperr.AsValidation(err); v != nil {
		return ImportResult{Outcome: Rejected, ID: old.ID, Problem: v}, nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if in.Tags != nil {
		tags = union(old.Tags, tags)
	}
	if err := updateTx(ctx, tx, actor, old, &c, tags, in.Tags != nil); err != nil {
		return ImportResult{}, err
	}
	if photo != nil {
		// Fill mode gives a picture only to a contact without one.
		set := mode == ImportOverwrite
		if !set {
			if set, err = hasPhoto(ctx, tx, c.ID); err != nil {
				return ImportResult{}, err
			}
			set = !set
		}
		if set {
			if err := setPhotoTx(ctx, tx, c.ID, *photo); err != nil {
				return ImportResult{}, err
			}
		}
	}
	return ImportResult{Outcome: Updated, ID: c.ID, Before: &old}, nil
}

// importPhotoProblem checks the picture a row brings.
func importPhotoProblem(in Input) *apperr.Validation {
	if in.Photo == nil {
		return nil
	}
	var v apperr.Validation
	checkPhoto(in.Photo, &v)
	if v.Err() == nil {
		return nil
	}
	return &v
}

// importMatch finds the live contact a row is about: the first of its
// emails that one has, else the first of its phone numbers.
func (s *Service) importMatch(ctx context.Context, tx *db.Tx, in Input) (string, error) {
	if in.Emails != nil {
		for _, e := range *in.Emails {
			addr := strings.ToLower(strings.TrimSpace(e.Address))
			if addr == "" {
				continue
			}
			var cid string
			err := tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE address_key = $1 AND live = $2`, addr, true).Scan(&cid)
			if err == nil {
				return cid, nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return "", fmt.Errorf("contact: import match: %w", err)
			}
		}
	}
	if in.Phones == nil {
		return "", nil
	}
	region, err := setting.Region(ctx, tx)
	if err != nil {
		return "", err
	}
	for _, p := range *in.Phones {
		e164, err := phone.Normalise(strings.TrimSpace(p.Number), region)
		if err != nil {
			continue
		}
		var cid string
		err = tx.QueryRowContext(ctx, `SELECT p.contact_id FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
			WHERE p.e164 = $1 AND c.deleted_at IS NULL ORDER BY c.id LIMIT 1`, e164).Scan(&cid)
		if err == nil {
			return cid, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("contact: import match: %w", err)
		}
	}
	return "", nil
}

// fillOnly keeps of in what old has empty, and the emails, phones and
// tags old lacks.
func fillOnly(in Input, old Contact) Input {
	keep := func(p *string, have string) *string {
		if p == nil || have != "" {
			return nil
		}
		return p
	}
	out := Input{
		FirstName: keep(in.FirstName, old.FirstName), LastName: keep(in.LastName, old.LastName),
		JobTitle: keep(in.JobTitle, old.JobTitle), Birthday: keep(in.Birthday, old.Birthday),
		Source: keep(in.Source, old.Source), OwnerID: keep(in.OwnerID, old.OwnerID), Tags: in.Tags,
	}
	if in.Address != nil && old.Address == (record.Address{}) {
		out.Address = in.Address
	}
	if in.CompanyIDs != nil && len(old.Companies) == 0 {
		out.CompanyIDs = in.CompanyIDs
	}
	if in.Custom != nil {
		out.Custom = map[string]any{}
		for k, v := range in.Custom {
			if x, ok := old.Custom[k]; !ok || x == nil || x == "" {
				out.Custom[k] = v
			}
		}
	}
	out = keepContactInfo(out, old)
	// Added emails and numbers go after the ones the contact has.
	if in.Emails != nil {
		emails := oldEmails(old)
		for _, e := range *in.Emails {
			if !slices.ContainsFunc(emails, func(x Email) bool { return strings.EqualFold(x.Address, strings.TrimSpace(e.Address)) }) {
				emails = append(emails, e)
			}
		}
		out.Emails = &emails
	}
	if in.Phones != nil {
		phones := oldPhones(old)
		for _, p := range *in.Phones {
			if !slices.ContainsFunc(phones, func(x PhoneInput) bool { return x.Number == p.Number }) {
				phones = append(phones, p)
			}
		}
		out.Phones = &phones
	}
	return out
}

// keepContactInfo puts old's emails and phone numbers after the row's, so
// an import never loses a way to reach someone.
func keepContactInfo(in Input, old Contact) Input {
	if in.Emails != nil {
		emails := slices.Clone(*in.Emails)
		for _, e := range old.Emails {
			if !slices.ContainsFunc(emails, func(x Email) bool { return strings.EqualFold(strings.TrimSpace(x.Address), e.Address) }) {
				emails = append(emails, e)
			}
		}
		in.Emails = &emails
	}
	if in.Phones != nil {
		phones := slices.Clone(*in.Phones)
		for _, p := range oldPhones(old) {
			if !slices.ContainsFunc(phones, func(x PhoneInput) bool { return x.Number == p.Number }) {
				phones = append(phones, p)
			}
		}
		in.Phones = &phones
	}
	return in
}

func oldEmails(c Contact) []Email { return slices.Clone(c.Emails) }

func oldPhones(c Contact) []PhoneInput {
	out := make([]PhoneInput, 0, len(c.Phones))
	for _, p := range c.Phones {
		out = append(out, PhoneInput{Number: p.E164, Label: p.Label})
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// RestoreInput is the input that puts cur back to was: every field of was,
// and custom values was did not have cleared. Undoing an import uses it.
func RestoreInput(was, cur Contact) Input {
	emails := slices.Clone(was.Emails)
	phones := oldPhones(was)
	companies := make([]string, 0, len(was.Companies))
	for _, r := range was.Companies {
		companies = append(companies, r.ID)
	}
	tags := slices.Clone(was.Tags)
	if tags == nil {
		tags = []string{}
	}
	addr := was.Address
	custom := map[string]any{}
	for k, v := range was.Custom {
		custom[k] = v
	}
	for k := range cur.Custom {
		if _, ok := was.Custom[k]; !ok {
			custom[k] = nil
		}
	}
	return Input{FirstName: &was.FirstName, LastName: &was.LastName, Emails: &emails, Phones: &phones,
		JobTitle: &was.JobTitle, CompanyIDs: &companies, Address: &addr, Birthday: &was.Birthday, Source: &was.Source,
		Stage: &was.Stage, OwnerID: &was.OwnerID, Tags: &tags, Custom: custom}
}
