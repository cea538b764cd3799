package importer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
)

// On PostgreSQL an import keeps two batches in flight: while one
// transaction's statements run on the server, the next batch is read,
// checked and written on a second connection, so the server works on two
// cores and this process's work overlaps the server's. The second batch
// commits only after the first (its checkpoint waits for it), so the
// import still moves forward one whole batch at a time and resumes as
// before. It runs beside the first only when the two cannot meet: no
// email, phone number, company or tag of one appears in the other, and
// every row of the second creates a contact. A second batch that meets
// the first anyway (a row matched a contact, a key was taken after all)
// is rolled back and run again after the first, on its own, which is what
// a one-at-a-time import would have done.

// errAfterPrevious rolls back a second batch that must run after the
// first has committed.
var errAfterPrevious = errors.New("importer: batch must follow the one before")

// pipelined reports whether im's batches may run two at a time.
func (r *runner) pipelined(im Import) bool {
	return r.s.o.DB.Engine == db.Postgres && !im.DryRun && im.Object == Contacts
}

// applyPair runs cur and next, next beside cur when they cannot meet,
// and returns when both have committed or one has failed.
func (r *runner) applyPair(ctx context.Context, im Import, cur, next span, complete func(*db.Tx) error) (err error) {
	ok, tags := r.apart(cur, next)
	defer func() {
		if err == nil {
			for _, t := range tags {
				r.lk.tags[t] = true
			}
		}
	}()
	if !ok {
		return r.applyInTurn(ctx, im, cur, next, complete)
	}
	first := make(chan error, 1)
	go func() {
		defer func() {
			// The job queue recovers panics on its worker's goroutine only.
			if p := recover(); p != nil {
				first <- fmt.Errorf("importer: batch at row %d: panic: %v", cur.first+1, p)
			}
		}()
		_, err := r.apply(ctx, im, cur, nil, nil)
		first <- err
	}()
	start := time.Now()
	var curErr error
	waited := false
	_, err = r.apply(ctx, im, next, complete, func(results []rowResult) error {
		for _, res := range results {
			if res.outcome == contact.Updated || res.outcome == contact.Skipped {
				// Matched on what it read before cur committed.
				return errAfterPrevious
			}
		}
		// cur may be waiting for a row this transaction wrote (rows that
		// meet in a way the keys above do not tell): waiting for cur
		// without end would then wait for ever. Past a while, this batch
		// lets go and goes again after cur.
		select {
		case curErr = <-first:
			waited = true
		case <-time.After(max(pairWait, 2*time.Since(start))):
			return errAfterPrevious
		}
		if curErr != nil {
			return errAfterPrevious
		}
		return nil
	})
	if !waited {
		curErr = <-first
	}
	if curErr == nil && err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return cmp.Or(curErr, err, ctx.Err())
	}
	if curErr != nil {
		// Whatever made cur fail, it did not commit, nor did next: both go
		// again one after the other, where they cannot get in each
		// other's way.
		return r.applyInTurn(ctx, im, cur, next, complete)
	}
	if err != nil {
		// cur has committed: next goes again on its own, seeing cur's rows.
		_, err = r.apply(ctx, im, next, complete, nil)
	}
	return err
}

// pairWait is the least time the second batch of a pair waits for the
// first once its own rows are written.
const pairWait = 2 * time.Second

// applyInTurn runs cur, then next.
func (r *runner) applyInTurn(ctx context.Context, im Import, cur, next span, complete func(*db.Tx) error) error {
	if _, err := r.apply(ctx, im, cur, nil, nil); err != nil {
		return err
	}
	_, err := r.apply(ctx, im, next, complete, nil)
	return err
}

// apart reports whether no row of cur and next share an email, a phone
// number, a company or a tag, as the rows map to contacts, and neither
// names a tag there is not yet: creating one bumps the tags' revision
// counter, a row both transactions would wait on. It also returns the
// tags the two name, which exist once they have committed.
func (r *runner) apart(cur, next span) (bool, []string) {
	ok := true
	curKeys, tagSet := map[string]bool{}, map[string]bool{}
	for _, it := range cur.items {
		for _, k := range r.rowKeys(it) {
			curKeys[k] = true
		}
	}
	note := func(k string) {
		if name, isTag := strings.CutPrefix(k, "t:"); isTag {
			tagSet[name] = true
			ok = ok && r.lk.tags[name]
		}
	}
	for k := range curKeys {
		note(k)
	}
	for _, it := range next.items {
		for _, k := range r.rowKeys(it) {
			// Rows of one batch may share keys (a company named on many
			// rows): they are written in one transaction, in order.
			ok = ok && !curKeys[k]
			note(k)
		}
	}
	tags := make([]string, 0, len(tagSet))
	for t := range tagSet {
		tags = append(tags, t)
	}
	return ok, tags
}

// tagKey is a tag name as the tags table keys it (name_lower).
func tagKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// rowKeys are what a contact row could share with another row: its
// emails and numbers (as matching reads them), its company and its tags.
func (r *runner) rowKeys(it item) []string {
	if it.Problem != nil {
		return nil
	}
	var v apperr.Validation
	in, companyName := r.input(it, &v)
	keys := r.dryKeys(in)
	if name := companyKey(companyName); name != "" {
		keys = append(keys, "c:"+name)
	}
	if in.Tags != nil {
		for _, t := range *in.Tags {
			if k := tagKey(t); k != "" {
				keys = append(keys, "t:"+k)
			}
		}
	}
	return keys
}
