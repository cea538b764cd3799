package query

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Options is what compiling a filter or a page needs besides the request.
type Options struct {
	Engine db.Engine
	Schema *Schema
	// Args are the caller's arguments already numbered $1..$len(Args) in
	// its own SQL; the compiled fragment numbers its own after them. The
	// returned arguments start with a copy of Args.
	Args []any
	// Now anchors last_days; the zero value means time.Now().
	Now time.Time
	// Location draws day boundaries for last_days and for days given to
	// timestamp fields; nil means UTC.
	Location *time.Location
}

const (
	maxDepth      = 4 // the root group and three levels of nested groups
	maxConditions = 100
	maxItems      = 50 // values of one condition
)

// Compile validates filter f against o.Schema and returns it as a SQL
// boolean expression ("" when f has no conditions) with every value bound
// as an argument. A bad filter returns an *apperr.Validation whose field
// paths name the part, e.g. "filter.groups[0].conditions[2].value".
//
//	where, args, err := query.Compile(query.Options{Engine: d.Engine,
//		Schema: contacts, Args: []any{ownerID}}, f)
//	q := "SELECT ... FROM contacts c WHERE c.deleted_at IS NULL AND c.owner_id = $1"
//	if where != "" { q += " AND " + where }
func Compile(o Options, f Group) (where string, args []any, err error) {
	c, err := newCompiler(o)
	if err != nil {
		return "", nil, err
	}
	where = c.group(f, "filter", 1)
	if err := c.v.Err(); err != nil {
		return "", nil, err
	}
	return where, c.args, nil
}

type compiler struct {
	e    db.Engine
	s    *Schema
	args []any
	now  time.Time
	loc  *time.Location
	v    apperr.Validation
	n    int // conditions seen
}

func newCompiler(o Options) (*compiler, error) {
	if o.Engine != db.SQLite && o.Engine != db.Postgres {
		return nil, fmt.Errorf("query: unknown engine %q", o.Engine)
	}
	if o.Schema == nil {
		return nil, errors.New("query: no schema")
	}
	c := &compiler{e: o.Engine, s: o.Schema, args: slices.Clip(o.Args), now: o.Now, loc: o.Location}
	if c.loc == nil {
		c.loc = time.UTC
	}
	if c.now.IsZero() {
		c.now = time.Now()
	}
	return c, nil
}

