package bench

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

// env is one engine's data set and services under measurement.
type env struct {
	o          Options
	d          *db.DB
	ctx        context.Context
	users      *user.Service
	contacts   *contact.Service
	companies  *company.Service
	activities *activity.Service
	deepID     string // a contact with 500 timeline entries
	rep        *Report
	// dealSet is the deal data set once built (deals()).
	dealSet *DealSet
}

func runEngine(ctx context.Context, o Options, d *db.DB, rep *Report) error {
	fmt.Fprintf(o.Log, "%s: building %d contacts\n", d.Engine, o.Contacts)
	start := time.Now()
	res, err := demo.Generate(ctx, d, demo.Options{Contacts: o.Contacts, Seed: 1, Progress: func(done, total int) {
		fmt.Fprintf(o.Log, "\r%s: %d/%d contacts", d.Engine, done, total)
	}})
	fmt.Fprintln(o.Log)
	if err != nil {
		return err
	}
	rep.Sizes[d.Engine], rep.LoadTime[d.Engine] = res, time.Since(start)
	if d.Engine == db.Postgres {
		if _, err := d.W.ExecContext(ctx, `ANALYZE`); err != nil {
			return err
		}
	} else if _, err := d.W.ExecContext(ctx, `PRAGMA optimize`); err != nil {
		return err
	}
	actx, err := actor(ctx, d)
	if err != nil {
		return err
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	e := &env{o: o, d: d, ctx: actx, users: users, contacts: contacts, companies: companies,
		activities: activity.NewService(d, contacts, companies), rep: rep}
	if err := e.deepContact(); err != nil {
		return err
	}
	ops := map[string]func() error{"list": e.listPage, "scopes": e.scopedLists, "deep": e.deepPage,
		"custom": e.customFilter, "search": e.globalSearch, "timeline": e.timeline, "export": e.listExport,
		"create": e.createContacts, "import": e.importCSV, "tasks": e.myTasks, "forecast": e.forecast, "kanban": e.kanban, "http": e.httpOps,
		"apikey": e.apiKeyRead, "webhooks": e.webhookDispatch}
	for _, name := range OpNames {
		if !o.wants(name) {
			continue
		}
		if err := ops[name](); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func (e *env) add(r Result) {
	r.Engine = e.d.Engine
	e.rep.Results = append(e.rep.Results, r)
	fmt.Fprintf(e.o.Log, "%s: %-48s %10.2f %-6s baseline %10.2f  ratio %.2f\n", r.Engine, r.Operation, r.Value, r.Unit, r.Base, r.Ratio())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (e *env) single() Limits {
	return Limits{Clients: 1, Duration: e.o.Duration, MaxOps: e.o.MaxOps, Warmup: 5}
}

// deepContact gives one contact 500 activities for the timeline benchmark.
func (e *env) deepContact() error {
	c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: ptr("Timeline"), LastName: ptr("Benchmark")})
	if err != nil {
		return err
	}
	e.deepID = c.ID
	var rows [][]any
	now := db.Now()
	for i := range 500 {
		at := now.Add(-time.Duration(i) * time.Hour)
		rows = append(rows, []any{id.New(), "note", c.ID, nil, "", fmt.Sprintf("Note number %d with **Markdown**.", i), false,
			db.T(at), db.Time{}, "", nil, "", "[]", nil, db.T(at), db.T(at)})
	}
	return e.d.WithTx(e.ctx, func(tx *db.Tx) error {
		return db.Insert(e.ctx, tx, "activities", []string{"id", "kind", "contact_id", "company_id", "subject", "body", "pinned",
			"occurred_at", "ends_at", "outcome", "duration_seconds", "direction", "attendees", "created_by", "created_at", "updated_at"}, rows)
	})
}

// listRequest is the list every list benchmark reads: a filter and a sort.
var listRequest = query.Request{
	Filter: query.Group{Conditions: []query.Condition{{Field: "lifecycle_stage", Op: query.IsNot, Value: "other"}}},
	Sort:   query.Sort{Field: "name"},
	Limit:  50,
}

// plainList is the baseline: the same 50 rows by plain SQL, with the
// tags each row shows (tagsSQL for the engine replaces %s).
const plainList = `SELECT c.id, c.display_name, c.email, c.phone, c.job_title, m.name, c.lifecycle_stage, u.name, c.updated_at,
	%s
	FROM contacts c LEFT JOIN companies m ON m.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id
	WHERE c.deleted_at IS NULL AND c.lifecycle_stage <> $1 ORDER BY c.sort_name, c.id LIMIT 51`

// plainListSQL returns plainList for e's engine.
func (e *env) plainListSQL() string {
	tags := `(SELECT group_concat(t.name, ', ') FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = c.id)`
	if e.d.Engine == db.Postgres {
		tags = `(SELECT string_agg(t.name, ', ') FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = c.id)`
	}
	return fmt.Sprintf(plainList, tags)
}

func (e *env) plainRows(ctx context.Context, q string, args ...any) (int, error) {
	rows, err := e.d.R.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(sql.RawBytes)
	}
	n := 0
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func (e *env) listPage() error {
	svc := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.contacts.List(ctx, listRequest)
		return err
	})
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.plainRows(ctx, e.plainListSQL(), "other")
		return err
	})
	e.add(Result{Samples: svc.N, BaseSamples: base.N, Operation: "contact list, 50 rows, filter + sort (service)", Baseline: "plain SQL, same rows",
		Unit: "ms p95", Value: ms(svc.P95), Base: ms(base.P95),
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(svc.P50), ms(base.P50))})
	return nil
}

