package contact

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/revision"
)

// Row is a contact as a list shows it: one row, no child lists but tags.
type Row struct {
	ID          string             `json:"id"`
	DisplayName string             `json:"display_name"`
	FirstName   string             `json:"first_name"`
	LastName    string             `json:"last_name"`
	Email       string             `json:"email,omitempty"`
	Phone       string             `json:"phone,omitempty"`
	JobTitle    string             `json:"job_title"`
	CompanyID   string             `json:"company_id,omitempty"`
	CompanyName string             `json:"company_name,omitempty"`
	Stage       string             `json:"lifecycle_stage"`
	Source      string             `json:"source"`
	City        string             `json:"city"`
	Country     string             `json:"country"`
	Birthday    string             `json:"birthday,omitempty"`
	OwnerID     string             `json:"owner_id,omitempty"`
	OwnerName   string             `json:"owner_name,omitempty"`
	Tags        []string           `json:"tags"`
	Custom      customfield.Stored `json:"custom"`
	CreatedAt   time.Time          `json:"created_at"`
	UpdatedAt   time.Time          `json:"updated_at"`

	sortValue any
}

// ListPage is one page of a list.
type ListPage struct {
	Rows    []Row         `json:"rows"`
	Cursors query.Cursors `json:"cursors"`
	Sort    query.Sort    `json:"sort"`
}

const tagsSubquery = `SELECT t.name_lower FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id`

// builtinFields are the list fields every contact has, in column-chooser
// order.
var builtinFields = []query.Field{
	{Key: "name", Label: "Name", Type: query.Text, Column: "c.sort_name", NotNull: true},
	{Key: "first_name", Label: "First name", Type: query.Text, Column: "c.first_name", NotNull: true},
	{Key: "last_name", Label: "Last name", Type: query.Text, Column: "c.last_name", NotNull: true},
	{Key: "email", Label: "Email", Type: query.Text, Column: "c.email"},
	{Key: "phone", Label: "Phone", Type: query.Text, Column: "c.phone"},
	{Key: "job_title", Label: "Job title", Type: query.Text, Column: "c.job_title", NotNull: true},
	{Key: "company", Label: "Company", Type: query.Text, Column: "m.sort_name"},
	{Key: "company_id", Label: "Company (id)", Type: query.Ref, Column: "c.company_id"},
	{Key: "lifecycle_stage", Label: "Lifecycle stage", Type: query.Select, Column: "c.lifecycle_stage", NotNull: true},
	{Key: "source", Label: "Source", Type: query.Text, Column: "c.source", NotNull: true},
	{Key: "city", Label: "City", Type: query.Text, Column: "c.city", NotNull: true},
	{Key: "country", Label: "Country", Type: query.Text, Column: "c.country", NotNull: true},
	{Key: "birthday", Label: "Birthday", Type: query.Date, Column: "c.birthday"},
	{Key: "tag", Label: "Tag", Type: query.Tag, Column: tagsSubquery},
	{Key: "created_at", Label: "Created", Type: query.Timestamp, Column: "c.created_at", NotNull: true},
	{Key: "updated_at", Label: "Updated", Type: query.Timestamp, Column: "c.updated_at", NotNull: true},
}

// DefaultSort is the order of a list nobody has sorted: recently changed first.
var DefaultSort = query.Sort{Field: "updated_at", Desc: true}

// Schema returns the list fields of contacts, custom fields included.
func (s *Service) Schema(ctx context.Context) (*query.Schema, error) {
	// Built again only when a custom field or a user changed (revision);
	// reading the counter is one query per read-only request (memo).
	return s.schemas.Get(ctx, s.db.R, revision.Definitions, func() (*query.Schema, error) { return s.schema(ctx) })
}

