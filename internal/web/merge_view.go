package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/money"
)

// maxMerge is how many records one merge page takes.
const maxMerge = 10

// mergeKind names what is merged: contacts or companies.
type mergeKind struct {
	Noun   string // "contact"
	Plural string // "contacts"
	Base   string // "/contacts"
	Object string // access object
}

var (
	contactMergeKind = mergeKind{"contact", "contacts", "/contacts", access.Contacts}
	companyMergeKind = mergeKind{"company", "companies", "/companies", access.Companies}
)

// dupView is the duplicates page of either kind.
type dupView struct {
	page
	Kind   mergeKind
	Groups []dupGroup
}

type dupGroup struct {
	Reasons  []string
	Records  []dupRecord
	MergeURL string
}

type dupRecord struct {
	ID, Name, URL string
	Facts         []dupFact
}

type dupFact struct{ Label, Value string }

// mergeURL is the comparison page of ids.
func (k mergeKind) mergeURL(ids []string) string {
	return k.Base + "/merge?" + url.Values{"ids": ids}.Encode()
}

// mergeColumn is one record on the merge page: its single values by field
// and its lists, as text.
type mergeColumn struct {
	ID, Name, URL string
	Created       time.Time
	Values        map[string]string
	Lists         map[string][]string
}

// mergeField is a field the user chooses a value for.
type mergeField struct{ Key, Label string }

type mergeView struct {
	page
	Kind       mergeKind
	Columns    []mergeColumn
	SurvivorID string
	Rows       []mergeRow
	Lists      []mergeList
	Errors     *apperr.Validation
}

// mergeRow is one field: a radio per record, or the one value they share.
type mergeRow struct {
	Field, Label string
	Same         bool
	Value        string
	Cells        []mergeCell
	Error        string
}

type mergeCell struct {
	RecordID, Value string
	Empty, Checked  bool
}

// mergeList is a list field, combined by the merge.
type mergeList struct {
	Label string
	Cells [][]string
}

// buildMerge lays out the comparison. The survivor defaults to the oldest
// record; each field defaults to the choice posted, else the survivor's
// value, else the first non-empty one.
func buildMerge(v *mergeView, fields []mergeField, lists []string, survivor string, choices map[string]string) {
	slices.SortStableFunc(v.Columns, func(a, b mergeColumn) int { return a.Created.Compare(b.Created) })
	v.SurvivorID = v.Columns[0].ID
	if slices.ContainsFunc(v.Columns, func(c mergeColumn) bool { return c.ID == survivor }) {
		v.SurvivorID = survivor
	}
	for _, f := range fields {
		row := mergeRow{Field: f.Key, Label: f.Label, Same: true, Value: v.Columns[0].Values[f.Key]}
		chosen := choices[f.Key]
		if !slices.ContainsFunc(v.Columns, func(c mergeColumn) bool { return c.ID == chosen }) {
			chosen = defaultChoice(v.Columns, v.SurvivorID, f.Key)
		}
		for _, c := range v.Columns {
			val := c.Values[f.Key]
			row.Same = row.Same && val == row.Value
			row.Cells = append(row.Cells, mergeCell{RecordID: c.ID, Value: val, Empty: val == "", Checked: c.ID == chosen})
		}
		if v.Errors != nil {
			row.Error = v.Errors.For("choices." + f.Key)
		}
		row.Same = row.Same && row.Error == ""
		v.Rows = append(v.Rows, row)
	}
	for _, l := range lists {
		ml := mergeList{Label: l}
		for _, c := range v.Columns {
			ml.Cells = append(ml.Cells, c.Lists[l])
		}
		v.Lists = append(v.Lists, ml)
	}
}

func defaultChoice(cols []mergeColumn, survivor, field string) string {
	for _, c := range cols {
		if c.ID == survivor && c.Values[field] != "" {
			return c.ID
		}
	}
	for _, c := range cols {
		if c.Values[field] != "" {
			return c.ID
		}
	}
	return survivor
}

// mergeIDs reads the distinct ids of a merge request (query or form).
func mergeIDs(vals url.Values) []string {
	var ids []string
	for _, x := range vals["ids"] {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(ids, x) {
			ids = append(ids, x)
		}
	}
	return ids
}

// mergePost is a posted merge: the survivor, the others and the choices
// ("choice.<field>" = record id).
type mergePost struct {
	IDs, Merged []string
	Survivor    string
	Choices     map[string]string
}

func readMergePost(r *http.Request) mergePost {
	p := mergePost{IDs: mergeIDs(r.PostForm), Survivor: r.PostForm.Get("survivor"), Choices: map[string]string{}}
	for _, x := range p.IDs {
		if x != p.Survivor {
			p.Merged = append(p.Merged, x)
		}
	}
	for k, vals := range r.PostForm {
		if field, ok := strings.CutPrefix(k, "choice."); ok && field != "" && len(vals) > 0 {
			p.Choices[field] = vals[0]
		}
	}
	return p
}

// checkMergeRequest refuses what the page cannot show: too few or too many
// records, a survivor outside the merge, a role that may not merge.
func (s *Server) checkMergeRequest(w http.ResponseWriter, r *http.Request, k mergeKind, ids []string, survivor *string) bool {
	a, _ := access.ActorFrom(r.Context())
	if !access.Allowed(a, k.Object, access.Update) || !access.Allowed(a, k.Object, access.Delete) {
		s.forbidden(w, r)
		return false
	}
	msg := ""
	switch {
	case len(ids) < 2:
		msg = fmt.Sprintf("Choose at least two %s to merge.", k.Plural)
	case len(ids) > maxMerge:
		msg = fmt.Sprintf("Merge at most %d %s at a time.", maxMerge, k.Plural)
	case survivor != nil && !slices.Contains(ids, *survivor):
		msg = fmt.Sprintf("Choose which %s to keep.", k.Noun)
	}
	if msg != "" {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "Cannot merge", msg)
		return false
	}
	return true
}

// customMergeFields turns custom field definitions into merge fields.
func customMergeFields(defs []customfield.Field) []mergeField {
	var out []mergeField
	for _, d := range defs {
		out = append(out, mergeField{customfield.FieldName(d.Key), d.Label})
	}
	return out
}

// customMergeValues writes a record's custom values as text by field name.
func customMergeValues(m map[string]string, defs []customfield.Field, vals customfield.Values) {
	for _, d := range defs {
		if x, ok := vals[d.Key]; ok {
			m[customfield.FieldName(d.Key)] = customMergeText(d, x)
		}
	}
}

// customMergeText shows one custom value for comparison.
func customMergeText(d customfield.Field, x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "Yes"
		}
		return "No"
	case []string:
		return strings.Join(v, ", ")
	case []any:
		parts := make([]string, 0, len(v))
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
		return strings.Join(parts, ", ")
	}
	n, ok := mergeNumber(x)
	if !ok {
		return fmt.Sprint(x)
	}
	if d.Type == customfield.Currency { // stored in minor units
		return money.Format(int64(math.Round(n)), d.Currency)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

func mergeNumber(x any) (float64, bool) {
	switch v := x.(type) {
	case float64:
		return v, !math.IsNaN(v)
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	}
	return 0, false
}
