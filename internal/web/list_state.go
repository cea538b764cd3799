package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/query"
)

// The URL parameters of a list besides query's filter, sort, cursor and
// limit. None of them may be a field key (query reads field keys as
// filter shorthands).
const (
	listParamCols    = "cols"  // visible columns, comma-separated field keys
	listParamView    = "view"  // the saved view the state came from
	listParamBuilder = "fb"    // a filter builder button: apply, refresh, add:..., remove:...
	listParamChooser = "cc"    // a column chooser button: apply, reset, up:key, down:key
	listParamExact   = "exact" // the count endpoint counts without a cap
	listMaxCols      = 40      // columns read from a URL
	listColSep       = ","     // between column keys
	listTagKey       = "tag"   // the tag field, shown as the Tags column
)

// listState is everything a list shows, all of it in the URL so a list is
// linkable and the back button works.
type listState struct {
	Filter query.Group
	Sort   query.Sort
	Cursor string
	Limit  int
	// Cols are the visible columns' keys, in order.
	Cols []string
	// View is the id of the saved view the state came from, if any.
	View string
}

// request is the state as a list request.
func (st listState) request() query.Request {
	return query.Request{Filter: st.Filter, Sort: st.Sort, Cursor: st.Cursor, Limit: st.Limit}
}

// url is the list's address for st; columns equal to the defaults are
// left out.
func (st listState) url(k *listKind) string {
	v := st.request().Values()
	if len(st.Cols) > 0 && !slices.Equal(st.Cols, k.defaults) {
		v.Set(listParamCols, strings.Join(st.Cols, listColSep))
	}
	if st.View != "" {
		v.Set(listParamView, st.View)
	}
	if enc := v.Encode(); enc != "" {
		return k.Path + "?" + enc
	}
	return k.Path
}

// with returns st changed by fn, on a copy (filters are trees; fn must
// not change the shared ones in place).
func (st listState) with(fn func(*listState)) listState {
	fn(&st)
	return st
}

// firstPage is st without its cursor.
func (st listState) firstPage() listState { return st.with(func(s *listState) { s.Cursor = "" }) }

// listColumn is a column a list can show: every field of the schema.
type listColumn struct {
	Key      string
	Label    string
	Type     query.Type
	Sortable bool
	// Custom is the custom field's key, "" for built-in columns.
	Custom string
}

// listAvailableColumns lists every column of schema, in its order.
func listAvailableColumns(schema *query.Schema) []listColumn {
	var out []listColumn
	for _, f := range schema.Fields() {
		if f.Type == query.Ref {
			// Record ids filter (a company's people); they are no column.
			continue
		}
		c := listColumn{Key: f.Key, Label: f.Label, Type: f.Type,
			Sortable: f.Type != query.Tag && f.Type != query.MultiSelect}
		if strings.HasPrefix(f.Key, "cf.") {
			c.Custom = strings.TrimPrefix(f.Key, "cf.")
		}
		if f.Key == listTagKey {
			c.Label = "Tags"
		}
		if c.Label == "" {
			c.Label = f.Key
		}
		out = append(out, c)
	}
	return out
}

// parseListCols reads the cols parameter: known keys, once each, in order.
// Unknown keys (a custom field deleted since a link was made) are dropped;
// when nothing is left the defaults apply.
func parseListCols(raw string, all []listColumn, defaults []string) []string {
	var out []string
	for i, key := range strings.Split(raw, listColSep) {
		key = strings.TrimSpace(key)
		if i >= listMaxCols || key == "" || slices.Contains(out, key) || !listHasColumn(all, key) {
			continue
		}
		out = append(out, key)
	}
	if len(out) == 0 {
		return listKnownCols(defaults, all)
	}
	return out
}

// listKnownCols keeps the keys of cols that all has.
func listKnownCols(cols []string, all []listColumn) []string {
	var out []string
	for _, c := range cols {
		if listHasColumn(all, c) {
			out = append(out, c)
		}
	}
	return out
}

func listHasColumn(all []listColumn, key string) bool {
	return slices.ContainsFunc(all, func(c listColumn) bool { return c.Key == key })
}

// listColumnsByKey returns the columns named by keys, in that order.
func listColumnsByKey(all []listColumn, keys []string) []listColumn {
	var out []listColumn
	for _, k := range keys {
		if i := slices.IndexFunc(all, func(c listColumn) bool { return c.Key == k }); i >= 0 {
			out = append(out, all[i])
		}
	}
	return out
}