func (s *Service) schema(ctx context.Context) (*query.Schema, error) {
	defs, err := customfield.ListRead(ctx, s.db.R, customfield.ObjectContact)
	if err != nil {
		return nil, err
	}
	fields := make([]query.Field, 0, len(builtinFields)+len(defs))
	for _, f := range builtinFields {
		if f.Key == "lifecycle_stage" {
			for _, st := range Stages {
				f.Options = append(f.Options, st.Key)
			}
		}
		fields = append(fields, f)
	}
	owner, err := record.OwnerField(ctx, s.users, "c.owner_id")
	if err != nil {
		return nil, err
	}
	fields = append(fields, owner)
	for _, d := range defs {
		fields = append(fields, d.QueryField())
	}
	return query.NewSchema("c", DefaultSort, fields...)
}

const listFrom = ` FROM contacts c LEFT JOIN companies m ON m.id = c.company_id AND m.deleted_at IS NULL LEFT JOIN users u ON u.id = c.owner_id
	WHERE c.deleted_at IS NULL`

// List returns one keyset page of the contacts matching r. It never counts
// the matches; Count does that separately.
func (s *Service) List(ctx context.Context, r query.Request) (ListPage, error) {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return ListPage{}, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return ListPage{}, err
	}
	vis, visArgs := access.Visible(ctx, "c.owner_id", 0)
	if vis != "" {
		vis = " AND " + vis
	}
	p, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema, Args: visArgs}, r)
	if err != nil {
		return ListPage{}, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT c.id, c.display_name, c.first_name, c.last_name, c.email, c.phone,
		c.job_title, c.company_id, m.name, c.lifecycle_stage, c.source, c.city, c.country, c.birthday, c.owner_id,
		u.name, c.custom, c.created_at, c.updated_at, `+record.TagsColumn(s.db.Engine, record.Contact, "c.id")+`,
		`+p.SortExpr+listFrom+vis+p.Tail(), p.Args...)
	if err != nil {
		return ListPage{}, fmt.Errorf("contact: list: %w", err)
	}
	// Rows are scanned in place and the scan targets reused: a page's
	// allocations were a good part of its cost.
	list := make([]Row, 0, min(p.Limit+1, 1001))
	var email, phone, companyID, companyName, owner, ownerName, tags sql.NullString
	var birthday db.Date
	var custom string
	var created, updated db.Time
	for rows.Next() {
		list = append(list, Row{})
		x := &list[len(list)-1]
		if err := rows.Scan(&x.ID, &x.DisplayName, &x.FirstName, &x.LastName, &email, &phone, &x.JobTitle,
			&companyID, &companyName, &x.Stage, &x.Source, &x.City, &x.Country, &birthday, &owner, &ownerName,
			&custom, &created, &updated, &tags, &x.sortValue); err != nil {
			rows.Close()
			return ListPage{}, fmt.Errorf("contact: list: %w", err)
		}
		x.Email, x.Phone, x.CompanyID, x.CompanyName = email.String, phone.String, companyID.String, companyName.String
		x.OwnerID, x.OwnerName, x.Birthday = owner.String, ownerName.String, string(birthday)
		x.CreatedAt, x.UpdatedAt = created.Time, updated.Time
		x.Custom = customfield.Stored(custom)
		if x.Tags, err = record.ColumnTags(tags); err != nil {
			rows.Close()
			return ListPage{}, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ListPage{}, fmt.Errorf("contact: list: %w", err)
	}
	list, cursors, err := query.Finish(p, list, func(x Row) (any, string) { return x.sortValue, x.ID })
	if err != nil {
		return ListPage{}, err
	}
	return ListPage{Rows: list, Cursors: cursors, Sort: p.Sort()}, nil
}

// CountCap is where Count stops counting exactly: beyond it a list says
// "more than 10,000" at once and asks for the exact figure separately.
const CountCap = 10_000

// Count returns how many contacts match f. With limit > 0 it stops at
// limit+1 and reports exact=false when there are more.
func (s *Service) Count(ctx context.Context, f query.Group, limit int) (n int, exact bool, err error) {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return 0, false, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return 0, false, err
	}
	return record.Count(ctx, s.db, schema, listFrom, "c.owner_id", f, limit)
}
