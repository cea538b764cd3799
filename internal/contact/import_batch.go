package contact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

// ImportBatchTx applies a batch of imported rows inside tx, in order, each
// with the outcome ImportTx would give it on its own. Rows that create a
// contact — most rows of a first import — are checked against what the
// batch reads once (phone region, custom fields, owners, companies, which
// emails and numbers are taken) and written together in a few multi-row
// statements, instead of a dozen statements per row. A row that matches a
// contact, already there or created earlier in the batch, goes through
// ImportTx once the rows before it are written.
func (s *Service) ImportBatchTx(ctx context.Context, tx *db.Tx, rows []Input, mode ImportMode, src ImportSource) ([]ImportResult, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Create)
	if err != nil {
		return nil, err
	}
	b, err := s.newBatch(ctx, tx, rows)
	if err != nil {
		return nil, err
	}
	out := make([]ImportResult, len(rows))
	for i, in := range rows {
		if v := importPhotoProblem(in); v != nil {
			out[i] = ImportResult{Outcome: Rejected, Problem: v}
			continue
		}
		if b.matches(in) {
			if err := b.flush(ctx, tx, actor, src, out); err != nil {
				return nil, err
			}
			res, err := s.ImportTx(ctx, tx, in, mode, src)
			if err != nil {
				return nil, err
			}
			out[i] = res
			if res.Outcome == Created || res.Outcome == Updated {
				b.claim(in, res.ID)
			}
			continue
		}
		c := Contact{Emails: []Email{}, Phones: []Phone{}, Custom: customfield.Values{}}
		var v apperr.Validation
		tags, err := s.prepareWith(ctx, b.env, &c, in, &v)
		if err != nil {
			return nil, err
		}
		if v.Err() != nil {
			out[i] = ImportResult{Outcome: Rejected, Problem: v.Err()}
			continue
		}
		if b.taken(c) {
			// An email the checks above let through is someone's after
			// all (written differently in the file): let ImportTx say so.
			if err := b.flush(ctx, tx, actor, src, out); err != nil {
				return nil, err
			}
			if out[i], err = s.ImportTx(ctx, tx, in, mode, src); err != nil {
				return nil, err
			}
			continue
		}
		b.add(i, c, tags, in.Photo)
	}
	return out, b.flush(ctx, tx, actor, src, out)
}

// batch is one ImportBatchTx call's state.
type batch struct {
	env *prepEnv
	// emails maps address keys (as matching and as stored) and phones maps
	// E.164 numbers to the live contact that has them, including those
	// this batch created or changed.
	emails  map[string]string
	phones  map[string]string
	pending []pendingContact
}

type pendingContact struct {
	row   int
	c     Contact
	tags  []string
	photo *Photo
}

func (s *Service) newBatch(ctx context.Context, tx *db.Tx, rows []Input) (*batch, error) {
	env, err := s.newPrepEnv(ctx, tx)
	if err != nil {
		return nil, err
	}
	env.users = &userCache{Users: s.users, seen: map[string]userLookup{}}
	refs := map[string]company.Ref{}
	env.refs = func(ctx context.Context, ids []string) ([]company.Ref, error) {
		var missing []string
		for _, cid := range ids {
			if _, ok := refs[cid]; !ok {
				missing = append(missing, cid)
			}
		}
		found, err := company.Refs(ctx, tx, missing)
		if err != nil {
			return nil, err
		}
		for _, r := range found {
			refs[r.ID] = r
		}
		var list []company.Ref
		for _, cid := range ids {
			if r, ok := refs[cid]; ok {
				list = append(list, r)
			}
		}
		return list, nil
	}
	b := &batch{env: env, emails: map[string]string{}, phones: map[string]string{},
		pending: make([]pendingContact, 0, len(rows))}
	var keys, numbers []string
	for _, in := range rows {
		keys = append(keys, emailKeys(in)...)
		numbers = append(numbers, phoneKeys(in, env.region)...)
	}
	// The keys go in as one JSON array (SQLite) or array (PostgreSQL)
	// parameter; json_each stays the outer loop, one index seek per key.
	emailSQL := `SELECT e.address_key, e.contact_id FROM json_each($1) j CROSS JOIN contact_emails e
		ON e.address_key = j.value WHERE e.live`
	phoneSQL := `SELECT p.e164, p.contact_id FROM json_each($1) j CROSS JOIN contact_phones p ON p.e164 = j.value
		JOIN contacts c ON c.id = p.contact_id WHERE c.deleted_at IS NULL ORDER BY c.id DESC`
	if tx.Engine == db.Postgres {
		emailSQL = `SELECT address_key, contact_id FROM contact_emails WHERE live AND address_key = ANY($1::text[])`
		phoneSQL = `SELECT p.e164, p.contact_id::text FROM contact_phones p JOIN contacts c ON c.id = p.contact_id
			WHERE c.deleted_at IS NULL AND p.e164 = ANY($1::text[]) ORDER BY c.id DESC`
	}
	if err := lookupKeys(ctx, tx, emailSQL, keys, b.emails); err != nil {
		return nil, err
	}
	// Several contacts may share a number: the first by id wins, as in ImportTx.
	if err := lookupKeys(ctx, tx, phoneSQL, numbers, b.phones); err != nil {
		return nil, err
	}
	return b, nil
}

