package company

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

// Row is a company as a list shows it.
type Row struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Domain    string             `json:"domain,omitempty"`
	Industry  string             `json:"industry"`
	Size      string             `json:"size"`
	City      string             `json:"city"`
	Country   string             `json:"country"`
	OwnerID   string             `json:"owner_id,omitempty"`
	OwnerName string             `json:"owner_name,omitempty"`
	Tags      []string           `json:"tags"`
	Custom    customfield.Stored `json:"custom"`
	CreatedAt time.Time          `json:"created_at"`
	UpdatedAt time.Time          `json:"updated_at"`

	sortValue any
}

// ListPage is one page of companies.
type ListPage struct {
	Rows    []Row         `json:"rows"`
	Cursors query.Cursors `json:"cursors"`
	Sort    query.Sort    `json:"sort"`
}

var builtinFields = []query.Field{
	{Key: "name", Label: "Name", Type: query.Text, Column: "m.sort_name", NotNull: true},
	{Key: "domain", Label: "Domain", Type: query.Text, Column: "m.domain"},
	{Key: "industry", Label: "Industry", Type: query.Text, Column: "m.industry", NotNull: true},
	{Key: "size", Label: "Size", Type: query.Select, Column: "m.size", NotNull: true, Options: Sizes},
	{Key: "city", Label: "City", Type: query.Text, Column: "m.city", NotNull: true},
	{Key: "country", Label: "Country", Type: query.Text, Column: "m.country", NotNull: true},
	{Key: "tag", Label: "Tag", Type: query.Tag, Column: `SELECT t.name_lower FROM company_tags mt JOIN tags t ON t.id = mt.tag_id WHERE mt.company_id = m.id`},
	{Key: "created_at", Label: "Created", Type: query.Timestamp, Column: "m.created_at", NotNull: true},
	{Key: "updated_at", Label: "Updated", Type: query.Timestamp, Column: "m.updated_at", NotNull: true},
}

// DefaultSort is the order of an unsorted company list: by name.
var DefaultSort = query.Sort{Field: "name"}

// Schema returns the list fields of companies, custom fields included.
func (s *Service) Schema(ctx context.Context) (*query.Schema, error) {
	// Built again only when a custom field or a user changed (revision);
	// reading the counter is one query per read-only request (memo).
	return s.schemas.Get(ctx, s.db.R, revision.Definitions, func() (*query.Schema, error) { return s.schema(ctx) })
}

func (s *Service) schema(ctx context.Context) (*query.Schema, error) {
	defs, err := customfield.ListRead(ctx, s.db.R, customfield.ObjectCompany)
	if err != nil {
		return nil, err
	}
	fields := append([]query.Field(nil), builtinFields...)
	owner, err := record.OwnerField(ctx, s.users, "m.owner_id")
	if err != nil {
		return nil, err
	}
	fields = append(fields, owner)
	for _, d := range defs {
		fields = append(fields, d.QueryField())
	}
	return query.NewSchema("m", DefaultSort, fields...)
}

const listFrom = ` FROM companies m LEFT JOIN users u ON u.id = m.owner_id WHERE m.deleted_at IS NULL`

// List returns one keyset page of the companies matching r.
func (s *Service) List(ctx context.Context, r query.Request) (ListPage, error) {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return ListPage{}, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return ListPage{}, err
	}
	vis, visArgs := access.Visible(ctx, "m.owner_id", 0)
	if vis != "" {
		vis = " AND " + vis
	}
	p, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema, Args: visArgs}, r)
	if err != nil {
		return ListPage{}, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT m.id, m.name, m.domain, m.industry, m.size, m.city, m.country,
		m.owner_id, u.name, m.custom, m.created_at, m.updated_at, `+record.TagsColumn(s.db.Engine, record.Company, "m.id")+`,
		`+p.SortExpr+listFrom+vis+p.Tail(), p.Args...)
	if err != nil {
		return ListPage{}, fmt.Errorf("company: list: %w", err)
	}
	// Rows are scanned in place and the scan targets reused.
	list := make([]Row, 0, min(p.Limit+1, 1001))
	var domain, owner, ownerName, tags sql.NullString
	var custom string
	var created, updated db.Time
	for rows.Next() {
		list = append(list, Row{})
		x := &list[len(list)-1]
		if err := rows.Scan(&x.ID, &x.Name, &domain, &x.Industry, &x.Size, &x.City, &x.Country, &owner, &ownerName,
			&custom, &created, &updated, &tags, &x.sortValue); err != nil {
			rows.Close()
			return ListPage{}, fmt.Errorf("company: list: %w", err)
		}
		x.Domain, x.OwnerID, x.OwnerName = domain.String, owner.String, ownerName.String
		x.CreatedAt, x.UpdatedAt = created.Time, updated.Time
		x.Custom = customfield.Stored(custom)
		if x.Tags, err = record.ColumnTags(tags); err != nil {
			rows.Close()
			return ListPage{}, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ListPage{}, fmt.Errorf("company: list: %w", err)
	}
	list, cursors, err := query.Finish(p, list, func(x Row) (any, string) { return x.sortValue, x.ID })
	if err != nil {
		return ListPage{}, err
	}
	return ListPage{Rows: list, Cursors: cursors, Sort: p.Sort()}, nil
}

// Count returns how many companies match f, stopping at limit+1 when
// limit > 0 (exact is then false if there are more).
func (s *Service) Count(ctx context.Context, f query.Group, limit int) (n int, exact bool, err error) {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return 0, false, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return 0, false, err
	}
	return record.Count(ctx, s.db, schema, listFrom, "m.owner_id", f, limit)
}