// deepPage compares page 10,000 (or the deepest page the data set has)
// with page 1 of the same list.
func (e *env) deepPage() error {
	var total int
	if err := e.d.R.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL`).Scan(&total); err != nil {
		return err
	}
	pageNo := min(10_000, max(1, total/50-1))
	var sortName, rowID string
	if err := e.d.R.QueryRowContext(e.ctx, `SELECT sort_name, id FROM contacts WHERE deleted_at IS NULL
		ORDER BY sort_name, id LIMIT 1 OFFSET $1`, (pageNo-1)*50-1).Scan(&sortName, &rowID); err != nil {
		return fmt.Errorf("deep page: %w", err)
	}
	schema, err := e.contacts.Schema(e.ctx)
	if err != nil {
		return err
	}
	sort := query.Sort{Field: "name"}
	cur, err := query.After(schema, e.d.Engine, sort, sortName, rowID)
	if err != nil {
		return err
	}
	deep := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.contacts.List(ctx, query.Request{Sort: sort, Cursor: cur})
		return err
	})
	first := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.contacts.List(ctx, query.Request{Sort: sort})
		return err
	})
	e.add(Result{Samples: deep.N, BaseSamples: first.N, Operation: fmt.Sprintf("contact list page %d (keyset)", pageNo), Baseline: "page 1",
		Unit: "ms p50", Value: ms(deep.P50), Base: ms(first.P50), Target: "at most 2x page 1",
		Met: deep.P50 <= 2*first.P50, Detail: fmt.Sprintf("p95 %.2f / %.2f ms", ms(deep.P95), ms(first.P95))})
	return nil
}

func (e *env) customFilter() error {
	req := query.Request{Filter: query.Group{Conditions: []query.Condition{{Field: "cf.plan", Op: query.Is, Value: "Enterprise"}}},
		Sort: query.Sort{Field: "cf.plan"}, Limit: 50}
	svc := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.contacts.List(ctx, req)
		return err
	})
	expr, err := query.CustomExpr(e.d.Engine, "c", "plan", query.Select)
	if err != nil {
		return err
	}
	// The plain query reads what the service returns for each row (the
	// fields of the API's list, tags included, as plainJSONList does).
	// Every matching row has the same plan, so it orders by id.
	plain := e.plainJSONListSQL(`WHERE c.deleted_at IS NULL AND ` + expr + ` = $1 ORDER BY c.id LIMIT 51`)
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := e.plainRows(ctx, plain, "Enterprise")
		return err
	})
	e.add(Result{Samples: svc.N, BaseSamples: base.N, Operation: "filter on an indexed custom field (service)", Baseline: "plain SQL query",
		Unit: "ms p95", Value: ms(svc.P95), Base: ms(base.P95), Target: "at most 1.5x the plain query",
		Met: svc.P95 <= base.P95*3/2, Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(svc.P50), ms(base.P50))})
	return nil
}

var searchTerms = []string{"anna", "müller", "dmitry", "sofia garcia", "acme", "gmb", "ann", "mar", "li", "4930", "sato"}

func (e *env) globalSearch() error {
	if e.d.Engine == db.Postgres {
		// VACUUM sets the visibility map, as autovacuum would on a database
		// in use, so counting a token range is an index-only scan.
		if _, err := e.d.W.ExecContext(e.ctx, `VACUUM ANALYZE search_words, search_docs`); err != nil {
			return err
		}
	}
	svc := run(e.ctx, e.single(), func(ctx context.Context, _, i int) error {
		_, err := search.Query(ctx, e.d.R, e.d.Engine, searchTerms[i%len(searchTerms)], search.Options{})
		return err
	})
	plain := `SELECT d.kind, d.ref_id, d.title FROM search_fts f JOIN search_docs d ON d.doc = f.rowid
		WHERE search_fts MATCH $1 LIMIT 20`
	args := func(s string) []any { return []any{`"` + s + `"*`} }
	if e.d.Engine == db.Postgres {
		// What Query reads on PostgreSQL for each kind: the first rows of
		// the word's range of search_words, in index order.
		plain = `(SELECT w.ref_id, d.title FROM search_words w JOIN search_docs d ON d.kind = 'contact' AND d.ref_id = w.ref_id
			WHERE w.code = 1 AND w.word >= $1 AND w.word < $2 ORDER BY w.word, w.rank, w.ref_id LIMIT 20)
		UNION ALL
		(SELECT w.ref_id, d.title FROM search_words w JOIN search_docs d ON d.kind = 'company' AND d.ref_id = w.ref_id
			WHERE w.code = 2 AND w.word >= $1 AND w.word < $2 ORDER BY w.word, w.rank, w.ref_id LIMIT 20)`
		args = func(s string) []any {
			w := strings.Join(search.Words(s), " ")
			return []any{w, w + "\U0010FFFF"}
		}
	}
	base := run(e.ctx, e.single(), func(ctx context.Context, _, i int) error {
		_, err := e.plainRows(ctx, plain, args(firstWord(searchTerms[i%len(searchTerms)]))...)
		return err
	})
	e.add(Result{Samples: svc.N, BaseSamples: base.N, Operation: "global search, words and 2-4 character prefixes", Baseline: "plain FTS query",
		Unit: "ms p95", Value: ms(svc.P95), Base: ms(base.P95), Target: "p95 under 100 ms",
		Met: svc.P95 < 100*time.Millisecond, Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(svc.P50), ms(base.P50))})
	return nil
}

func firstWord(s string) string {
	for i, r := range s {
		if r == ' ' {
			return s[:i]
		}
	}
	return s
}

func ptr[T any](v T) *T { return &v }
