package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/access"
)

// DuplicateGroup is a set of live contacts that are likely the same person,
// with the reasons they were matched.
type DuplicateGroup struct {
	Contacts []Contact
	Reasons  []string
}

// Duplicate rules. Two live contacts can never share an email (the
// database refuses it), so the rules look at what can repeat.
const (
	ReasonPhone       = "same phone number"
	ReasonNameCompany = "same name at the same company"
)

// pairQueries find pairs of live contacts (first id < second id) per rule.
var pairQueries = []struct {
	reason string
	sql    string
}{
	{ReasonPhone, `SELECT a.contact_id, b.contact_id FROM contact_phones a
		JOIN contact_phones b ON b.e164 = a.e164 AND b.contact_id > a.contact_id
		JOIN contacts ca ON ca.id = a.contact_id AND ca.deleted_at IS NULL
		JOIN contacts cb ON cb.id = b.contact_id AND cb.deleted_at IS NULL
		LIMIT $1`},
	{ReasonNameCompany, `SELECT a.id, b.id FROM contacts a
		JOIN contacts b ON b.sort_name = a.sort_name AND b.company_id = a.company_id AND b.id > a.id
		WHERE a.deleted_at IS NULL AND b.deleted_at IS NULL AND a.company_id IS NOT NULL
		LIMIT $1`},
}

// Duplicates returns up to limit groups of likely duplicates.
func (s *Service) Duplicates(ctx context.Context, limit int) ([]DuplicateGroup, error) {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return nil, err
	}
	parent := map[string]string{}
	var find func(string) string
	find = func(x string) string {
		if p, ok := parent[x]; ok && p != x {
			r := find(p)
			parent[x] = r
			return r
		}
		parent[x] = x
		return x
	}
	reasons := map[string][]string{} // by member, merged into roots below
	for _, q := range pairQueries {
		rows, err := s.db.R.QueryContext(ctx, q.sql, limit*5)
		if err != nil {
			return nil, fmt.Errorf("contact: duplicates: %w", err)
		}
		for rows.Next() {
			var a, b string
			if err := rows.Scan(&a, &b); err != nil {
				rows.Close()
				return nil, err
			}
			parent[find(b)] = find(a)
			reasons[a] = appendNew(reasons[a], q.reason)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	groups := map[string]*DuplicateGroup{}
	var order []string
	members := make([]string, 0, len(parent))
	for x := range parent {
		members = append(members, x)
	}
	slices.Sort(members)
	for _, x := range members {
		r := find(x)
		g, ok := groups[r]
		if !ok {
			if len(order) >= limit {
				continue
			}
			g = &DuplicateGroup{}
			groups[r] = g
			order = append(order, r)
		}
		c, err := s.load(ctx, s.db.R, x)
		if errors.Is(err, access.ErrOutOfScope) {
			continue // a duplicate the actor may not see is not shown
		}
		if err != nil {
			return nil, err
		}
		g.Contacts = append(g.Contacts, c)
		for _, why := range reasons[x] {
			g.Reasons = appendNew(g.Reasons, why)
		}
	}
	out := make([]DuplicateGroup, 0, len(order))
	for _, r := range order {
		if len(groups[r].Contacts) > 1 {
			out = append(out, *groups[r])
		}
	}
	return out, nil
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
