package query

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// Request is one list request: which rows, in what order, which page. The
// web list page and GET /api/v1/... read it from the URL with
// ParseRequest; a saved view stores Filter and Sort as JSON.
type Request struct {
	Filter Group  `json:"filter"`
	Sort   Sort   `json:"sort"`
	Cursor string `json:"cursor,omitempty"`
	// Limit is the page size; 0 means DefaultLimit.
	Limit int `json:"limit,omitempty"`
}

// The URL parameters of a Request. Any other parameter whose name is a
// field key is an equality shorthand: ?lifecycle_stage=lead&tag=vip means
// lifecycle_stage is lead and has tag vip (a repeated parameter means any
// of its values).
const (
	ParamFilter = "filter" // the filter Group as JSON
	ParamSort   = "sort"   // "last_name", "-updated_at"
	ParamCursor = "cursor"
	ParamLimit  = "limit"
)

// ParseRequest reads a Request from URL parameters:
//
//	?filter={"match":"any","conditions":[{"field":"cf.plan","op":"is","value":"pro"}]}
//	&sort=-updated_at&cursor=eyJzIjoi...&limit=50&tag=vip
//
// It reports only what cannot be read (bad JSON, a limit that is not a
// number); Paginate and Compile check the rest against the schema. s names
// the fields the shorthands may use; with a nil s there are none.
func ParseRequest(s *Schema, v url.Values) (Request, error) {
	var r Request
	var verr apperr.Validation
	if f := strings.TrimSpace(v.Get(ParamFilter)); f != "" {
		if err := json.Unmarshal([]byte(f), &r.Filter); err != nil {
			verr.Add(ParamFilter, "The filter could not be read; it must be a JSON filter group.")
		}
	}
	r.Sort = ParseSort(v.Get(ParamSort))
	r.Cursor = strings.TrimSpace(v.Get(ParamCursor))
	if l := strings.TrimSpace(v.Get(ParamLimit)); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			verr.Add(ParamLimit, msgLimit)
		}
		r.Limit = n
	}
	if err := verr.Err(); err != nil {
		return r, err
	}
	if eq := shorthands(s, v); len(eq) > 0 {
		if r.Filter.Match == Any {
			r.Filter = Group{Groups: []Group{r.Filter}}
		}
		r.Filter.Conditions = append(eq, r.Filter.Conditions...)
	}
	return r, nil
}

// shorthands turns field=value parameters into conditions, in key order.
func shorthands(s *Schema, v url.Values) []Condition {
	var out []Condition
	if s == nil {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(v)) {
		f, ok := s.Field(k)
		if !ok || k == ParamFilter || k == ParamSort || k == ParamCursor || k == ParamLimit {
			continue
		}
		c := Condition{Field: k, Op: Is}
		if f.Type == Tag {
			c.Op = HasTag
		}
		if vals := v[k]; len(vals) == 1 {
			c.Value = vals[0]
		} else {
			c.Values = vals
		}
		out = append(out, c)
	}
	return out
}

// Values encodes r as URL parameters, the filter as compact JSON; zero
// parts are left out. ParseRequest reads them back into an equal Request.
func (r Request) Values() url.Values {
	v := url.Values{}
	if !r.Filter.IsZero() {
		b, _ := json.Marshal(r.Filter)
		v.Set(ParamFilter, string(b))
	}
	if r.Sort.Field != "" {
		v.Set(ParamSort, r.Sort.String())
	}
	if r.Cursor != "" {
		v.Set(ParamCursor, r.Cursor)
	}
	if r.Limit != 0 {
		v.Set(ParamLimit, strconv.Itoa(r.Limit))
	}
	return v
}
