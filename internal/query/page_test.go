package query_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
)

// crowd returns n deterministic contacts with many ties and missing values,
// and a few deleted ones that must never show.
func crowd(n int) []contact {
	r := rand.New(rand.NewPCG(1, 2))
	base := ts("2025-01-01T00:00:00Z")
	plans := []string{"free", "pro", "enterprise"}
	out := make([]contact, 0, n)
	for i := range n {
		c := contact{
			First:   fmt.Sprintf("p%03d", i),
			Sort:    fmt.Sprintf("name%02d", r.IntN(40)),
			Created: base.Add(time.Duration(r.IntN(100))*time.Minute + time.Duration(r.IntN(3))*time.Microsecond),
			Custom:  map[string]any{},
			Deleted: i%50 == 7,
		}
		if r.IntN(10) >= 3 {
			c.Custom["seats"] = float64(r.IntN(40)-20) + float64(r.IntN(2))/2
		}
		if r.IntN(10) >= 3 {
			c.Custom["nickname"] = fmt.Sprintf("nick%02d", r.IntN(30))
		}
		if r.IntN(10) >= 3 {
			c.Birthday = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(50)).Format("2006-01-02")
		}
		if r.IntN(2) == 0 {
			c.Custom["renewal"] = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(30)).Format("2006-01-02")
		}
		switch r.IntN(3) {
		case 0:
			c.Custom["vip"] = true
		case 1:
			c.Custom["vip"] = false
		}
		if r.IntN(4) > 0 {
			c.Custom["plan"] = plans[r.IntN(3)]
		}
		out = append(out, c)
	}
	return out
}

// sortKey is a row's sort value as Go compares it: by s or by f.
type sortKey struct {
	null bool
	s    string
	f    float64
}

// goKey extracts the value a sort field orders by, as the database holds it.
func goKey(c contact, field string) sortKey {
	switch field {
	case "sort_name":
		return sortKey{s: c.Sort}
	case "birthday":
		return sortKey{null: c.Birthday == "", s: c.Birthday}
	case "created_at":
		return sortKey{f: float64(c.Created.UnixMicro())}
	}
	v, ok := c.Custom[strings.TrimPrefix(field, "cf.")]
	switch x := v.(type) {
	case string:
		return sortKey{s: x}
	case float64:
		return sortKey{f: x}
	case bool:
		if x {
			return sortKey{f: 1}
		}
		return sortKey{}
	}
	if ok {
		panic(fmt.Sprintf("no key for %T", v))
	}
	return sortKey{null: true}
}

// wantOrder is the ORDER BY computed in Go: value, then id, both in the
// sort direction; missing values last either way.
func wantOrder(cs []contact, sort query.Sort, keep func(contact) bool) []string {
	var rows []contact
	for _, c := range cs {
		if !c.Deleted && (keep == nil || keep(c)) {
			rows = append(rows, c)
		}
	}
	slices.SortFunc(rows, func(a, b contact) int {
		ka, kb := goKey(a, sort.Field), goKey(b, sort.Field)
		if ka.null != kb.null {
			if ka.null {
				return 1
			}
			return -1
		}
		c := cmp.Or(strings.Compare(ka.s, kb.s), cmp.Compare(ka.f, kb.f), strings.Compare(a.ID, b.ID))
		if sort.Desc {
			return -c
		}
		return c
	})
	ids := make([]string, len(rows))
	for i, c := range rows {
		ids[i] = c.ID
	}
	return ids
}

type pageRow struct {
	id string
	v  any
}

