package web

import (
	"fmt"
	"html/template"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/query"
)

// The filter builder is a plain GET form, so it works without JavaScript.
// Its inputs are named after the path of each part in the filter JSON, the
// same paths query uses in its messages: "filter.conditions[0].field",
// "filter.groups[1].match", "filter.groups[1].conditions[0].value". A
// condition may repeat ".value" (between has two; "any of" several).

const (
	fbRoot      = "filter"
	fbMaxConds  = query.MaxLimit // a scan bound; query allows 100 conditions
	fbMaxGroups = 20
	fbMaxDepth  = 4 // query's own limit
	fbUIDepth   = 2 // the builder offers groups inside the root only
)

// fbReadDraft reads the builder's inputs into a filter, as typed: conditions
// without a field are kept so that a row just added stays on screen.
func fbReadDraft(v url.Values) query.Group { return fbReadGroup(v, fbRoot, 1) }

func fbReadGroup(v url.Values, path string, depth int) query.Group {
	g := query.Group{Match: query.Match(v.Get(path + ".match"))}
	if g.Match == query.All {
		g.Match = ""
	}
	for i := range fbMaxConds {
		p := fmt.Sprintf("%s.conditions[%d]", path, i)
		if !v.Has(p + ".field") {
			continue
		}
		c := query.Condition{Field: strings.TrimSpace(v.Get(p + ".field")), Op: query.Op(v.Get(p + ".op"))}
		vals := v[p+".value"]
		switch c.Op {
		case query.Empty, query.NotEmpty:
		case query.Between:
			c.Values = append(slices.Clone(vals), "", "")[:2]
		default:
			var set []string
			for _, x := range vals {
				if x = strings.TrimSpace(x); x != "" {
					set = append(set, x)
				}
			}
			if len(set) == 1 {
				c.Value = set[0]
			} else if len(set) > 1 {
				c.Values = set
			}
		}
		g.Conditions = append(g.Conditions, c)
	}
	if depth < fbMaxDepth {
		for i := range fbMaxGroups {
			p := fmt.Sprintf("%s.groups[%d]", path, i)
			if v.Has(p + ".match") {
				g.Groups = append(g.Groups, fbReadGroup(v, p, depth+1))
			}
		}
	}
	return g
}

// fbPrune drops conditions that have no field yet and groups left with
// nothing, which is what applying a draft means.
func fbPrune(g query.Group) query.Group {
	out := query.Group{Match: g.Match}
	for _, c := range g.Conditions {
		if c.Field != "" {
			out.Conditions = append(out.Conditions, c)
		}
	}
	for _, sub := range g.Groups {
		if p := fbPrune(sub); !p.IsZero() {
			out.Groups = append(out.Groups, p)
		}
	}
	return out
}

// fbFitOps gives every condition whose operator does not suit its field
// (the field was just changed) the field's first operator and no value.
func fbFitOps(g *query.Group, schema *query.Schema) {
	for i := range g.Conditions {
		c := &g.Conditions[i]
		f, ok := schema.Field(c.Field)
		if !ok {
			continue
		}
		ops := query.Ops(f.Type)
		if !slices.Contains(ops, c.Op) && len(ops) > 0 {
			// A value typed for another field rarely suits this one.
			c.Op, c.Value, c.Values = ops[0], "", nil
		}
	}
	for i := range g.Groups {
		fbFitOps(&g.Groups[i], schema)
	}
}