// lookupKeys fills into with key → contact id from query, whose one
// parameter is the list of keys; with several rows per key the last read
// wins.
func lookupKeys(ctx context.Context, tx *db.Tx, query string, keys []string, into map[string]string) error {
	keys = uniqueStrings(keys)
	if len(keys) == 0 {
		return nil
	}
	var arg any = keys
	if tx.Engine == db.SQLite {
		b, err := json.Marshal(keys)
		if err != nil {
			return err
		}
		arg = string(b)
	}
	rows, err := tx.QueryContext(ctx, query, arg)
	if err != nil {
		return fmt.Errorf("contact: import lookup: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, cid string
		if err := rows.Scan(&k, &cid); err != nil {
			return err
		}
		into[k] = cid
	}
	return rows.Err()
}

// emailKeys are the keys a row's emails match by: as typed (ImportTx's
// matching) and as stored once cleaned.
func emailKeys(in Input) []string {
	if in.Emails == nil {
		return nil
	}
	var out []string
	for _, e := range *in.Emails {
		raw := strings.ToLower(strings.TrimSpace(e.Address))
		if raw == "" {
			continue
		}
		out = append(out, raw)
		if addr, ok := customfield.NormaliseEmail(e.Address); ok && strings.ToLower(addr) != raw {
			out = append(out, strings.ToLower(addr))
		}
	}
	return out
}

func phoneKeys(in Input, region string) []string {
	if in.Phones == nil {
		return nil
	}
	var out []string
	for _, p := range *in.Phones {
		if e164, err := phone.Normalise(strings.TrimSpace(p.Number), region); err == nil {
			out = append(out, e164)
		}
	}
	return out
}

// matches reports whether in is about a contact there is or the batch made.
func (b *batch) matches(in Input) bool {
	for _, k := range emailKeys(in) {
		if b.emails[k] != "" {
			return true
		}
	}
	for _, k := range phoneKeys(in, b.env.region) {
		if b.phones[k] != "" {
			return true
		}
	}
	return false
}

// taken reports whether one of c's cleaned emails belongs to a contact.
func (b *batch) taken(c Contact) bool {
	for _, e := range c.Emails {
		if b.emails[strings.ToLower(e.Address)] != "" {
			return true
		}
	}
	return false
}

// claim records that contactID now has in's emails and numbers.
func (b *batch) claim(in Input, contactID string) {
	for _, k := range emailKeys(in) {
		b.emails[k] = contactID
	}
	for _, k := range phoneKeys(in, b.env.region) {
		b.phones[k] = contactID
	}
}

// add queues a checked new contact to be written at the next flush.
func (b *batch) add(row int, c Contact, tags []string, photo *Photo) {
	c.ID = id.New()
	b.pending = append(b.pending, pendingContact{row: row, c: c, tags: tags, photo: photo})
	for _, e := range c.Emails {
		b.emails[strings.ToLower(e.Address)] = c.ID
	}
	for _, p := range c.Phones {
		b.phones[p.E164] = c.ID
	}
}

var (
	contactColumns = []string{"id", "first_name", "last_name", "display_name", "sort_name", "email", "phone", "job_title",
		"company_id", "street", "city", "region", "postal_code", "country", "birthday", "source", "lifecycle_stage",
		"owner_id", "custom", "created_at", "updated_at", "created_by", "updated_by", "lists"}
	emailColumns   = []string{"contact_id", "position", "address", "address_key", "label", "live"}
	phoneColumns   = []string{"contact_id", "position", "e164", "original", "label", "international"}
	companyColumns = []string{"contact_id", "company_id", "position"}
	photoColumns   = []string{"contact_id", "media_type", "data", "updated_at"}
)

// flush writes the queued contacts with their emails, numbers, companies,
// tags, search entries and created events, and fills their results.
func (b *batch) flush(ctx context.Context, tx *db.Tx, actor access.Actor, src ImportSource, out []ImportResult) error {
	if len(b.pending) == 0 {
		return nil
	}
	now := db.Now()
	contacts := make([][]any, 0, len(b.pending))
	emails := make([][]any, 0, len(b.pending))
	var phones, links, photos [][]any
	docs := make([]search.Doc, 0, len(b.pending))
	events := make([]event.Event, 0, len(b.pending))
	for i := range b.pending {
		p := &b.pending[i]
		c := &p.c
		c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy = now, now, actor.UserID, actor.UserID
		shown := make(map[string]string, len(c.Phones))
		for _, ph := range c.Phones {
			shown[ph.E164] = phone.Format(ph.E164)
		}
		contacts = append(contacts, []any{c.ID, c.FirstName, c.LastName, c.DisplayName, SortName(*c),
			db.NullString(strings.ToLower(c.PrimaryEmail())), db.NullString(c.PrimaryPhone()), c.JobTitle,
			db.NullString(c.PrimaryCompany().ID), c.Address.Street, c.Address.City, c.Address.Region,
			c.Address.PostalCode, c.Address.Country, db.Date(c.Birthday), c.Source, c.Stage, db.NullString(c.OwnerID),
			c.Custom.Encode(), db.T(now), db.T(now), db.NullString(c.CreatedBy), db.NullString(c.UpdatedBy),
			EncodeLists(c.Emails, c.Phones, func(e164 string) string { return shown[e164] })})
		for j, e := range c.Emails {
			emails = append(emails, []any{c.ID, j, e.Address, strings.ToLower(e.Address), e.Label, true})
		}
		for j, ph := range c.Phones {
			phones = append(phones, []any{c.ID, j, ph.E164, ph.Original, ph.Label, shown[ph.E164]})
		}
		for j, r := range c.Companies {
			links = append(links, []any{c.ID, r.ID, j})
		}
		if p.photo != nil {
			photos = append(photos, []any{c.ID, p.photo.MediaType, p.photo.Data, db.T(now)})
		}
	}
	for _, w := range []struct {
		table string
		cols  []string
		rows  [][]any
	}{{"contacts", contactColumns, contacts}, {"contact_emails", emailColumns, emails},
		{"contact_phones", phoneColumns, phones}, {"contact_companies", companyColumns, links},
		{"contact_photos", photoColumns, photos}} {
		if err := db.Insert(ctx, tx, w.table, w.cols, w.rows); err != nil {
			return fmt.Errorf("contact: import batch: %w", err)
		}
	}
	for i := range b.pending {
		p := &b.pending[i]
		c := &p.c
		var added []string
		if len(p.tags) > 0 {
			var err error
			if added, err = record.AddTags(ctx, tx, record.Contact, c.ID, p.tags); err != nil {
				return err
			}
		}
		c.Tags = p.tags
		docs = append(docs, searchDoc(*c))
		subj := subject(*c)
		events = append(events, subj.Event(actor.UserID, "created", map[string]any{"name": c.DisplayName, "import": src}))
		for _, t := range added {
			events = append(events, subj.Event(actor.UserID, "tagged", map[string]any{"tag": t}))
		}
		out[p.row] = ImportResult{Outcome: Created, ID: c.ID}
	}
	if err := search.IndexNew(ctx, tx, docs); err != nil {
		return err
	}
	// One audit entry per batch says which contacts the import created;
	// each contact's created event, with its data, is on its timeline.
	summary := audit.Entry{Action: "contact.imported", ObjectType: "import", ObjectID: src.ImportID,
		Details: map[string]any{"file": src.File, "created": len(b.pending)}}
	if err := event.RecordBatch(ctx, tx, events, &summary); err != nil {
		return err
	}
	b.pending = b.pending[:0]
	return nil
}

// userCache answers owner checks for one batch from memory after the
// first lookup of each user.
type userCache struct {
	record.Users
	seen map[string]userLookup
}

type userLookup struct {
	u   user.User
	err error
}

func (c *userCache) ByID(ctx context.Context, userID string) (user.User, error) {
	if l, ok := c.seen[userID]; ok {
		return l.u, l.err
	}
	u, err := c.Users.ByID(ctx, userID)
	if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return u, err
	}
	c.seen[userID] = userLookup{u, err}
	return u, err
}

func uniqueStrings(list []string) []string {
	seen := make(map[string]bool, len(list))
	out := list[:0:0]
	for _, x := range list {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