// fetch runs one page the way a store does: the caller's own condition
// with $1 first, then the page's tail.
func fetch(t *testing.T, d *db.DB, s *query.Schema, r query.Request) ([]string, query.Cursors) {
	t.Helper()
	p, err := query.Paginate(query.Options{Engine: d.Engine, Schema: s, Args: []any{"zzz"}}, r)
	if err != nil {
		t.Fatalf("Paginate: %v", err)
	}
	q := "SELECT c.id, " + p.SortExpr + " FROM qt_contacts c WHERE c.deleted_at IS NULL AND c.sort_name <> $1" + p.Tail()
	rows, err := d.R.Query(q, p.Args...)
	if err != nil {
		t.Fatalf("query: %v\nSQL: %s\nargs: %v", err, q, p.Args)
	}
	defer rows.Close()
	var got []pageRow
	for rows.Next() {
		var r pageRow
		if err := rows.Scan(&r.id, &r.v); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("rows: %v\nSQL: %s", err, q)
	}
	got, cs, err := query.Finish(p, got, func(r pageRow) (any, string) { return r.v, r.id })
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	ids := make([]string, len(got))
	for i, r := range got {
		ids[i] = r.id
	}
	return ids, cs
}

func TestPaging(t *testing.T) {
	cases := []struct {
		sort   string
		limit  int
		filter query.Group
		keep   func(contact) bool
	}{
		{sort: "", limit: 23}, // the schema's default: sort_name
		{sort: "sort_name", limit: 23},
		{sort: "-sort_name", limit: 23},
		{sort: "created_at", limit: 23},
		{sort: "-created_at", limit: 0}, // default page size
		{sort: "birthday", limit: 23},
		{sort: "-birthday", limit: 23},
		{sort: "cf.seats", limit: 23},
		{sort: "-cf.seats", limit: 23},
		{sort: "cf.nickname", limit: 23},
		{sort: "-cf.nickname", limit: 31},
		{sort: "cf.vip", limit: 23},
		{sort: "-cf.vip", limit: 23},
		{sort: "cf.renewal", limit: 23},
		{sort: "-cf.plan", limit: 23},
		{sort: "-cf.seats", limit: 7, filter: all(cond("cf.plan", query.Is, "pro")),
			keep: func(c contact) bool { return c.Custom["plan"] == "pro" }},
		{sort: "sort_name", limit: 200, keep: nil},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createTables(t, d)
		cs := crowd(300)
		insert(t, d, cs)
		s := contactSchema(t)
		for _, tc := range cases {
			name := fmt.Sprintf("sort=%s,limit=%d,filtered=%v", tc.sort, tc.limit, tc.keep != nil)
			t.Run(name, func(t *testing.T) {
				sort := query.ParseSort(tc.sort)
				if sort.Field == "" {
					sort = s.DefaultSort()
				}
				want := wantOrder(cs, sort, tc.keep)
				limit := cmp.Or(tc.limit, query.DefaultLimit)
				req := query.Request{Filter: tc.filter, Sort: query.ParseSort(tc.sort), Limit: tc.limit}
				pages, cursors := pageForward(t, d, s, req, limit)
				if got := slices.Concat(pages...); !slices.Equal(got, want) {
					t.Fatalf("forward pages hold %d rows, want %d in Go's order\nfirst difference at %d",
						len(got), len(want), firstDiff(got, want))
				}
				pageBackward(t, d, s, req, pages, cursors)
			})
		}
	})
}

// pageForward follows Next cursors to the end and returns every page and
// the cursors each page came with.
func pageForward(t *testing.T, d *db.DB, s *query.Schema, req query.Request, limit int) ([][]string, []query.Cursors) {
	t.Helper()
	var pages [][]string
	var cursors []query.Cursors
	for {
		ids, cs := fetch(t, d, s, req)
		if len(pages) == 0 && cs.Prev != "" {
			t.Errorf("first page has a previous-page cursor")
		}
		if cs.Next != "" && len(ids) != limit {
			t.Fatalf("page %d has %d rows and a next page; want %d", len(pages), len(ids), limit)
		}
		pages = append(pages, ids)
		cursors = append(cursors, cs)
		if cs.Next == "" {
			return pages, cursors
		}
		if len(pages) > 400 {
			t.Fatal("paging does not end")
		}
		req.Cursor = cs.Next
	}
}

