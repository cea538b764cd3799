package importer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
)

// NewField is the mapping value that turns a column into a new custom
// field, labelled with the column's header and typed after its first
// values, created when the import is configured.
const NewField = "new"

// sampleRows is how many rows a new field's type is guessed from.
const sampleRows = 200

// createFields makes a custom field for each column mapped to NewField
// and maps the column to it. The actor must be allowed to add fields.
func (s *Service) createFields(ctx context.Context, im *Import, defs []customfield.Field) error {
	var cols []int
	for i, k := range im.Mapping {
		if k == NewField {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return nil
	}
	actor, ok := access.ActorFrom(ctx)
	if !ok || !access.Allowed(actor, access.CustomFields, access.Create) {
		var v apperr.Validation
		for _, i := range cols {
			v.Add(fmt.Sprintf("mapping[%d]", i), "Your role may not add custom fields: map this column to an existing field or leave it out.")
		}
		return v.Err()
	}
	sample, err := s.Sample(ctx, im.ID, sampleRows)
	if err != nil {
		return err
	}
	object := customfield.ObjectContact
	if im.Object == Companies {
		object = customfield.ObjectCompany
	}
	taken := map[string]bool{}
	for _, d := range defs {
		taken[d.Key] = true
	}
	fields := customfield.NewService(s.o.DB)
	for _, i := range cols {
		label := strings.TrimSpace(im.Header[i])
		if label == "" {
			label = fmt.Sprintf("Column %d", i+1)
		}
		key := customfield.KeyFromLabel(label)
		if !customfield.ValidKey(key) {
			key = fmt.Sprintf("column_%d", i+1)
		}
		for n := 2; taken[key]; n++ {
			key = fmt.Sprintf("%s_%d", strings.TrimRight(customfield.KeyFromLabel(label), "_0123456789"), n)
		}
		var values []string
		for _, row := range sample {
			if i < len(row) {
				values = append(values, row[i])
			}
		}
		f, err := fields.Create(ctx, customfield.Field{Object: object, Key: key, Label: label, Type: guessType(values)})
		if v := apperr.AsValidation(err); v != nil {
			var out apperr.Validation
			out.Add(fmt.Sprintf("mapping[%d]", i), fmt.Sprintf("A custom field for column %q cannot be made: %v", label, v))
			return out.Err()
		}
		if err != nil {
			return err
		}
		taken[f.Key] = true
		im.Mapping[i] = "cf." + f.Key
	}
	return nil
}

// guessType is the field type every non-empty value fits, text if none
// narrower does.
func guessType(values []string) customfield.Type {
	var seen []string
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" {
			seen = append(seen, v)
		}
	}
	all := func(ok func(string) bool) bool {
		return len(seen) > 0 && !slices.ContainsFunc(seen, func(v string) bool { return !ok(v) })
	}
	switch {
	case all(func(v string) bool { _, err := strconv.ParseFloat(v, 64); return err == nil }):
		return customfield.Number
	case all(func(v string) bool { _, err := customfield.ParseDate(v); return err == nil }):
		return customfield.Date
	case all(func(v string) bool {
		return slices.Contains([]string{"yes", "no", "true", "false"}, strings.ToLower(v))
	}):
		return customfield.Bool
	case all(func(v string) bool { _, ok := customfield.NormaliseEmail(v); return ok }):
		return customfield.Email
	case all(func(v string) bool { return strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") }):
		return customfield.URL
	case slices.ContainsFunc(seen, func(v string) bool { return len(v) > 200 || strings.ContainsRune(v, '\n') }):
		return customfield.LongText
	}
	return customfield.Text
}
