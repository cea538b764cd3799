package bulk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

type env struct {
	t         *testing.T
	ctx       context.Context
	owner     user.User
	d         *db.DB
	users     *user.Service
	contacts  *contact.Service
	companies *company.Service
	// fixtureTags are the tags people() gives new contacts; creating a
	// tagged contact records tagged events of its own, which the counts
	// of what bulk actions did leave out.
	fixtureTags map[string]bool
}

func setup(t *testing.T, d *db.DB) *env {
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	return &env{t: t, ctx: ctx, owner: owner, d: d, users: users,
		contacts: contact.NewService(d, users), companies: company.NewService(d, users)}
}

// service returns a bulk service on queue q (nil: none), batches of 200.
func (e *env) service(q bulk.Enqueuer) *bulk.Service {
	return bulk.NewService(bulk.Options{DB: e.d, Contacts: e.contacts, Companies: e.companies, Users: e.users, Queue: q})
}

// insertOnly is a queue that enqueues but works nothing: the job waits
// until a test starts a worker.
func (e *env) insertOnly() *jobs.Queue {
	q, err := jobs.New(e.d, jobs.Options{Logger: quiet()})
	if err != nil {
		e.t.Fatal(err)
	}
	return q
}

// worker starts a queue that works bulk jobs with svc and stops it at the
// end of the test.
func (e *env) worker(svc *bulk.Service) {
	e.t.Helper()
	ws := river.NewWorkers()
	river.AddWorker(ws, bulk.NewWorker(svc, 0))
	q, err := jobs.New(e.d, jobs.Options{Workers: ws, Logger: quiet(), FetchPollInterval: 50 * time.Millisecond})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			e.t.Errorf("stop queue: %v", err)
		}
	})
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// people creates n contacts carrying tags, named prefix-000...
func (e *env) people(n int, prefix string, tags ...string) []string {
	e.t.Helper()
	ids := make([]string, n)
	for i := range n {
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("%s-%03d", prefix, i)),
			Tags: &tags})
		if err != nil {
			e.t.Fatalf("create contact: %v", err)
		}
		ids[i] = c.ID
	}
	if e.fixtureTags == nil {
		e.fixtureTags = map[string]bool{}
	}
	for _, t := range tags {
		e.fixtureTags[strings.ToLower(t)] = true
	}
	return ids
}

// wait polls the operation until it ends.
func (e *env) wait(svc *bulk.Service, opID string) bulk.Operation {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		o, err := svc.ByID(e.ctx, opID)
		if err != nil {
			e.t.Fatalf("operation: %v", err)
		}
		if o.Finished() {
			return o
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("operation still %s after 60 s: %d of %d done", o.Status, o.Done, o.Total)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// eventsPer returns how many events of kind each subject has.
func (e *env) eventsPer(kind string) map[string]int {
	e.t.Helper()
	rows, err := e.d.R.QueryContext(context.Background(), `SELECT subject_id, data FROM events WHERE kind = $1`, kind)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id, data string
		if err := rows.Scan(&id, &data); err != nil {
			e.t.Fatal(err)
		}
		var d struct{ Tag string }
		json.Unmarshal([]byte(data), &d)
		if strings.HasSuffix(kind, ".tagged") && e.fixtureTags[strings.ToLower(d.Tag)] {
			continue
		}
		out[id]++
	}
	return out
}

// tagged counts the live contacts carrying tag name.
func (e *env) tagged(name string) int {
	return e.count(`SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
		JOIN contacts c ON c.id = ct.contact_id WHERE t.name_lower = $1 AND c.deleted_at IS NULL`, name)
}

// exactlyOnce checks that each id has exactly one event of kind and no
// other subject has one.
func (e *env) exactlyOnce(kind string, ids []string) {
	e.t.Helper()
	per := e.eventsPer(kind)
	for _, id := range ids {
		if per[id] != 1 {
			e.t.Errorf("%s has %d %s events, want 1", id, per[id], kind)
		}
		delete(per, id)
	}
	for id, n := range per {
		e.t.Errorf("%s was not selected but has %d %s events", id, n, kind)
	}
}

var batchFilter = query.Group{Conditions: []query.Condition{{Field: "tag", Op: query.HasTag, Value: "batch"}}}

// A bulk tag over 450 matching contacts runs in batches through the
// service: each is tagged exactly once with one event, none outside the
// filter is touched, and done reaches total.
func TestStartTagsEveryMatchOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ids := e.people(450, "match", "batch")
		e.people(30, "other")
		svc := e.service(e.insertOnly())
		op, err := svc.Start(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Tag, Tag: "VIP"}, batchFilter)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		if op.Total != 450 || op.Status != bulk.Running {
			t.Fatalf("started %+v, want total 450, running", op)
		}
		e.worker(svc)
		op = e.wait(svc, op.ID)
		if op.Status != bulk.Done || op.Done != 450 || op.Total != 450 || op.Params.Changed != 450 || op.Error != "" {
			t.Errorf("finished %s, %d of %d, %d changed, error %q; want done, 450 of 450", op.Status, op.Done, op.Total, op.Params.Changed, op.Error)
		}
		if n := e.tagged("vip"); n != 450 {
			t.Errorf("%d contacts tagged vip, want 450", n)
		}
		e.exactlyOnce("contact.tagged", ids)
		if n := e.count(`SELECT COUNT(*) FROM events WHERE kind = 'contact.tagged' AND actor_id = $1`, e.owner.ID); n != 2*450 {
			t.Errorf("%d tagged events by the owner, want 450 (the job acts as its starter) plus 450 from creating the tagged fixtures", n)
		}
		if n := e.count(`SELECT COUNT(*) FROM river_job WHERE kind = 'bulk.operation' AND state = 'completed'`); n != 1 {
			t.Errorf("%d completed bulk jobs, want 1", n)
		}
	})
}

