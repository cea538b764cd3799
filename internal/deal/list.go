package deal

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

// Row is a deal as a list shows it.
type Row struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	PipelineID   string             `json:"pipeline_id"`
	PipelineName string             `json:"pipeline_name"`
	StageID      string             `json:"stage_id"`
	StageName    string             `json:"stage_name"`
	Probability  int                `json:"probability"`
	Amount       int64              `json:"amount"`
	Currency     string             `json:"currency"`
	CloseDate    string             `json:"close_date,omitempty"`
	Status       string             `json:"status"`
	OwnerID      string             `json:"owner_id,omitempty"`
	OwnerName    string             `json:"owner_name,omitempty"`
	CompanyID    string             `json:"company_id,omitempty"`
	CompanyName  string             `json:"company_name,omitempty"`
	Version      int                `json:"version"`
	Custom       customfield.Stored `json:"custom"`
	CreatedAt    time.Time          `json:"created_at"`
	UpdatedAt    time.Time          `json:"updated_at"`

	sortValue any
}

// ListPage is one page of deals.
type ListPage struct {
	Rows    []Row         `json:"rows"`
	Cursors query.Cursors `json:"cursors"`
	Sort    query.Sort    `json:"sort"`
}

var builtinFields = []query.Field{
	{Key: "name", Label: "Name", Type: query.Text, Column: "d.name", NotNull: true},
	{Key: "amount", Label: "Amount", Type: query.Number, Column: "d.amount", NotNull: true},
	{Key: "currency", Label: "Currency", Type: query.Text, Column: "d.currency", NotNull: true},
	{Key: "close_date", Label: "Close date", Type: query.Date, Column: "d.close_date"},
	{Key: "status", Label: "Status", Type: query.Select, Column: "d.status", NotNull: true, Options: Statuses},
	{Key: "pipeline_id", Label: "Pipeline (id)", Type: query.Ref, Column: "d.pipeline_id"},
	{Key: "stage_id", Label: "Stage (id)", Type: query.Ref, Column: "d.stage_id"},
	{Key: "stage", Label: "Stage", Type: query.Text, Column: "s.name", NotNull: true},
	{Key: "probability", Label: "Probability", Type: query.Number, Column: "s.probability", NotNull: true},
	{Key: "company", Label: "Company", Type: query.Text, Column: "m.name"},
	{Key: "company_id", Label: "Company (id)", Type: query.Ref, Column: "d.company_id"},
	{Key: "contact_id", Label: "Contact (id)", Type: query.Ref, Column: `SELECT dc.contact_id FROM deal_contacts dc WHERE dc.deal_id = d.id`},
	{Key: "created_at", Label: "Created", Type: query.Timestamp, Column: "d.created_at", NotNull: true},
	{Key: "updated_at", Label: "Updated", Type: query.Timestamp, Column: "d.updated_at", NotNull: true},
}

// DefaultSort is the order of an unsorted deal list: recently changed first.
var DefaultSort = query.Sort{Field: "updated_at", Desc: true}

// Schema returns the list fields of deals, custom fields included.
func (s *Service) Schema(ctx context.Context) (*query.Schema, error) {
	// Built again only when a custom field or a user changed (revision).
	return s.schemas.Get(ctx, s.db.R, revision.Definitions, func() (*query.Schema, error) { return s.schema(ctx) })
}

func (s *Service) schema(ctx context.Context) (*query.Schema, error) {
	defs, err := customfield.ListFor(ctx, s.db.R, customfield.ObjectDeal)
	if err != nil {
		return nil, err
	}
	fields := append([]query.Field(nil), builtinFields...)
	owner, err := record.OwnerField(ctx, s.users, "d.owner_id")
	if err != nil {
		return nil, err
	}
	fields = append(fields, owner)
	for _, d := range defs {
		fields = append(fields, d.QueryField())
	}
	return query.NewSchema("d", DefaultSort, fields...)
}

const listFrom = ` FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN pipeline_stages s ON s.id = d.stage_id
	LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN companies m ON m.id = d.company_id AND m.deleted_at IS NULL
	WHERE d.deleted_at IS NULL`

// List returns one keyset page of the deals matching r.
func (s *Service) List(ctx context.Context, r query.Request) (ListPage, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return ListPage{}, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return ListPage{}, err
	}
	vis, visArgs := access.Visible(ctx, "d.owner_id", 0)
	if vis != "" {
		vis = " AND " + vis
	}
	p, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema, Args: visArgs}, r)
	if err != nil {
		return ListPage{}, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT d.id, d.name, d.pipeline_id, p.name, d.stage_id, s.name, s.probability,
		d.amount, d.currency, d.close_date, d.status, d.owner_id, COALESCE(u.name, ''), d.company_id, COALESCE(m.name, ''),
		d.version, d.custom, d.created_at, d.updated_at, `+p.SortExpr+listFrom+vis+p.Tail(), p.Args...)
	if err != nil {
		return ListPage{}, fmt.Errorf("deal: list: %w", err)
	}
	var list []Row
	for rows.Next() {
		var x Row
		var owner, companyID sql.NullString
		var closeDate db.Date
		var custom string
		var created, updated db.Time
		if err := rows.Scan(&x.ID, &x.Name, &x.PipelineID, &x.PipelineName, &x.StageID, &x.StageName, &x.Probability,
			&x.Amount, &x.Currency, &closeDate, &x.Status, &owner, &x.OwnerName, &companyID, &x.CompanyName, &x.Version,
			&custom, &created, &updated, &x.sortValue); err != nil {
			rows.Close()
			return ListPage{}, fmt.Errorf("deal: list: %w", err)
		}
		x.OwnerID, x.CompanyID, x.CloseDate = owner.String, companyID.String, string(closeDate)
		if x.CompanyName == "" {
			x.CompanyID = ""
		}
		x.CreatedAt, x.UpdatedAt = created.Time, updated.Time
		x.Custom = customfield.Stored(custom)
		list = append(list, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return ListPage{}, fmt.Errorf("deal: list: %w", err)
	}
	list, cursors, err := query.Finish(p, list, func(x Row) (any, string) { return x.sortValue, x.ID })
	if err != nil {
		return ListPage{}, err
	}
	if list == nil {
		list = []Row{}
	}
	return ListPage{Rows: list, Cursors: cursors, Sort: p.Sort()}, nil
}

// Count returns how many deals match f, stopping at limit+1 when limit > 0.
func (s *Service) Count(ctx context.Context, f query.Group, limit int) (n int, exact bool, err error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return 0, false, err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return 0, false, err
	}
	return record.Count(ctx, s.db, schema, listFrom, "d.owner_id", f, limit)
}
