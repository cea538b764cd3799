package query

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

const (
	msgLimit      = "Enter a page size from 1 to 200."
	msgCursor     = "This page link is not valid; start again from the first page."
	msgCursorSort = "This page link belongs to another sort order; start again from the first page."
	maxCursor     = 2048
)

// Sort is a list order: one field, ascending or descending. Rows with the
// same value follow in id order (the same direction), and rows without a
// value come last in both directions. Its text form, used in URLs and
// saved views, is the field key with a "-" in front for descending.
type Sort struct {
	Field string
	Desc  bool
}

// ParseSort reads the text form: "last_name", "-updated_at", "-cf.plan".
func ParseSort(s string) Sort {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		return Sort{Field: rest, Desc: true}
	}
	return Sort{Field: s}
}

// String returns the text form.
func (s Sort) String() string {
	if s.Desc {
		return "-" + s.Field
	}
	return s.Field
}

// MarshalText implements encoding.TextMarshaler, so JSON holds "-updated_at".
func (s Sort) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (s *Sort) UnmarshalText(b []byte) error {
	*s = ParseSort(string(b))
	return nil
}

// Page is one compiled keyset page. The caller selects SortExpr as its last
// column, appends Tail to a query that already has a WHERE clause and runs
// it with Args, then hands the rows to Finish:
//
//	p, err := query.Paginate(query.Options{Engine: d.Engine, Schema: contacts,
//		Args: []any{ownerID}}, req)
//	rows, err := d.R.QueryContext(ctx, "SELECT c.id, c.first_name, "+p.SortExpr+
//		" FROM contacts c WHERE c.deleted_at IS NULL AND c.owner_id = $1"+p.Tail(), p.Args...)
//	... scan each row into a struct holding its id and sort value ...
//	list, cursors, err := query.Finish(p, fetched, func(r row) (any, string) { return r.sortValue, r.ID })
type Page struct {
	// Where is the filter and the keyset condition, "" when there is none.
	Where string
	// OrderBy is the ORDER BY list, without the keywords.
	OrderBy string
	// SortExpr is the sort expression; select it so that Finish can put
	// the last row's value into the next page's cursor.
	SortExpr string
	// Limit is the number of rows on the page.
	Limit int
	// Args are Options.Args followed by the page's own arguments.
	Args []any

	sort      Sort
	field     Field
	backward  bool // fetching the page before the cursor, in reverse order
	hasCursor bool
}

// Tail returns " AND <Where> ORDER BY <OrderBy> LIMIT <Limit+1>". One row
// more than the page is fetched so that Finish knows whether another page
// follows. There is never an OFFSET.
func (p *Page) Tail() string {
	var b strings.Builder
	if p.Where != "" {
		b.WriteString(" AND " + p.Where)
	}
	b.WriteString(" ORDER BY " + p.OrderBy + " LIMIT " + strconv.Itoa(p.Limit+1))
	return b.String()
}

// Sort returns the order the page uses (the schema's default when the
// request named none).
func (p *Page) Sort() Sort { return p.sort }

// Cursors are the opaque cursors of the neighbouring pages; "" when there
// is no such page.
type Cursors struct {
	Next string `json:"next,omitempty"`
	Prev string `json:"prev,omitempty"`
}

