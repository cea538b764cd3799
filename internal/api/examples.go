package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// describeOperation completes an operation once huma has registered it:
// an operation that takes no body (an action such as "complete a task")
// says so with an optional empty-object body, and every JSON request body
// and success response gets a whole example built from the examples of
// its schema's properties (the `example` struct tags), so that the docs
// show a ready-to-send body and a typical answer.
func describeOperation(o *huma.OpenAPI, op *huma.Operation) {
	reg := o.Components.Schemas
	switch op.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		if op.RequestBody == nil {
			op.RequestBody = &huma.RequestBody{Required: false,
				Description: "This action needs no body; an empty object is accepted.",
				Content: map[string]*huma.MediaType{"application/json": {
					Schema: &huma.Schema{Type: huma.TypeObject, AdditionalProperties: false}, Example: map[string]any{}}}}
		}
	}
	if op.RequestBody != nil {
		if mt := op.RequestBody.Content["application/json"]; mt != nil && mt.Schema != nil && mt.Example == nil {
			ex := exampleOf(reg, mt.Schema, 0, false)
			if m, ok := ex.(map[string]any); ok {
				// Custom fields differ between organisations: a body
				// sent as shown must not name fields this one lacks.
				delete(m, "custom")
			}
			mt.Example = ex
		}
	}
	for code, res := range op.Responses {
		if !strings.HasPrefix(code, "2") {
			continue
		}
		for _, mt := range res.Content {
			if mt.Schema != nil && mt.Example == nil {
				mt.Example = exampleOf(reg, mt.Schema, 0, true)
			}
		}
	}
}

// exampleUUID is the id every generated example uses.
const exampleUUID = "01890a5d-ac96-774b-bcce-b302099a8057"

// exampleOf builds a value of schema s from its examples: an object has
// its required properties and those that have examples; full (responses)
// takes every property.
func exampleOf(reg huma.Registry, s *huma.Schema, depth int, full bool) any {
	if s.Ref != "" {
		if s = reg.SchemaFromRef(s.Ref); s == nil {
			return nil
		}
	}
	switch {
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Default != nil:
		return s.Default
	case len(s.Enum) > 0:
		return s.Enum[0]
	}
	switch s.Type {
	case huma.TypeObject:
		out := map[string]any{}
		names := make([]string, 0, len(s.Properties))
		for n := range s.Properties {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			p := s.Properties[n]
			if full || slices.Contains(s.Required, n) || hasExample(reg, p, 0) {
				if v := exampleOf(reg, p, depth+1, full); v != nil {
					out[n] = v
				}
			}
		}
		return out
	case huma.TypeArray:
		// Lists deep down (and recursive ones, such as a filter's
		// groups) stay empty.
		if s.Items == nil || depth > 3 {
			return []any{}
		}
		if v := exampleOf(reg, s.Items, depth+1, full); v != nil {
			return []any{v}
		}
		return []any{}
	case huma.TypeString:
		switch s.Format {
		case "uuid":
			return exampleUUID
		case "date-time":
			return "2026-03-14T09:30:00Z"
		case "date":
			return "2026-03-14"
		case "email":
			return "ada@example.com"
		case "uri", "uri-reference":
			return "https://example.com"
		}
		if s.MinLength != nil && *s.MinLength > 0 {
			return strings.Repeat("x", *s.MinLength)
		}
		return ""
	case huma.TypeInteger, huma.TypeNumber:
		if s.Minimum != nil {
			return *s.Minimum
		}
		return 0
	case huma.TypeBoolean:
		return false
	case "":
		return map[string]any{} // any value
	}
	return nil
}

// hasExample tells whether s or something inside it has an example.
func hasExample(reg huma.Registry, s *huma.Schema, depth int) bool {
	if s == nil || depth > 4 {
		return false
	}
	if s.Ref != "" {
		s = reg.SchemaFromRef(s.Ref)
		if s == nil {
			return false
		}
	}
	if len(s.Examples) > 0 {
		return true
	}
	if hasExample(reg, s.Items, depth+1) {
		return true
	}
	for _, p := range s.Properties {
		if hasExample(reg, p, depth+1) {
			return true
		}
	}
	return false
}