// A job interrupted after its first batch, with part of the second batch
// applied but not recorded, is finished by a new worker without repeating
// anything.
func TestStartResumesAfterInterruption(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ids := e.people(450, "match", "batch")
		svc := e.service(e.insertOnly())
		op, err := svc.Start(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Tag, Tag: "vip"}, batchFilter)
		if err != nil {
			t.Fatalf("start: %v", err)
		}
		finished, err := svc.Step(context.Background(), op.ID, nil)
		if err != nil || finished {
			t.Fatalf("first batch: finished %v, %v", finished, err)
		}
		after, _ := svc.ByID(e.ctx, op.ID)
		if after.Done != 200 || after.Cursor == "" || e.tagged("vip") != 200 {
			t.Fatalf("after one batch: done %d, cursor %q, %d tagged; want 200", after.Done, after.Cursor, e.tagged("vip"))
		}
		// The crash: the next batch changed 50 records, then died before
		// recording its progress.
		for _, id := range ids[200:250] {
			if _, err := e.contacts.Update(e.ctx, id, contact.Input{Tags: &[]string{"batch", "vip"}}); err != nil {
				t.Fatal(err)
			}
		}
		// Records created after the start are not part of the operation.
		late := e.people(3, "late", "batch")

		e.worker(e.service(nil))
		op = e.wait(svc, op.ID)
		if op.Status != bulk.Done || op.Done != 450 || op.Total != 450 || op.Params.Changed != 400 {
			t.Errorf("finished %s, %d of %d, %d changed; want done, 450 of 450, 400 changed by the job", op.Status, op.Done, op.Total, op.Params.Changed)
		}
		e.exactlyOnce("contact.tagged", ids)
		if n := e.tagged("vip"); n != 450 {
			t.Errorf("%d tagged, want 450 (not the %d created later)", n, len(late))
		}
	})
}

func TestStartDeleteAndChangeOwner(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		_, member := fixture.User(t, d, "member")
		ids := e.people(230, "match", "batch")
		keep := e.people(5, "keep")
		svc := e.service(e.insertOnly())
		e.worker(svc)

		op, err := svc.Start(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Owner, OwnerID: member.ID}, batchFilter)
		if err != nil {
			t.Fatalf("start owner: %v", err)
		}
		if op = e.wait(svc, op.ID); op.Status != bulk.Done || op.Done != 230 {
			t.Errorf("owner change %s, %d done; want done, 230", op.Status, op.Done)
		}
		if n := e.count(`SELECT COUNT(*) FROM contacts WHERE owner_id = $1`, member.ID); n != 230 {
			t.Errorf("%d contacts owned by the member, want 230", n)
		}
		e.exactlyOnce("contact.owner_changed", ids)

		op, err = svc.Start(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Delete}, batchFilter)
		if err != nil {
			t.Fatalf("start delete: %v", err)
		}
		if op = e.wait(svc, op.ID); op.Status != bulk.Done || op.Done != 230 || op.Total != 230 {
			t.Errorf("delete %s, %d of %d; want done, 230 of 230", op.Status, op.Done, op.Total)
		}
		if n := e.count(`SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL`); n != len(keep) {
			t.Errorf("%d live contacts, want %d", n, len(keep))
		}
		e.exactlyOnce("contact.deleted", ids)
	})
}

