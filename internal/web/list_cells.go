package web

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/phone"
)

// listRow is one row of a list as the template draws it.
type listRow struct {
	ID    string
	Name  string
	URL   string
	Cells []listCell
}

// listCell is one cell. Kind says how to draw it: "name" (a link to the
// record), "link", "mail", "tags", "time" or plain text.
type listCell struct {
	Label string
	Kind  string
	Text  string
	Link  string
	Tags  []string
	Time  time.Time
}

// listCellFormat is what cells need besides the row: the custom field
// definitions (currency fields are stored in minor units).
type listCellFormat struct {
	defs map[string]customfield.Field
	// The custom values of the row being drawn, decoded once for all its
	// custom columns (cells are drawn row by row).
	lastStored customfield.Stored
	lastValues customfield.Values
}

func newListCellFormat(defs []customfield.Field) *listCellFormat {
	fx := &listCellFormat{defs: map[string]customfield.Field{}}
	for _, d := range defs {
		fx.defs[d.Key] = d
	}
	return fx
}

func listTextCell(col listColumn, s string) listCell { return listCell{Label: col.Label, Text: s} }

func listContactCell(x contact.Row, col listColumn, fx *listCellFormat) listCell {
	c := listTextCell(col, "")
	switch col.Key {
	case "name":
		c.Kind, c.Text, c.Link = "name", x.DisplayName, "/contacts/"+x.ID
	case "first_name":
		c.Text = x.FirstName
	case "last_name":
		c.Text = x.LastName
	case "email":
		c.Kind, c.Text = "mail", x.Email
	case "phone":
		c.Text = phone.International(x.Phone)
	case "job_title":
		c.Text = x.JobTitle
	case "company":
		c.Text = x.CompanyName
		if x.CompanyID != "" {
			c.Kind, c.Link = "link", "/companies/"+x.CompanyID
		}
	case "lifecycle_stage":
		c.Text = contact.StageLabel(x.Stage)
	case "source":
		c.Text = x.Source
	case "city":
		c.Text = x.City
	case "country":
		c.Text = x.Country
	case "birthday":
		c.Text = x.Birthday
	default:
		return listSharedCell(c, col, fx, listShared{x.OwnerName, x.Tags, x.CreatedAt, x.UpdatedAt, x.Custom})
	}
	return c
}

func listCompanyCell(x company.Row, col listColumn, fx *listCellFormat) listCell {
	c := listTextCell(col, "")
	switch col.Key {
	case "name":
		c.Kind, c.Text, c.Link = "name", x.Name, "/companies/"+x.ID
	case "domain":
		c.Text = x.Domain
	case "industry":
		c.Text = x.Industry
	case "size":
		c.Text = x.Size
	case "city":
		c.Text = x.City
	case "country":
		c.Text = x.Country
	default:
		return listSharedCell(c, col, fx, listShared{x.OwnerName, x.Tags, x.CreatedAt, x.UpdatedAt, x.Custom})
	}
	return c
}

// listShared holds the columns contacts and companies both have.
type listShared struct {
	owner            string
	tags             []string
	created, updated time.Time
	custom           customfield.Stored
}

// listSharedCell fills c for a column every record kind has: owner, tags,
// times and custom fields.
func listSharedCell(c listCell, col listColumn, fx *listCellFormat, x listShared) listCell {
	switch col.Key {
	case "owner":
		c.Text = x.owner
	case listTagKey:
		c.Kind, c.Tags = "tags", x.tags
	case "created_at":
		c.Kind, c.Time = "time", x.created
	case "updated_at":
		c.Kind, c.Time = "time", x.updated
	default:
		c.Text = fx.custom(col, x.custom)
	}
	return c
}

// custom formats a custom value for a cell.
func (fx *listCellFormat) custom(col listColumn, vals customfield.Stored) string {
	if col.Custom == "" {
		return ""
	}
	if vals != fx.lastStored || fx.lastValues == nil {
		// A damaged column shows as empty cells; the API reports it.
		fx.lastValues, _ = vals.Values()
		fx.lastStored = vals
	}
	v := fx.lastValues[col.Custom]
	if v == nil {
		return ""
	}
	def := fx.defs[col.Custom]
	switch x := v.(type) {
	case bool:
		if x {
			return "Yes"
		}
		return "No"
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ", ")
	case float64:
		return listNumber(x, def)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return listNumber(f, def)
	case string:
		if def.Type == customfield.Phone {
			return phone.International(x)
		}
		return x
	}
	return fmt.Sprint(v)
}

// listNumber writes a number; a currency value (minor units) as an amount
// the way every page writes money.
func listNumber(f float64, def customfield.Field) string {
	if def.Type != customfield.Currency {
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return thousands(int(f))
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return money.Format(int64(math.Round(f)), def.Currency)
}
