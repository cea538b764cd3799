package api

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/query"
)

// ListParams are the query parameters of a contact or company list. Any
// other parameter named like a list field is an equality filter (see
// shorthandParam).
type ListParams struct {
	Cursor string `query:"cursor" doc:"Opaque cursor from a previous page's next_cursor or prev_cursor; leave it out for the first page. A cursor belongs to its sort order."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Rows per page."`
	Sort   string `query:"sort" example:"-updated_at" doc:"Field key to sort by, with - in front for descending: name, -updated_at, cf.plan. Ties are broken by id; rows without a value come last."`
	Filter string `query:"filter" example:"{\"match\":\"all\",\"conditions\":[{\"field\":\"lifecycle_stage\",\"op\":\"is\",\"value\":\"customer\"},{\"field\":\"cf.plan\",\"op\":\"is\",\"values\":[\"pro\",\"team\"]}]}" doc:"A filter group as JSON: {match: all|any, conditions: [{field, op, value | values}], groups: [...]}. Fields are the list's field keys (custom fields as cf.<key>); ops are is, is_not, contains, starts_with, empty, not_empty, gt, lt, between (values: [from, to]), last_days (value: N), has_tag, not_has_tag, by field type."`

	values url.Values
}

// Resolve keeps the whole query string for the shorthand filters.
func (p *ListParams) Resolve(ctx huma.Context) []error {
	u := ctx.URL()
	p.values = u.Query()
	return nil
}

// shorthandParam documents the field=value filters. They are not parsed
// by huma (their names depend on the custom fields defined), so they are
// described as one free-form object parameter in form style, which is how
// OpenAPI writes "any other query parameter".
func shorthandParam(example map[string]any) *huma.Param {
	return &huma.Param{
		Name: "fields", In: "query", Style: "form", Explode: new(true),
		Description: "Equality shorthands: any other parameter named like a field key filters on it, " +
			"e.g. ?lifecycle_stage=lead&tag=vip&cf.plan=pro. A repeated parameter matches any of its values; " +
			"all shorthands and the filter must hold. A parameter that is not a field is an error.",
		Schema:  &huma.Schema{Type: huma.TypeObject, AdditionalProperties: &huma.Schema{Type: huma.TypeString}},
		Example: example,
	}
}

var reserved = []string{query.ParamCursor, query.ParamLimit, query.ParamSort, query.ParamFilter}

// listRequest reads a list request from p against schema. The returned
// remap renames the service's error fields for the shorthands back to
// their parameter names.
func listRequest(schema *query.Schema, p ListParams) (query.Request, func(error) error, error) {
	var v apperr.Validation
	var short []string
	for _, k := range slices.Sorted(maps.Keys(p.values)) {
		if slices.Contains(reserved, k) {
			continue
		}
		if _, ok := schema.Field(k); !ok {
			v.Add(k, fmt.Sprintf("There is no field %q to filter on.", k))
			continue
		}
		short = append(short, k)
	}
	if err := v.Err(); err != nil {
		return query.Request{}, nil, err
	}
	// huma has checked limit; ParseRequest reads the rest the same way
	// the web list does.
	vals := url.Values{}
	for k, x := range p.values {
		vals[k] = x
	}
	vals.Set(query.ParamLimit, strconv.Itoa(p.Limit))
	r, err := query.ParseRequest(schema, vals)
	if err != nil {
		return r, nil, err
	}
	// ParseRequest wraps a match-any filter into a group of its own to
	// AND the shorthands with it.
	var f query.Group
	wrapped := len(short) > 0 && json.Unmarshal([]byte(p.values.Get(query.ParamFilter)), &f) == nil && f.Match == query.Any
	return r, func(err error) error { return remapFilter(err, short, wrapped) }, nil
}

var conditionPath = regexp.MustCompile(`^filter\.conditions\[(\d+)\](.*)$`)

// remapFilter names the errors of shorthand conditions after their
// parameters. ParseRequest puts the shorthands first, in key order; when
// the JSON filter matches any, it becomes the first subgroup.
func remapFilter(err error, short []string, wrapped bool) error {
	v := apperr.AsValidation(err)
	if v == nil || len(short) == 0 {
		return err
	}
	out := &apperr.Validation{Conflict: v.Conflict}
	for _, f := range v.Fields {
		name := f.Field
		if m := conditionPath.FindStringSubmatch(name); m != nil {
			if i, _ := strconv.Atoi(m[1]); i < len(short) {
				name = short[i]
			} else if !wrapped {
				name = fmt.Sprintf("filter.conditions[%d]%s", i-len(short), m[2])
			}
		}
		if wrapped {
			if rest, ok := strings.CutPrefix(name, "filter.groups[0]"); ok {
				name = "filter" + rest
			}
		}
		out.Add(name, f.Message)
	}
	return out
}

// pageOf is what a list answers: one page of rows and the cursors of its
// neighbours. There is no total count (counting is slow on big tables).
type pageOf[T any] struct {
	Data       []T    `json:"data" doc:"The rows of this page."`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
	PrevCursor string `json:"prev_cursor,omitempty" doc:"Pass as cursor to get the previous page; absent on the first page."`
	Sort       string `json:"sort" example:"-updated_at" doc:"The sort order used."`
}