var (
	fbPathPattern = regexp.MustCompile(`^filter((?:\.groups\[\d+\])*)(?:\.conditions\[(\d+)\])?$`)
	fbDigits      = regexp.MustCompile(`\d+`)
	fbDayPattern  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// fbApplyAction performs a builder button on the draft: "add:<group
// path>" adds an empty condition, "group:<group path>" a group with one
// empty condition, "remove:<path>" removes a condition or a group. It
// reports false for anything else.
func fbApplyAction(g *query.Group, action string) bool {
	verb, path, ok := strings.Cut(action, ":")
	m := fbPathPattern.FindStringSubmatch(path)
	if !ok || m == nil {
		return false
	}
	var groups []int
	for _, d := range fbDigits.FindAllString(m[1], -1) {
		i, _ := strconv.Atoi(d)
		groups = append(groups, i)
	}
	cond := -1
	if m[2] != "" {
		cond, _ = strconv.Atoi(m[2])
	}
	walk := groups
	removeGroup := verb == "remove" && cond < 0
	if removeGroup {
		if len(groups) == 0 {
			return false // the root group stays
		}
		walk = groups[:len(groups)-1]
	}
	grp := g
	for _, i := range walk {
		if i >= len(grp.Groups) {
			return false
		}
		grp = &grp.Groups[i]
	}
	switch {
	case verb == "add" && cond < 0:
		grp.Conditions = append(grp.Conditions, query.Condition{})
	case verb == "group" && cond < 0:
		grp.Groups = append(grp.Groups, query.Group{Match: query.Any, Conditions: []query.Condition{{}}})
	case verb == "remove" && cond >= 0 && cond < len(grp.Conditions):
		grp.Conditions = slices.Delete(grp.Conditions, cond, cond+1)
	case removeGroup && groups[len(groups)-1] < len(grp.Groups):
		last := groups[len(groups)-1]
		grp.Groups = slices.Delete(grp.Groups, last, last+1)
	default:
		return false
	}
	return true
}

// fbGroup is a group of the builder as the template draws it.
type fbGroup struct {
	Path        string
	Match       string
	Nested      bool
	CanAddGroup bool
	Conds       []fbCond
	Groups      []fbGroup
	Errors      []string
}

// fbCond is one condition row.
type fbCond struct {
	Path   string
	Field  string
	Op     string
	Fields fbOptions
	Ops    fbOptions
	// Input is the kind of value input: text, number, date, select, tag,
	// days or none.
	Input  string
	Inputs []fbInput
	Errors []string
}

// fbInput is one value input of a condition.
type fbInput struct {
	Label   string
	Value   string
	Options fbOptions
}

// fbOption is one choice of a select.
type fbOption struct {
	Value, Label string
	Selected     bool
}

// fbOptions are the choices of a select. The filter builder and the bulk
// form draw several lists of them on every list page; HTML writes them in
// Go (see list_rows.go for why and how the escaping matches).
type fbOptions []fbOption

// HTML writes the options as
// <option value="{{.Value}}"{{if .Selected}} selected{{end}}>{{.Label}}</option>.
func (opts fbOptions) HTML() template.HTML {
	var b strings.Builder
	b.Grow(len(opts) * 48)
	opts.write(&b)
	return template.HTML(b.String())
}

func (opts fbOptions) write(b *strings.Builder) {
	for _, o := range opts {
		b.WriteString(`<option value="`)
		htmlEsc(b, o.Value)
		b.WriteString(`"`)
		if o.Selected {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		htmlEsc(b, o.Label)
		b.WriteString("</option>")
	}
}

// fbTree prepares g for the template, with the messages of v beside
// the parts they are about.
func fbTree(g query.Group, schema *query.Schema, v *apperr.Validation, users map[string]string) fbGroup {
	return fbTreeGroup(g, fbRoot, 1, schema, v, users)
}

func fbTreeGroup(g query.Group, path string, depth int, schema *query.Schema, v *apperr.Validation, users map[string]string) fbGroup {
	out := fbGroup{Path: path, Match: string(g.Match), Nested: depth > 1, CanAddGroup: depth < fbUIDepth,
		Errors: fbExactMessages(v, path, path+".match")}
	if out.Match == "" {
		out.Match = string(query.All)
	}
	for i, c := range g.Conditions {
		out.Conds = append(out.Conds, fbTreeCond(c, fmt.Sprintf("%s.conditions[%d]", path, i), schema, v, users))
	}
	for i, sub := range g.Groups {
		out.Groups = append(out.Groups, fbTreeGroup(sub, fmt.Sprintf("%s.groups[%d]", path, i), depth+1, schema, v, users))
	}
	return out
}

func fbTreeCond(c query.Condition, path string, schema *query.Schema, v *apperr.Validation, users map[string]string) fbCond {
	out := fbCond{Path: path, Field: c.Field, Op: string(c.Op), Errors: fbMessagesFor(v, path)}
	for _, f := range schema.Fields() {
		if f.Type == query.Ref && f.Key != c.Field {
			continue // ids are filtered by links such as a company's "all contacts", not typed
		}
		out.Fields = append(out.Fields, fbOption{Value: f.Key, Label: f.Label, Selected: f.Key == c.Field})
	}
	f, ok := schema.Field(c.Field)
	if !ok {
		if c.Field != "" {
			// Keep an unknown field visible, so its message makes sense.
			out.Fields = append(out.Fields, fbOption{Value: c.Field, Label: c.Field, Selected: true})
		}
		out.Input = "none"
		return out
	}
	for _, op := range query.Ops(f.Type) {
		out.Ops = append(out.Ops, fbOption{Value: string(op), Label: fbOpLabel(f.Type, op), Selected: op == c.Op})
	}
	if !slices.Contains(query.Ops(f.Type), c.Op) && c.Op != "" {
		out.Ops = append(out.Ops, fbOption{Value: string(c.Op), Label: string(c.Op), Selected: true})
	}
	out.Input = fbInputKind(f, c.Op)
	vals := c.Values
	if len(vals) == 0 {
		vals = []string{c.Value}
	}
	// A typed input would hide a value it cannot hold: show such values
	// as text, beside their message.
	for _, x := range vals {
		if (out.Input == "number" || out.Input == "date") && (len(out.Errors) > 0 || (out.Input == "date" && x != "" && !fbDayPattern.MatchString(x))) {
			out.Input = "text"
		}
	}
	switch out.Input {
	case "none":
		return out
	case "days":
		vals = vals[:1]
	}
	if c.Op == query.Between {
		vals = append(slices.Clone(vals), "", "")[:2]
	}
	for i, val := range vals {
		in := fbInput{Label: "Value", Value: val}
		if c.Op == query.Between {
			in.Label = [2]string{"From", "To"}[i]
		}
		if out.Input == "select" {
			in.Options = fbSelectOptions(f, val, users)
		}
		out.Inputs = append(out.Inputs, in)
	}
	return out
}

// fbInputKind is the value input that suits field f and operator op.
func fbInputKind(f query.Field, op query.Op) string {
	switch {
	case op == query.Empty || op == query.NotEmpty || op == "":
		return "none"
	case op == query.LastDays:
		return "days"
	case f.Type == query.Tag:
		return "tag"
	case f.Type == query.Bool, f.Type == query.Select, f.Type == query.MultiSelect:
		return "select"
	case f.Key == "owner" && (op == query.Is || op == query.IsNot):
		return "select"
	case f.Type == query.Number:
		return "number"
	case f.Type == query.Date, f.Type == query.Timestamp:
		return "date"
	}
	return "text"
}

// fbSelectOptions are the choices of a select input, current value included
// even when it is not one of them (so its message makes sense).
func fbSelectOptions(f query.Field, current string, users map[string]string) fbOptions {
	out := fbOptions{{Value: "", Label: "Choose…"}}
	switch {
	case f.Type == query.Bool:
		out = append(out, fbOption{Value: "true", Label: "Yes"}, fbOption{Value: "false", Label: "No"})
	case f.Key == "owner" && f.Type != query.Select:
		for id, name := range users {
			out = append(out, fbOption{Value: id, Label: name})
		}
		slices.SortFunc(out[1:], func(a, b fbOption) int { return strings.Compare(a.Label, b.Label) })
	default:
		for _, o := range f.Options {
			out = append(out, fbOption{Value: o, Label: listOptionLabel(f.Key, o, users)})
		}
	}
	found := current == ""
	for i := range out {
		if out[i].Value == current {
			out[i].Selected, found = true, true
		}
	}
	if !found {
		out = append(out, fbOption{Value: current, Label: current, Selected: true})
	}
	return out
}

// fbOpLabel is how an operator reads after a field of type t.
func fbOpLabel(t query.Type, op query.Op) string {
	dated := t == query.Date || t == query.Timestamp
	switch op {
	case query.Is:
		return "is"
	case query.IsNot:
		return "is not"
	case query.Contains:
		return "contains"
	case query.StartsWith:
		return "starts with"
	case query.Empty:
		if t == query.Tag {
			return "has no tags"
		}
		return "is empty"
	case query.NotEmpty:
		if t == query.Tag {
			return "has any tag"
		}
		return "is not empty"
	case query.GT:
		if dated {
			return "is after"
		}
		return "is greater than"
	case query.LT:
		if dated {
			return "is before"
		}
		return "is less than"
	case query.Between:
		return "is between"
	case query.LastDays:
		return "is in the last N days"
	case query.HasTag:
		return "has tag"
	case query.NotHasTag:
		return "does not have tag"
	}
	return string(op)
}

// fbExactMessages returns the messages of v about exactly one of paths.
func fbExactMessages(v *apperr.Validation, paths ...string) []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		if slices.Contains(paths, f.Field) {
			out = append(out, f.Message)
		}
	}
	return out
}

// fbMessagesFor returns the messages of v about any of paths or their parts.
func fbMessagesFor(v *apperr.Validation, paths ...string) []string {
	if v == nil {
		return nil
	}
	var out []string
	for _, f := range v.Fields {
		for _, p := range paths {
			if f.Field == p || strings.HasPrefix(f.Field, p+".") {
				out = append(out, f.Message)
				break
			}
		}
	}
	return out
}