// cursor is what an opaque cursor holds: the sort it belongs to, the last
// (or, going back, the first) row's sort value as text and its id.
type cursor struct {
	Sort  string  `json:"s"`
	Value *string `json:"v"`
	ID    string  `json:"id"`
	Back  bool    `json:"b,omitempty"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	if len(s) > maxCursor {
		return c, errBad
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, err
	}
	if !id.Valid(c.ID) {
		return c, errBad
	}
	c.ID = strings.ToLower(c.ID)
	return c, nil
}

// Paginate validates r (filter, sort, cursor and limit, reporting every
// problem in one *apperr.Validation under "filter...", "sort", "cursor" and
// "limit") and compiles the page it asks for.
func Paginate(o Options, r Request) (*Page, error) {
	c, err := newCompiler(o)
	if err != nil {
		return nil, err
	}
	where := c.group(r.Filter, "filter", 1)
	p := &Page{sort: r.Sort, Limit: r.Limit}
	if p.sort.Field == "" {
		p.sort = o.Schema.DefaultSort()
	}
	f, ok := o.Schema.Field(p.sort.Field)
	switch {
	case !ok:
		c.v.Add("sort", fmt.Sprintf("There is no field %q to sort by.", p.sort.Field))
	case !f.sortable():
		c.v.Add("sort", fmt.Sprintf("The list cannot be sorted by %s.", f.label()))
	}
	if p.Limit == 0 {
		p.Limit = DefaultLimit
	}
	if p.Limit < 1 || p.Limit > MaxLimit {
		c.v.Add("limit", msgLimit)
	}
	var cur cursor
	if r.Cursor != "" {
		p.hasCursor = true
		if cur, err = decodeCursor(r.Cursor); err != nil {
			c.v.Add("cursor", msgCursor)
		} else if ok && cur.Sort != p.sort.String() {
			c.v.Add("cursor", msgCursorSort)
		}
	}
	if err := c.v.Err(); err != nil {
		return nil, err
	}
	p.field, p.backward = f, cur.Back
	p.SortExpr = o.Schema.expr(o.Engine, f)
	asc := p.sort.Desc == p.backward
	p.OrderBy = orderBy(p.SortExpr, o.Schema.idExpr(), asc, f.NotNull, p.backward)
	fixed := fixedBy(r.Filter, f)
	if fixed {
		// Every row on the page has the same sort value, so the id alone
		// orders it: SQLite does not see that an index on (expr, id)
		// already yields that order under expr = ?, and would sort every
		// match before taking 50.
		p.OrderBy = o.Schema.idExpr() + " ASC"
		if !asc {
			p.OrderBy = o.Schema.idExpr() + " DESC"
		}
	}
	if p.hasCursor && fixed && cur.Value != nil {
		cmp := " > "
		if !asc {
			cmp = " < "
		}
		k := o.Schema.idExpr() + cmp + c.arg(cur.ID)
		if where != "" {
			k = where + " AND " + k
		}
		where = k
	} else if p.hasCursor {
		k, err := c.keyset(f, p.SortExpr, o.Schema.idExpr(), cur, asc, p.backward)
		if err != nil {
			c.v.Add("cursor", msgCursor)
			return nil, c.v.Err()
		}
		if where != "" {
			k = where + " AND " + k
		}
		where = k
	}
	p.Where, p.Args = where, c.args
	return p, nil
}

// fixedBy reports whether filter g pins the sort field f to one exact
// value for every row: a top-level "all" group with an "is" condition on
// f, for a type compared exactly (not text, which compares ignoring case).
func fixedBy(g Group, f Field) bool {
	if g.Match == Any || len(g.Conditions) == 0 && len(g.Groups) == 0 {
		return false
	}
	// Not Bool: "is no" also matches rows that have no value.
	if f.Type != Select && f.Type != Number && f.Type != Date {
		return false
	}
	for _, cd := range g.Conditions {
		if cd.Field == f.Key && cd.Op == Is && len(cd.Values) <= 1 {
			return true
		}
	}
	return false
}

// orderBy lists the sort expression and the id in the scan direction.
func orderBy(x, idx string, asc, notNull, nullsFirst bool) string {
	dir := " ASC"
	if !asc {
		dir = " DESC"
	}
	if notNull {
		return x + dir + ", " + idx + dir
	}
	nulls := " NULLS LAST"
	if nullsFirst {
		nulls = " NULLS FIRST"
	}
	return x + dir + nulls + ", " + idx + dir
}

// keyset is the condition "comes after the cursor's row in the scan
// order". NULL sort values come last going forward, so first going back.
func (c *compiler) keyset(f Field, x, idx string, cur cursor, asc, nullsFirst bool) (string, error) {
	cmp := " > "
	if !asc {
		cmp = " < "
	}
	if cur.Value == nil {
		if f.NotNull {
			return "", errBad
		}
		i := c.arg(cur.ID)
		if nullsFirst {
			return "(" + x + " IS NOT NULL OR " + idx + cmp + i + ")", nil
		}
		return "(" + x + " IS NULL AND " + idx + cmp + i + ")", nil
	}
	v, err := bindSort(c.e, f.Type, *cur.Value)
	if err != nil {
		return "", err
	}
	va, ia := c.arg(v), c.arg(cur.ID)
	if f.NotNull {
		// The row-value form is what an index on (expr, id) serves.
		return "(" + x + ", " + idx + ")" + cmp + "(" + va + ", " + ia + ")", nil
	}
	s := "(" + x + cmp + va + " OR (" + x + " = " + va + " AND " + idx + cmp + ia + ")"
	if !nullsFirst {
		s += " OR " + x + " IS NULL"
	}
	return s + ")", nil
}

// Finish turns the rows fetched with p (at most Limit+1, in the page's SQL
// order) into the page: it drops the extra row, puts a page fetched
// backwards into display order (reordering rows in place) and returns the
// cursors of the pages before and after. key returns a row's value of
// SortExpr, as scanned into an `any`, and its id.
func Finish[T any](p *Page, rows []T, key func(T) (sortValue any, id string)) ([]T, Cursors, error) {
	var cs Cursors
	more := len(rows) > p.Limit
	if more {
		rows = rows[:p.Limit]
	}
	if p.backward {
		slices.Reverse(rows)
	}
	if len(rows) == 0 {
		return rows, cs, nil
	}
	first, err := p.cursor(key(rows[0]))
	if err != nil {
		return nil, cs, err
	}
	last, err := p.cursor(key(rows[len(rows)-1]))
	if err != nil {
		return nil, cs, err
	}
	first.Back = true
	if p.backward {
		cs.Next = last.encode()
		if more {
			cs.Prev = first.encode()
		}
		return rows, cs, nil
	}
	if more {
		cs.Next = last.encode()
	}
	if p.hasCursor {
		cs.Prev = first.encode()
	}
	return rows, cs, nil
}

func (p *Page) cursor(v any, rowID string) (cursor, error) {
	if !id.Valid(rowID) {
		return cursor{}, fmt.Errorf("query: row id %q is not a UUID", rowID)
	}
	s, err := canonical(p.field.Type, v)
	if err != nil {
		return cursor{}, fmt.Errorf("query: sort value %v (%T) of %s: %w", v, v, p.field.Key, err)
	}
	if s == nil && p.field.NotNull {
		return cursor{}, errors.New("query: NULL sort value for NotNull field " + p.field.Key)
	}
	return cursor{Sort: p.sort.String(), Value: s, ID: strings.ToLower(rowID)}, nil
}

// After returns the cursor of the page that follows the row with sort value
// v and id rowID in sort order s, as if that row had ended a page. Tools
// that jump deep into a list (benchmarks, resumable bulk work) use it.
func After(schema *Schema, e db.Engine, s Sort, v any, rowID string) (string, error) {
	p, err := Paginate(Options{Engine: e, Schema: schema}, Request{Sort: s})
	if err != nil {
		return "", err
	}
	c, err := p.cursor(v, rowID)
	if err != nil {
		return "", err
	}
	return c.encode(), nil
}