// pageBackward walks from the last page back to the first with Prev
// cursors, checking each page against the forward walk and that its Next
// cursor leads forward again.
func pageBackward(t *testing.T, d *db.DB, s *query.Schema, req query.Request, pages [][]string, cursors []query.Cursors) {
	t.Helper()
	prev := cursors[len(cursors)-1].Prev
	for k := len(pages) - 2; k >= 0; k-- {
		if prev == "" {
			t.Fatalf("page %d has no previous-page cursor", k+1)
		}
		req.Cursor = prev
		ids, cs := fetch(t, d, s, req)
		if !slices.Equal(ids, pages[k]) {
			t.Fatalf("going back, page %d differs at row %d", k, firstDiff(ids, pages[k]))
		}
		req.Cursor = cs.Next
		if next, _ := fetch(t, d, s, req); !slices.Equal(next, pages[k+1]) {
			t.Fatalf("going back then forward from page %d misses page %d", k, k+1)
		}
		prev = cs.Prev
	}
	if prev != "" {
		t.Errorf("the first page, reached going back, still has a previous-page cursor")
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestPageSQL pins the shape of the keyset SQL: NULLs last going forward
// (so first going back), and the row-value form only for NotNull fields.
func TestPageSQL(t *testing.T) {
	s := contactSchema(t)
	const x = "json_extract(c.custom, '$.seats')"
	cases := []struct {
		sort       string
		value      any
		back       bool
		where, ord string
	}{
		{"-cf.seats", 4.5, false,
			"(" + x + " < $2 OR (" + x + " = $2 AND c.id < $3) OR " + x + " IS NULL)",
			x + " DESC NULLS LAST, c.id DESC"},
		{"-cf.seats", nil, false, "(" + x + " IS NULL AND c.id < $2)", x + " DESC NULLS LAST, c.id DESC"},
		{"-cf.seats", 4.5, true, "(" + x + " > $2 OR (" + x + " = $2 AND c.id > $3))", x + " ASC NULLS FIRST, c.id ASC"},
		{"-cf.seats", nil, true, "(" + x + " IS NOT NULL OR c.id > $2)", x + " ASC NULLS FIRST, c.id ASC"},
		{"sort_name", "smith ann", false, "(c.sort_name, c.id) > ($2, $3)", "c.sort_name ASC, c.id ASC"},
		{"sort_name", "smith ann", true, "(c.sort_name, c.id) < ($2, $3)", "c.sort_name DESC, c.id DESC"},
	}
	for _, tc := range cases {
		sort := query.ParseSort(tc.sort)
		p, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s, Args: []any{"owner"}},
			query.Request{Sort: sort, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Where != "" || p.Tail() != " ORDER BY "+p.OrderBy+" LIMIT 2" {
			t.Errorf("first page: where %q, tail %q", p.Where, p.Tail())
		}
		rows := []pageRow{{id.New(), tc.value}, {id.New(), tc.value}}
		_, cs, err := query.Finish(p, rows, func(r pageRow) (any, string) { return r.v, r.id })
		if err != nil {
			t.Fatal(err)
		}
		cur := cs.Next
		if tc.back {
			// The previous-page cursor of the page after.
			p2, err := query.Paginate(query.Options{Engine: db.SQLite, Schema: s}, query.Request{Sort: sort, Cursor: cs.Next, Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			_, cs2, _ := query.Finish(p2, rows[1:], func(r pageRow) (any, string) { return r.v, r.id })
			cur = cs2.Prev
		}
		p, err = query.Paginate(query.Options{Engine: db.SQLite, Schema: s, Args: []any{"owner"}},
			query.Request{Sort: sort, Cursor: cur, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if p.Where != tc.where || p.OrderBy != tc.ord {
			t.Errorf("%s after %v (back %v):\nwhere %s\nwant  %s\norder %s\nwant  %s", tc.sort, tc.value, tc.back, p.Where, tc.where, p.OrderBy, tc.ord)
		}
	}
}