func TestApplySelection(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ids := e.people(4, "pick", "old")
		svc := e.service(nil)
		in := bulk.Input{Object: bulk.ObjectContact, Action: bulk.Tag, Tag: "vip"}
		sel := []string{ids[0], ids[1], ids[2], ids[2], "0190a0a0-0000-7000-8000-000000000000", "not-an-id"}
		res, err := svc.Apply(e.ctx, in, sel)
		if err != nil || res.Changed != 3 || res.Unchanged != 2 || len(res.Problems) != 0 {
			t.Fatalf("apply: %+v, %v; want 3 changed, 2 unchanged", res, err)
		}
		// Again: nothing changes and no event is recorded twice.
		if res, err = svc.Apply(e.ctx, in, ids[:3]); err != nil || res.Changed != 0 || res.Unchanged != 3 {
			t.Errorf("apply again: %+v, %v; want 3 unchanged", res, err)
		}
		e.exactlyOnce("contact.tagged", ids[:3])

		res, err = svc.Apply(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Untag, Tag: "OLD"}, ids[:2])
		if err != nil || res.Changed != 2 {
			t.Errorf("untag: %+v, %v", res, err)
		}
		e.exactlyOnce("contact.untagged", ids[:2])
		if n := e.tagged("old"); n != 2 {
			t.Errorf("%d still tagged old, want 2", n)
		}
		res, err = svc.Apply(e.ctx, bulk.Input{Object: bulk.ObjectContact, Action: bulk.Delete}, ids[3:])
		if err != nil || res.Changed != 1 {
			t.Errorf("delete: %+v, %v", res, err)
		}

		// Companies work the same way.
		m, err := e.companies.Create(e.ctx, company.Input{Name: fixture.Ptr("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		res, err = svc.Apply(e.ctx, bulk.Input{Object: bulk.ObjectCompany, Action: bulk.Owner, OwnerID: e.owner.ID}, []string{m.ID})
		if err != nil || res.Changed != 1 {
			t.Errorf("company owner: %+v, %v", res, err)
		}
		if got, _ := e.companies.ByID(e.ctx, m.ID); got.OwnerID != e.owner.ID {
			t.Errorf("company owner %q, want %q", got.OwnerID, e.owner.ID)
		}
		e.exactlyOnce("company.owner_changed", []string{m.ID})
	})
}

func TestRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		ids := e.people(3, "x", "batch")
		viewerCtx, _ := fixture.User(t, d, "viewer")
		memberCtx, _ := fixture.User(t, d, "member")
		svc := e.service(e.insertOnly())
		tagIt := bulk.Input{Object: bulk.ObjectContact, Action: bulk.Tag, Tag: "vip"}
		for _, in := range []bulk.Input{tagIt, {Object: bulk.ObjectContact, Action: bulk.Delete}, {Object: bulk.ObjectCompany, Action: bulk.Owner}} {
			if _, err := svc.Start(viewerCtx, in, batchFilter); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("viewer start %s: %v, want ErrForbidden", in.Action, err)
			}
			if _, err := svc.Apply(viewerCtx, in, ids); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("viewer apply %s: %v, want ErrForbidden", in.Action, err)
			}
		}
		if _, err := svc.Apply(context.Background(), tagIt, ids); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("no actor: %v, want ErrForbidden", err)
		}
		if n := e.count(`SELECT COUNT(*) FROM bulk_operations`); n != 0 {
			t.Errorf("%d operations stored after refusals", n)
		}

		bad := []struct {
			name   string
			in     bulk.Input
			filter query.Group
			field  string
		}{
			{"no tag", bulk.Input{Object: bulk.ObjectContact, Action: bulk.Tag, Tag: "  "}, batchFilter, "tag"},
			{"comma tag", bulk.Input{Object: bulk.ObjectContact, Action: bulk.Untag, Tag: "a,b"}, batchFilter, "tag"},
			{"unknown owner", bulk.Input{Object: bulk.ObjectContact, Action: bulk.Owner, OwnerID: "nobody"}, batchFilter, "owner_id"},
			{"unknown action", bulk.Input{Object: bulk.ObjectContact, Action: "explode"}, batchFilter, "action"},
			{"unknown object", bulk.Input{Object: "deal", Action: bulk.Delete}, batchFilter, "object"},
			{"bad filter", tagIt, query.Group{Conditions: []query.Condition{{Field: "shoe_size", Op: query.Is, Value: "9"}}}, "filter.conditions[0].field"},
		}
		for _, c := range bad {
			_, err := svc.Start(e.ctx, c.in, c.filter)
			if v := apperr.AsValidation(err); v == nil || v.For(c.field) == "" {
				t.Errorf("%s: %v, want a message for %s", c.name, err, c.field)
			}
		}
		if _, err := svc.Apply(e.ctx, tagIt, make([]string, bulk.MaxSelection+1)); apperr.AsValidation(err) == nil {
			t.Errorf("%d ids: %v, want a validation error", bulk.MaxSelection+1, err)
		}
		if _, err := e.service(nil).Start(e.ctx, tagIt, batchFilter); !errors.Is(err, bulk.ErrNoQueue) {
			t.Errorf("start without a queue: %v", err)
		}

		// An operation is visible to whoever started it, and to admins.
		op, err := svc.Start(e.ctx, tagIt, batchFilter)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ByID(memberCtx, op.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("another member reads the operation: %v, want ErrNotFound", err)
		}
		// A job whose starter became a viewer stops instead of acting.
		if _, err := d.W.Exec(`UPDATE users SET role = 'viewer' WHERE id = $1`, e.owner.ID); err != nil {
			t.Fatal(err)
		}
		if finished, err := svc.Step(context.Background(), op.ID, nil); err != nil || !finished {
			t.Errorf("step as a viewer: finished %v, %v; want the operation ended", finished, err)
		}
		o, _ := svc.ByID(access.WithActor(context.Background(), access.SystemActor), op.ID)
		if o.Status != bulk.Failed || o.Error == "" || e.tagged("vip") != 0 {
			t.Errorf("after demotion: %s %q, %d tagged; want failed with a reason, none tagged", o.Status, o.Error, e.tagged("vip"))
		}
	})
}
