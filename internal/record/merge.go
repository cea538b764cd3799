package record

import (
	"context"
	"slices"

	"github.com/rapportcrm/rapport/internal/apperr"
)

// MergeInput names the survivor, the records merged into it, and for each
// field (a merge field key or "custom.<key>") the record whose value to
// keep. A field without a choice keeps the survivor's value, or the first
// non-empty value of the others when the survivor has none.
type MergeInput struct {
	SurvivorID string            `json:"survivor_id"`
	MergedIDs  []string          `json:"merged_ids"`
	Choices    map[string]string `json:"choices,omitempty"`
}

// LoadMerge checks a merge of records of one kind (what names them in
// messages: "contact", "company"): it drops the survivor and repeats from
// the merged ids, loads the survivor first and then the others, and checks
// that every choice names one of them. It returns the records and the
// merged ids in the order loaded.
func LoadMerge[T any](ctx context.Context, in MergeInput, what string,
	load func(ctx context.Context, id string) (T, error), idOf func(T) string) ([]T, []string, error) {
	var v apperr.Validation
	ids := slices.DeleteFunc(slices.Clone(in.MergedIDs), func(x string) bool { return x == in.SurvivorID || x == "" })
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		v.Add("merged_ids", "Choose at least one other "+what+" to merge.")
		return nil, nil, v.Err()
	}
	all := make([]T, 0, len(ids)+1)
	for _, rid := range append([]string{in.SurvivorID}, ids...) {
		r, err := load(ctx, rid)
		if err != nil {
			return nil, nil, err
		}
		all = append(all, r)
	}
	for field, from := range in.Choices {
		if !slices.ContainsFunc(all, func(r T) bool { return idOf(r) == from }) {
			v.Add("choices."+field, "Choose one of the "+plural(what)+" being merged.")
		}
	}
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	return all, ids, nil
}

func plural(what string) string {
	if what == "company" {
		return "companies"
	}
	return what + "s"
}