// arg binds v and returns its placeholder.
func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// group compiles g; empty groups are ignored rather than matching every
// row, so an empty group the user is still editing changes nothing.
func (c *compiler) group(g Group, path string, depth int) string {
	if depth > maxDepth {
		c.v.Add(path, fmt.Sprintf("Groups can be nested at most %d levels deep.", maxDepth-1))
		return ""
	}
	sep := " AND "
	switch g.Match {
	case "", All:
	case Any:
		sep = " OR "
	default:
		c.v.Add(path+".match", `Choose "all" or "any".`)
	}
	var parts []string
	for i, cd := range g.Conditions {
		if s := c.condition(cd, fmt.Sprintf("%s.conditions[%d]", path, i)); s != "" {
			parts = append(parts, s)
		}
	}
	for i, sub := range g.Groups {
		if s := c.group(sub, fmt.Sprintf("%s.groups[%d]", path, i), depth+1); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	if len(parts) == 0 {
		return ""
	}
	return "(" + strings.Join(parts, sep) + ")"
}

func (c *compiler) condition(cd Condition, path string) string {
	f, ok := c.check(cd, path)
	if !ok {
		return ""
	}
	x := c.s.expr(c.e, f)
	items := cd.items(path)
	switch cd.Op {
	case Empty:
		return c.empty(f, x)
	case NotEmpty:
		return "NOT " + c.empty(f, x)
	case Between:
		return c.between(f, x, cd, path)
	case LastDays:
		return c.lastDays(f, x, items, path)
	case GT, LT:
		if len(items) != 1 {
			c.v.Add(path+".value", "Enter one value.")
			return ""
		}
		return c.compare(f, x, cd.Op, items[0])
	}
	if len(items) == 0 {
		c.v.Add(path+".value", msgValue)
		return ""
	}
	var preds []string
	for _, it := range items {
		if p := c.match(f, x, cd.Op, it); p != "" {
			preds = append(preds, p)
		}
	}
	if len(preds) != len(items) {
		return ""
	}
	p := preds[0]
	if len(preds) > 1 {
		p = "(" + strings.Join(preds, " OR ") + ")"
	}
	if cd.Op == IsNot || cd.Op == NotHasTag {
		// NULL (a missing value) counts as "not equal".
		return "NOT COALESCE(" + p + ", FALSE)"
	}
	return p
}

// check finds the condition's field and checks what does not depend on
// its values.
func (c *compiler) check(cd Condition, path string) (Field, bool) {
	if c.n++; c.n > maxConditions {
		c.v.Add(path, fmt.Sprintf("A filter can have at most %d conditions.", maxConditions))
		return Field{}, false
	}
	f, ok := c.s.Field(cd.Field)
	switch {
	case !ok && cd.Field == "":
		c.v.Add(path+".field", "Choose a field.")
	case !ok:
		c.v.Add(path+".field", fmt.Sprintf("There is no field %q to filter on.", cd.Field))
	case !slices.Contains(allowedOps[f.Type], cd.Op):
		c.v.Add(path+".op", opMessage(f, cd.Op))
	case cd.Value != "" && len(cd.Values) > 0:
		c.v.Add(path+".value", "Give either value or values, not both.")
	case len(cd.Values) > maxItems:
		c.v.Add(path+".values", fmt.Sprintf("Give at most %d values.", maxItems))
	default:
		return f, true
	}
	return Field{}, false
}

// empty is the predicate of the empty operator.
func (c *compiler) empty(f Field, x string) string {
	switch f.Type {
	case Text, Select:
		return "(" + x + " IS NULL OR " + x + " = '')"
	case MultiSelect:
		if c.e == db.Postgres {
			return "(" + x + " IS NULL OR " + x + " = '[]'::jsonb OR " + x + " = 'null'::jsonb)"
		}
		return "(" + x + " IS NULL OR " + x + " = '[]')"
	case Tag:
		return "(NOT EXISTS (" + x + "))"
	case Ref:
		if strings.HasPrefix(strings.TrimSpace(x), "SELECT ") {
			return "(NOT EXISTS (" + x + "))"
		}
	}
	return "(" + x + " IS NULL)"
}

// match is the predicate "x equals (contains, starts with, has) one value"
// of the any-of operators; the negative operators negate it.
func (c *compiler) match(f Field, x string, op Op, it item) string {
	if len(it.text) > maxValue {
		c.v.Add(it.path, msgTooLarge)
		return ""
	}
	switch f.Type {
	case Text:
		if strings.TrimSpace(it.text) == "" {
			c.v.Add(it.path, msgValue)
			return ""
		}
		switch op {
		case Contains:
			return "lower(" + x + ") LIKE lower(" + c.arg("%"+likeEscaper.Replace(it.text)+"%") + `) ESCAPE '\'`
		case StartsWith:
			return "lower(" + x + ") LIKE lower(" + c.arg(likeEscaper.Replace(it.text)+"%") + `) ESCAPE '\'`
		}
		return "lower(" + x + ") = lower(" + c.arg(it.text) + ")"
	case Bool:
		b, err := boolean(it.text)
		if err != nil {
			c.v.Add(it.path, msgBool)
			return ""
		}
		if !b {
			// A yes/no field that was never set counts as no.
			return "COALESCE(" + x + ", FALSE) = " + c.arg(false)
		}
		return x + " = " + c.arg(true)
	case Select, MultiSelect:
		o, ok := option(f, it.text)
		if !ok {
			c.v.Add(it.path, optionsMessage(f))
			return ""
		}
		if f.Type == Select {
			return x + " = " + c.arg(o)
		}
		if c.e == db.Postgres {
			j, _ := json.Marshal([]string{o})
			return x + " @> " + c.arg(string(j)) + "::jsonb"
		}
		return "EXISTS (SELECT 1 FROM json_each(" + x + ") WHERE value = " + c.arg(o) + ")"
	case Ref:
		v := strings.ToLower(strings.TrimSpace(it.text))
		if !id.Valid(v) {
			c.v.Add(it.path, "Choose a record from the list.")
			return ""
		}
		if strings.HasPrefix(strings.TrimSpace(x), "SELECT ") {
			return c.arg(v) + " IN (" + x + ")"
		}
		return x + " = " + c.arg(v)
	case Tag:
		t := strings.ToLower(strings.TrimSpace(it.text))
		if t == "" {
			c.v.Add(it.path, "Enter a tag.")
			return ""
		}
		return c.arg(t) + " IN (" + x + ")"
	case Timestamp:
		lo, hi, err := span(it.text, c.loc)
		if err != nil {
			c.v.Add(it.path, msgInstant)
			return ""
		}
		return "(" + x + " >= " + c.arg(db.T(lo)) + " AND " + x + " < " + c.arg(db.T(hi)) + ")"
	}
	v, ok := c.scalar(f, it)
	if !ok {
		return ""
	}
	return x + " = " + c.arg(v)
}

// scalar parses a number or date value, reporting a bad one.
func (c *compiler) scalar(f Field, it item) (any, bool) {
	switch f.Type {
	case Number:
		n, err := number(c.e, it.text)
		if err != nil {
			c.v.Add(it.path, msgNumber)
			return nil, false
		}
		return n, true
	case Date:
		d, err := day(it.text)
		if err != nil {
			c.v.Add(it.path, msgDate)
			return nil, false
		}
		return d, true
	}
	panic("query: scalar of " + string(f.Type)) // allowedOps keeps other types out
}

// compare is gt and lt on numbers, dates and timestamps. A day given to a
// timestamp field counts whole: after 2024-05-31 starts at June 1st.
func (c *compiler) compare(f Field, x string, op Op, it item) string {
	if f.Type == Timestamp {
		lo, hi, err := span(it.text, c.loc)
		if err != nil {
			c.v.Add(it.path, msgInstant)
			return ""
		}
		if op == GT {
			return x + " >= " + c.arg(db.T(hi))
		}
		return x + " < " + c.arg(db.T(lo))
	}
	v, ok := c.scalar(f, it)
	if !ok {
		return ""
	}
	if op == GT {
		return x + " > " + c.arg(v)
	}
	return x + " < " + c.arg(v)
}

// between includes both ends; for timestamps, whole days.
func (c *compiler) between(f Field, x string, cd Condition, path string) string {
	items := cd.items(path)
	if len(cd.Values) != 2 {
		c.v.Add(path+".values", msgBetween)
		return ""
	}
	if f.Type == Timestamp {
		lo, _, err1 := span(items[0].text, c.loc)
		_, hi, err2 := span(items[1].text, c.loc)
		if err1 != nil || err2 != nil {
			for i, err := range []error{err1, err2} {
				if err != nil {
					c.v.Add(items[i].path, msgInstant)
				}
			}
			return ""
		}
		if !hi.After(lo) {
			c.v.Add(items[1].path, "Enter a time after the first one.")
			return ""
		}
		return "(" + x + " >= " + c.arg(db.T(lo)) + " AND " + x + " < " + c.arg(db.T(hi)) + ")"
	}
	lo, ok1 := c.scalar(f, items[0])
	hi, ok2 := c.scalar(f, items[1])
	if !ok1 || !ok2 {
		return ""
	}
	if reversed(f.Type, lo, hi) {
		c.v.Add(items[1].path, "Enter a value not smaller than the first one.")
		return ""
	}
	return "(" + x + " >= " + c.arg(lo) + " AND " + x + " <= " + c.arg(hi) + ")"
}

// lastDays is "within the last N days up to now": for timestamps the last
// N×24 hours, for dates today and the N-1 days before it.
func (c *compiler) lastDays(f Field, x string, items []item, path string) string {
	if len(items) != 1 {
		c.v.Add(path+".value", msgDays)
		return ""
	}
	n, err := days(items[0].text)
	if err != nil {
		c.v.Add(items[0].path, msgDays)
		return ""
	}
	if f.Type == Timestamp {
		now := c.now.UTC().Truncate(time.Microsecond)
		from := now.Add(-time.Duration(n) * 24 * time.Hour)
		return "(" + x + " >= " + c.arg(db.T(from)) + " AND " + x + " <= " + c.arg(db.T(now)) + ")"
	}
	today := c.now.In(c.loc)
	from := today.AddDate(0, 0, -(n - 1))
	return "(" + x + " >= " + c.arg(from.Format(dayLayout)) + " AND " + x + " <= " + c.arg(today.Format(dayLayout)) + ")"
}
