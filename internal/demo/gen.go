package demo

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/search"
)

type gen struct {
	d       *db.DB
	o       Options
	rng     *rand.Rand
	res     Result
	userIDs []string
	tagIDs  []string
	comps   []company
	handles map[string]int
}

type company struct {
	id, name, domain string
	loc              *locale
}

// uuidAt makes a version-7 UUID for time at whose random bits come from
// the seeded generator, so the same seed gives the same ids.
func (g *gen) uuidAt(at time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[0:8], uint64(at.UnixMilli())<<16|g.rng.Uint64()&0xffff)
	b[6] = 0x70 | b[6]&0x0f
	b[8] = 0x80 | b[8]&0x3f
	return uuid.UUID(b).String()
}

func pick[T any](g *gen, list []T) T { return list[g.rng.IntN(len(list))] }

// past returns a time up to maxDays before g.o.Now, at a working hour.
func (g *gen) past(maxDays int) time.Time {
	day := g.o.Now.AddDate(0, 0, -g.rng.IntN(maxDays+1))
	return day.Add(time.Duration(8*3600+g.rng.IntN(10*3600)) * time.Second)
}

func (g *gen) between(a, b time.Time) time.Time {
	if !b.After(a) {
		return a
	}
	return a.Add(time.Duration(g.rng.Int64N(int64(b.Sub(a)/time.Second))) * time.Second)
}

func (g *gen) owner() any {
	if g.rng.IntN(10) == 0 {
		return nil
	}
	return pick(g, g.userIDs)
}

func (g *gen) phoneNumber(l *locale) string {
	var b strings.Builder
	b.WriteString(pick(g, l.phones))
	b.WriteByte(byte('2' + g.rng.IntN(8)))
	for range l.digits - 1 {
		b.WriteByte(byte('0' + g.rng.IntN(10)))
	}
	return b.String()
}

func (g *gen) companies(ctx context.Context) error {
	n := max(g.o.Contacts/10, 5)
	cols := []string{"id", "name", "sort_name", "domain", "industry", "size", "street", "city", "region", "postal_code",
		"country", "owner_id", "custom", "created_at", "updated_at"}
	for start := 0; start < n; start += batchSize {
		var rows, events [][]any
		var docs []search.Doc
		for i := start; i < min(start+batchSize, n); i++ {
			l := &locales[g.rng.IntN(len(locales))]
			name := pick(g, companyFirst) + " " + pick(g, companySecond)
			domain := g.unique(strings.ToLower(strings.ReplaceAll(name, " ", "")), "."+l.tld+".example")
			full := name + " " + legal[l.region]
			created := g.past(5 * 365)
			custom := map[string]any{}
			if g.rng.IntN(3) > 0 {
				custom["arr"] = int64(g.rng.IntN(5000)+10) * 100000
			}
			if g.rng.IntN(2) == 0 {
				custom["website"] = "https://" + domain
			}
			c := company{id: g.uuidAt(created), name: full, domain: domain, loc: l}
			g.comps = append(g.comps, c)
			rows = append(rows, []any{c.id, full, strings.ToLower(full), domain, pick(g, industries),
				pick(g, []string{"1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000"}),
				fmt.Sprintf("%d %s", g.rng.IntN(200)+1, pick(g, streets)), pick(g, l.cities), "",
				fmt.Sprintf("%05d", g.rng.IntN(99999)), l.country, g.owner(), encode(custom), db.T(created), db.T(created)})
			events = append(events, g.event(created, "company.created", "company", c.id, "", c.id, map[string]any{"name": full}))
			docs = append(docs, search.Doc{Kind: "company", ID: c.id, Title: full, Subtitle: domain, Terms: []string{domain, l.country}})
		}
		err := g.d.WithTx(ctx, func(tx *db.Tx) error {
			if err := db.Insert(ctx, tx, "companies", cols, rows); err != nil {
				return err
			}
			if err := db.Insert(ctx, tx, "events", eventCols, events); err != nil {
				return err
			}
			return search.IndexNew(ctx, tx, docs)
		})
		if err != nil {
			return fmt.Errorf("demo: companies: %w", err)
		}
		g.res.Companies += len(rows)
		g.res.Events += len(events)
	}
	return nil
}

var eventCols = []string{"id", "occurred_at", "kind", "actor_id", "subject_type", "subject_id", "contact_id", "company_id", "data"}

func (g *gen) event(at time.Time, kind, subjectType, subjectID, contactID, companyID string, data any) []any {
	return []any{g.uuidAt(at), db.T(at), kind, g.owner(), subjectType, subjectID, db.NullString(contactID),
		db.NullString(companyID), encode(data)}
}

func encode(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// unique returns base+suffix the first time and base2+suffix, base3+suffix
// ... after that.
func (g *gen) unique(base, suffix string) string {
	n := g.handles[base+suffix]
	g.handles[base+suffix] = n + 1
	if n == 0 {
		return base + suffix
	}
	return fmt.Sprintf("%s%d%s", base, n+1, suffix)
}