// readListState reads a list's state from URL parameters. A filter that is not
// JSON is an error for the caller to show; everything else is checked when
// the list runs.
func readListState(v url.Values, schema *query.Schema, k *listKind) (listState, error) {
	req, err := query.ParseRequest(schema, v)
	st := listState{Filter: req.Filter, Sort: req.Sort, Cursor: req.Cursor, Limit: req.Limit,
		Cols: parseListCols(v.Get(listParamCols), listAvailableColumns(schema), k.defaults), View: strings.TrimSpace(v.Get(listParamView))}
	return st, err
}

// listMoveCol moves key one place up (-1) or down (+1) in cols.
func listMoveCol(cols []string, key string, by int) []string {
	i := slices.Index(cols, key)
	j := i + by
	if i < 0 || j < 0 || j >= len(cols) {
		return cols
	}
	out := slices.Clone(cols)
	out[i], out[j] = out[j], out[i]
	return out
}

// listHeaders are the column headers with their sort links: a click sorts by
// the column, a second click reverses it.
func listHeaders(k *listKind, st listState, cols []listColumn, sort query.Sort) []listHeader {
	out := make([]listHeader, len(cols))
	for i, c := range cols {
		h := listHeader{listColumn: c}
		if c.Sortable {
			next := query.Sort{Field: c.Key}
			if sort.Field == c.Key {
				h.AriaSort = "ascending"
				if sort.Desc {
					h.AriaSort = "descending"
				}
				next.Desc = !sort.Desc
			}
			h.SortURL = st.with(func(s *listState) { s.Sort, s.Cursor = next, "" }).url(k)
		}
		out[i] = h
	}
	return out
}

// listChooser lists the visible columns in order, then the others.
func listChooser(all []listColumn, visible []string) listChoices {
	var out listChoices
	for i, key := range visible {
		for _, c := range all {
			if c.Key == key {
				out = append(out, listChoice{Key: key, Label: c.Label, Checked: true, First: i == 0, Last: i == len(visible)-1})
			}
		}
	}
	for _, c := range all {
		if !slices.Contains(visible, c.Key) {
			out = append(out, listChoice{Key: c.Key, Label: c.Label})
		}
	}
	return out
}

// listHiddenState is the state as hidden form fields, cursor left out: every
// form on the page starts again from the first page.
func listHiddenState(st listState) []listHiddenField {
	var out []listHiddenField
	if !st.Filter.IsZero() {
		b, _ := json.Marshal(st.Filter)
		out = append(out, listHiddenField{query.ParamFilter, string(b)})
	}
	if st.Sort.Field != "" {
		out = append(out, listHiddenField{query.ParamSort, st.Sort.String()})
	}
	out = append(out, listHiddenField{listParamCols, strings.Join(st.Cols, listColSep)})
	if st.View != "" {
		out = append(out, listHiddenField{listParamView, st.View})
	}
	return out
}

// listCountURL is the address of the count of the records matching f.
func listCountURL(k *listKind, f query.Group, exact bool) string {
	v := query.Request{Filter: f}.Values()
	if exact {
		v.Set(listParamExact, "1")
	}
	if enc := v.Encode(); enc != "" {
		return k.Path + "/count?" + enc
	}
	return k.Path + "/count"
}

func listConditionCount(g query.Group) int {
	n := len(g.Conditions)
	for _, sub := range g.Groups {
		n += listConditionCount(sub)
	}
	return n
}

var listCondPrefix = regexp.MustCompile(`^filter(?:\.groups\[\d+\])*\.conditions\[\d+\]`)

// listProblems turns a validation error into sentences naming the
// field of each bad condition.
func listProblems(v *apperr.Validation, f query.Group, schema *query.Schema) []string {
	var out []string
	for _, fe := range v.Fields {
		label := ""
		switch {
		case fe.Field == "sort":
			label = "Sort"
		case strings.HasPrefix(fe.Field, "filter."):
			label = listConditionLabel(fe.Field, f, schema)
		}
		if label != "" {
			out = append(out, fmt.Sprintf("%s: %s", label, fe.Message))
		} else {
			out = append(out, fe.Message)
		}
	}
	return out
}

// listConditionLabel names the field of the condition a message path is in.
func listConditionLabel(path string, f query.Group, schema *query.Schema) string {
	m := fbPathPattern.FindStringSubmatch(listCondPrefix.FindString(path))
	if m == nil {
		return ""
	}
	g := f
	for _, d := range fbDigits.FindAllString(m[1], -1) {
		n, err := strconv.Atoi(d)
		if err != nil || n >= len(g.Groups) {
			return ""
		}
		g = g.Groups[n]
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n >= len(g.Conditions) {
		return ""
	}
	key := g.Conditions[n].Field
	if schema != nil {
		if fd, ok := schema.Field(key); ok && fd.Label != "" {
			return fd.Label
		}
	}
	if key == "" {
		return "A condition"
	}
	return key
}
