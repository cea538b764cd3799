package web

import (
	"context"
	"strconv"

	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/query"
)

// dealKind is the deal list: the same filter builder, columns, saved views
// and keyset pages as contacts, without bulk actions, export or import.
func (l *lists) dealKind() *listKind {
	d := l.s.deals
	return &listKind{Object: "deal", Path: "/deals/list", Title: "Deals", One: "deal", Many: "deals",
		Page: "deals_list", perm: deal.Deals, listOnly: true, newPath: "/deals/new",
		defaults: []string{"name", "amount", "stage", "close_date", "status", "company", "owner", "updated_at"},
		schema:   d.Schema, count: d.Count,
		fetch: func(ctx context.Context, req query.Request, cols []listColumn, fx *listCellFormat) (listRows, error) {
			p, err := d.List(ctx, req)
			if err != nil {
				return listRows{}, err
			}
			rows := listRowsOf(p.Rows, cols, fx, listDealCell, func(x deal.Row) listRow {
				return listRow{ID: x.ID, Name: x.Name, URL: "/deals/" + x.ID}
			})
			return listRows{Rows: rows, Cursors: p.Cursors, Sort: p.Sort}, nil
		}}
}

func listDealCell(x deal.Row, col listColumn, fx *listCellFormat) listCell {
	c := listTextCell(col, "")
	switch col.Key {
	case "name":
		c.Kind, c.Text, c.Link = "name", x.Name, "/deals/"+x.ID
	case "amount":
		c.Text = money.Format(x.Amount, x.Currency)
	case "currency":
		c.Text = x.Currency
	case "close_date":
		c.Text = x.CloseDate
	case "status":
		c.Text = x.Status
	case "stage":
		c.Text = x.StageName
	case "probability":
		c.Text = strconv.Itoa(x.Probability) + " %"
	case "pipeline_id":
		c.Text = x.PipelineName
	case "stage_id":
		c.Text = x.StageName
	case "company", "company_id":
		c.Text = x.CompanyName
		if x.CompanyID != "" {
			c.Kind, c.Link = "link", "/companies/"+x.CompanyID
		}
	default:
		return listSharedCell(c, col, fx, listShared{x.OwnerName, nil, x.CreatedAt, x.UpdatedAt, x.Custom})
	}
	return c
}
