package export

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/phone"
	"github.com/rapportcrm/rapport/internal/query"
)

// Column is one column of a list export: a field of the list as the list
// page shows it.
type Column struct {
	// Key is the field key: "name", "email", "cf.plan".
	Key string
	// Label is the header: the field's label; a currency field names its
	// currency, "Deal size (EUR)", because the cells hold bare amounts.
	Label string

	def *customfield.Field // a custom field's definition
}

// DefaultColumns are the columns of a list nobody has changed, in order:
// the same as the list pages show.
var DefaultColumns = map[string][]string{
	ObjectContact: {"name", "email", "phone", "company", "lifecycle_stage", "owner", "tag", "updated_at"},
	ObjectCompany: {"name", "domain", "industry", "size", "city", "owner", "tag"},
}

// MaxColumns is the most columns one export takes.
const MaxColumns = 100

// availableColumns lists every column schema offers, in its order: every
// field but record references, which filter a list and are no column.
func availableColumns(schema *query.Schema, defs []customfield.Field) []Column {
	byKey := map[string]*customfield.Field{}
	for i := range defs {
		byKey["cf."+defs[i].Key] = &defs[i]
	}
	var out []Column
	for _, f := range schema.Fields() {
		if f.Type == query.Ref {
			continue
		}
		c := Column{Key: f.Key, Label: f.Label, def: byKey[f.Key]}
		switch {
		case f.Key == "tag":
			c.Label = "Tags"
		case f.Key == "created_at" || f.Key == "updated_at":
			c.Label += " (UTC)"
		case c.def != nil && c.def.Type == customfield.Currency && c.def.Currency != "":
			c.Label += " (" + c.def.Currency + ")"
		}
		if c.Label == "" {
			c.Label = f.Key
		}
		out = append(out, c)
	}
	return out
}

// pickColumns returns the columns named by keys, in that order; none means
// the object's defaults. An unknown or repeated key is a validation error
// on "columns".
func pickColumns(all []Column, keys []string, object string) ([]Column, error) {
	if len(keys) == 0 {
		keys = DefaultColumns[object]
	}
	var v apperr.Validation
	if len(keys) > MaxColumns {
		v.Add("columns", fmt.Sprintf("Choose at most %d columns.", MaxColumns))
		return nil, v.Err()
	}
	var out []Column
	var seen []string
	for _, k := range keys {
		k = strings.TrimSpace(k)
		i := slices.IndexFunc(all, func(c Column) bool { return c.Key == k })
		switch {
		case k == "":
		case i < 0:
			v.Add("columns", fmt.Sprintf("There is no column %q.", k))
		case slices.Contains(seen, k):
			v.Add("columns", fmt.Sprintf("The column %q is named twice.", k))
		default:
			seen = append(seen, k)
			out = append(out, all[i])
		}
	}
	if len(out) == 0 && v.Err() == nil {
		v.Add("columns", "Choose at least one column.")
	}
	return out, v.Err()
}

// cell is one formatted value; number cells hold a plain number, which
// a spreadsheet must read as one, so they are never escaped.
type cell struct {
	text   string
	number bool
}

func text(s string) cell { return cell{text: s} }

// timeLayout is how instants are written: UTC, to the second, in the form
// spreadsheets read as a date and time.
const timeLayout = "2006-01-02 15:04:05"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

// contactCell formats column col of contact x.
func contactCell(x *contact.ExportRow, col *Column) cell {
	switch col.Key {
	case "name":
		return text(x.DisplayName)
	case "first_name":
		return text(x.FirstName)
	case "last_name":
		return text(x.LastName)
	case "email":
		if len(x.Emails) == 1 {
			return text(x.Emails[0].Address)
		}
		parts := make([]string, len(x.Emails))
		for i, e := range x.Emails {
			parts[i] = e.Address
		}
		return text(strings.Join(parts, ", "))
	case "phone":
		return text(strings.Join(x.Shown, ", "))
	case "job_title":
		return text(x.JobTitle)
	case "company":
		return text(x.CompanyName)
	case "lifecycle_stage":
		return text(contact.StageLabel(x.Stage))
	case "source":
		return text(x.Source)
	case "city":
		return text(x.Address.City)
	case "country":
		return text(x.Address.Country)
	case "birthday":
		return text(x.Birthday)
	}
	return sharedCell(col, x.OwnerName, x.Tags, x.CreatedAt, x.UpdatedAt, x.Values)
}

// companyCell formats column col of company x.
func companyCell(x *company.ExportRow, col *Column) cell {
	switch col.Key {
	case "name":
		return text(x.Name)
	case "domain":
		return text(x.Domain)
	case "industry":
		return text(x.Industry)
	case "size":
		return text(x.Size)
	case "city":
		return text(x.Address.City)
	case "country":
		return text(x.Address.Country)
	}
	return sharedCell(col, x.OwnerName, x.Tags, x.CreatedAt, x.UpdatedAt, x.Values)
}

// sharedCell formats the columns every record kind has: owner, tags,
// times and custom fields.
func sharedCell(col *Column, owner string, tags []string, created, updated time.Time, vals customfield.Values) cell {
	switch col.Key {
	case "owner":
		return text(owner)
	case "tag":
		return text(strings.Join(tags, ", "))
	case "created_at":
		return text(formatTime(created))
	case "updated_at":
		return text(formatTime(updated))
	}
	if col.def == nil {
		return cell{}
	}
	return customCell(*col.def, vals[col.def.Key])
}

// customCell formats a custom value the way a spreadsheet reads it: yes/no,
// lists joined with ", ", numbers without thousands separators, currency
// amounts in major units (the header names the currency).
func customCell(def customfield.Field, v any) cell {
	switch x := v.(type) {
	case nil:
		return cell{}
	case bool:
		if x {
			return text("Yes")
		}
		return text("No")
	case []string:
		return text(strings.Join(x, ", "))
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return text(strings.Join(parts, ", "))
	case float64:
		return number(def, x)
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return text(x.String())
		}
		return number(def, f)
	case string:
		if def.Type == customfield.Phone {
			return text(phone.Format(x))
		}
		return text(x)
	}
	return text(fmt.Sprint(v))
}

// number writes f plainly; a currency value (stored in minor units) as an
// amount with the currency's decimals.
func number(def customfield.Field, f float64) cell {
	if def.Type != customfield.Currency {
		return cell{text: strconv.FormatFloat(f, 'f', -1, 64), number: true}
	}
	digits := 2
	if u, err := currency.ParseISO(def.Currency); err == nil {
		digits, _ = currency.Standard.Rounding(u)
	}
	return cell{text: strconv.FormatFloat(f/math.Pow10(digits), 'f', digits, 64), number: true}
}
