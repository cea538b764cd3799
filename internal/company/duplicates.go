package company

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/rapportcrm/rapport/internal/access"
)

// DuplicateGroup is a set of live companies that are likely the same
// organisation, with the reasons they were matched.
type DuplicateGroup struct {
	Companies []Company
	Reasons   []string
}

// ReasonName is why companies are grouped: their names are the same once
// case, accents, punctuation and legal suffixes are ignored. Two live
// companies never share a domain (the database refuses it), so the name is
// what can repeat.
const ReasonName = "same name"

// DuplicateScan is how many live companies, in name order, Duplicates
// reads at most. The scan is bounded so the page costs the same at any
// table size; duplicates beyond it are found once earlier ones are merged.
const DuplicateScan = 20000

// legalSuffixes are the words a company name may end with that do not tell
// two companies apart ("Acme Inc." and "ACME, Ltd" are one organisation).
var legalSuffixes = map[string]bool{
	"inc": true, "incorporated": true, "ltd": true, "limited": true, "llc": true, "llp": true,
	"lp": true, "plc": true, "corp": true, "corporation": true, "co": true, "company": true,
	"gmbh": true, "ag": true, "kg": true, "ug": true, "ev": true, "sa": true, "sas": true, "sarl": true,
	"srl": true, "spa": true, "bv": true, "nv": true, "oy": true, "ab": true, "as": true, "asa": true,
	"aps": true, "pty": true, "pte": true, "kk": true, "sl": true,
}

// NameKey is the normalised form of a company name that duplicates are
// matched on: lower case, without accents, punctuation or trailing legal
// suffixes; "&" counts as "and". A name made only of suffixes keeps them.
func NameKey(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r), r == '.' || r == '\'' || r == '’':
			// Accents go; dots and apostrophes join: "L.L.C." is "llc".
		case r == '&' || r == '+':
			b.WriteString(" and ")
		case unicode.IsLetter(r) || unicode.IsNumber(r):
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteByte(' ')
		}
	}
	words := strings.Fields(b.String())
	n, stripped := len(words), false
	for n > 1 && (legalSuffixes[words[n-1]] || stripped && words[n-1] == "and") {
		n, stripped = n-1, true // "Smith & Co" → "smith"
	}
	return strings.Join(words[:n], " ")
}

// Duplicates returns up to limit groups of likely duplicates, in name order.
func (s *Service) Duplicates(ctx context.Context, limit int) ([]DuplicateGroup, error) {
	if _, err := access.Check(ctx, access.Companies, access.Read); err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name FROM companies WHERE deleted_at IS NULL
		ORDER BY sort_name, id LIMIT $1`, DuplicateScan)
	if err != nil {
		return nil, fmt.Errorf("company: duplicates: %w", err)
	}
	members := map[string][]string{}
	var keys []string
	for rows.Next() {
		var cid, name string
		if err := rows.Scan(&cid, &name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("company: duplicates: %w", err)
		}
		k := NameKey(name)
		if k == "" {
			continue
		}
		if _, ok := members[k]; !ok {
			keys = append(keys, k)
		}
		members[k] = append(members[k], cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("company: duplicates: %w", err)
	}
	out := []DuplicateGroup{}
	for _, k := range keys {
		ids := members[k]
		if len(ids) < 2 {
			continue
		}
		if len(out) == limit {
			break
		}
		g := DuplicateGroup{Reasons: []string{ReasonName}}
		for _, cid := range ids {
			c, err := s.load(ctx, s.db.R, cid)
			if errors.Is(err, access.ErrOutOfScope) {
				continue // a duplicate the actor may not see is not shown
			}
			if err != nil {
				return nil, err
			}
			g.Companies = append(g.Companies, c)
		}
		if len(g.Companies) > 1 {
			out = append(out, g)
		}
	}
	return out, nil
}
