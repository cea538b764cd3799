package contact

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
)

// ExportRow is a contact as an export writes it: the list row with every
// email, every phone and the whole address.
type ExportRow struct {
	Row
	Emails []Email
	Phones []Phone
	// Shown are the numbers of Phones, in order, in international form
	// ("+44 20 7946 0958"): the form stored with each number, or for one
	// stored without it (before the form was stored), formatted now.
	Shown   []string
	Address record.Address
	// Photo is the contact's picture when the stream reads pictures.
	Photo *Photo
	// Values are the decoded custom values when the stream decodes them.
	Values customfield.Values
	// lists is the row's contacts.lists, decoded into Emails, Phones and
	// Shown beside the tags, off the goroutine that reads the rows.
	lists string
}

// StreamOptions say what a stream reads besides each contact's own
// columns.
type StreamOptions struct {
	// Lists reads every email and phone and the tags of each contact.
	Lists bool
	// Custom decodes each contact's custom values into Custom.
	Custom bool
	// Photos reads each contact's picture (with Lists only).
	Photos bool
}

// streamBatch is how many rows Stream reads before it fetches their tags
// (and pictures) with one query each.
const streamBatch = 500

// streamMmap is how much of a SQLite file a stream maps into memory.
const streamMmap = 1 << 31

// streamSlots bounds the streams running at once per engine: each holds
// two connections of the read pool (SQLite's has four) for its length.
var streamSlots = map[db.Engine]chan struct{}{db.SQLite: make(chan struct{}, 1), db.Postgres: make(chan struct{}, 4)}

// Stream calls fn with every contact matching r's filter, in r's sort
// order (r's cursor and limit are ignored), the way List would page
// through them: the same visibility scope, the same compiled filter. One
// query reads the contacts as they arrive, a batch at a time, so memory
// stays the same whatever the number of rows. With o.Lists each row
// brings its emails and phones (contacts.lists) and a second connection
// reads each batch's tags while the next batch is read and fn works on
// the last, so a stream keeps two cores busy. It needs the read and
// export rights on contacts. An error from fn stops the stream and is
// returned as it is.
func (s *Service) Stream(ctx context.Context, r query.Request, o StreamOptions, fn func(ExportRow) error) error {
	if _, err := access.Check(ctx, access.Contacts, access.Read); err != nil {
		return err
	}
	if _, err := access.Check(ctx, access.Contacts, access.Export); err != nil {
		return err
	}
	schema, err := s.Schema(ctx)
	if err != nil {
		return err
	}
	vis, visArgs := access.Visible(ctx, "c.owner_id", 0)
	if vis != "" {
		vis = " AND " + vis
	}
	r.Cursor, r.Limit = "", 0
	p, err := query.Paginate(query.Options{Engine: s.db.Engine, Schema: schema, Args: visArgs}, r)
	if err != nil {
		return err
	}
	where := ""
	if p.Where != "" {
		where = " AND " + p.Where
	}
	slots := streamSlots[s.db.Engine]
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var main, lists queryer = s.db.R, s.db.R
	if s.db.Engine == db.SQLite {
		// Connections of its own, taken now (the stream never waits for
		// one while it holds another), reading the file through a memory
		// map: a stream visits pages all over it, far more than the page
		// cache holds, and a read call per page costs more than the row.
		take := func() (*sql.Conn, error) {
			conn, err := s.db.R.Conn(ctx)
			if err != nil {
				return nil, fmt.Errorf("contact: stream: %w", err)
			}
			if _, err := conn.ExecContext(ctx, `PRAGMA mmap_size = `+strconv.Itoa(streamMmap)); err != nil {
				conn.Close()
				return nil, fmt.Errorf("contact: stream: %w", err)
			}
			return conn, nil
		}
		release := func(conn *sql.Conn) {
			conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA mmap_size = 0`)
			conn.Close()
		}
		conn, err := take()
		if err != nil {
			return err
		}
		defer release(conn)
		main = conn
		if o.Lists {
			if lists, err = take(); err != nil {
				return err
			}
			defer release(lists.(*sql.Conn))
		}
	}
	tags := &tagSet{q: main}
	if o.Lists {
		if err := tags.load(ctx); err != nil {
			return fmt.Errorf("contact: stream: %w", err)
		}
	}
	// The custom values are read only when they are decoded, the emails
	// and phones (the row's own copy, contacts.lists) only when asked for.
	custom, ownLists := "''", "''"
	if o.Custom {
		custom = "c.custom"
	}
	if o.Lists {
		ownLists = "c.lists"
	}
	rows, err := main.QueryContext(ctx, `SELECT c.id, c.display_name, c.first_name, c.last_name, c.job_title,
		c.company_id, m.name, c.lifecycle_stage, c.source, c.street, c.city, c.region, c.postal_code, c.country,
		c.birthday, c.owner_id, u.name, `+custom+`, c.created_at, c.updated_at, `+ownLists+
		listFrom+vis+where+` ORDER BY `+p.OrderBy, p.Args...)
	if err != nil {
		return fmt.Errorf("contact: stream: %w", err)
	}
	defer rows.Close()

	// Three stages: one goroutine reads rows into batches, one adds the
	// lists, and fn runs here on finished batches, which go back to the
	// first to be filled again.
	read := make(chan []ExportRow, 2)
	done := make(chan []ExportRow, 2)
	free := make(chan []ExportRow, 4)
	errc := make(chan error, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(read)
		batch := make([]ExportRow, 0, streamBatch)
		sc := newRowScanner(o.Custom)
		for rows.Next() {
			x, err := sc.scan(rows)
			if err != nil {
				errc <- err
				return
			}
			if batch = append(batch, x); len(batch) == streamBatch {
				select {
				case read <- batch:
				case <-ctx.Done():
					return
				}
				select {
				case batch = <-free:
				default:
					batch = make([]ExportRow, 0, streamBatch)
				}
			}
		}
		if err := rows.Err(); err != nil {
			errc <- fmt.Errorf("contact: stream: %w", err)
			return
		}
		if len(batch) > 0 {
			select {
			case read <- batch:
			case <-ctx.Done():
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer close(done)
		for batch := range read {
			if o.Lists {
				if err := streamChildren(ctx, lists, tags, s.db.Engine, batch, o.Photos); err != nil {
					errc <- err
					return
				}
			}
			select {
			case done <- batch:
			case <-ctx.Done():
				return
			}
		}
	}()
	var ferr error
	for batch := range done {
		for i := 0; i < len(batch) && ferr == nil; i++ {
			if ferr = fn(batch[i]); ferr != nil {
				// Stop the other stages; what they have in hand drains.
				cancel()
			}
		}
		clear(batch)
		select {
		case free <- batch[:0]:
		default:
		}
	}
	// Everything is read (or a stage failed): release a stage that waits.
	cancel()
	wg.Wait()
	if ferr != nil {
		return ferr
	}
	if err := parent.Err(); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
	}
	return nil
}

// rowScanner reads the rows of a stream's main query through one set of
// scan targets.
type rowScanner struct {
	decode bool
	x      ExportRow
	dest   []any

	companyID, companyName, owner, ownerName sql.NullString
	birthday                                 db.Date
	custom, lists                            string
	created, updated                         db.Time
}

func newRowScanner(decode bool) *rowScanner {
	sc := &rowScanner{decode: decode}
	x := &sc.x
	sc.dest = []any{&x.ID, &x.DisplayName, &x.FirstName, &x.LastName, &x.JobTitle, &sc.companyID, &sc.companyName,
		&x.Stage, &x.Source, &x.Address.Street, &x.Address.City, &x.Address.Region, &x.Address.PostalCode,
		&x.Address.Country, &sc.birthday, &sc.owner, &sc.ownerName, &sc.custom, &sc.created, &sc.updated, &sc.lists}
	return sc
}

func (sc *rowScanner) scan(rows *sql.Rows) (ExportRow, error) {
	sc.x = ExportRow{}
	if err := rows.Scan(sc.dest...); err != nil {
		return ExportRow{}, fmt.Errorf("contact: stream: %w", err)
	}
	x := sc.x
	x.CompanyID, x.CompanyName, x.OwnerID, x.OwnerName = sc.companyID.String, sc.companyName.String, sc.owner.String, sc.ownerName.String
	x.Birthday, x.CreatedAt, x.UpdatedAt = string(sc.birthday), sc.created.Time, sc.updated.Time
	x.City, x.Country = x.Address.City, x.Address.Country
	x.Tags = []string{}
	x.Custom = customfield.Stored(sc.custom)
	x.lists = sc.lists
	if !sc.decode {
		return x, nil
	}
	var err error
	x.Values, err = x.Custom.Values()
	return x, err
}

// queryer runs a query: a connection or a pool.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// streamChildren fills in the tags (in the order lists show them) and,
// with photos, the pictures of batch, one query each. The emails and
// phones came with each row (contacts.lists).
func streamChildren(ctx context.Context, q queryer, tags *tagSet, e db.Engine, batch []ExportRow, photos bool) error {
	if len(batch) == 0 {
		return nil
	}
	at := make(map[string]*ExportRow, len(batch))
	ids := make([]string, len(batch))
	for i := range batch {
		at[batch[i].ID] = &batch[i]
		ids[i] = batch[i].ID
	}
	// PostgreSQL takes the ids as one array, planned once, of text: the
	// driver copies text as it is, where it would parse every id to send
	// an array of uuid (the server's cast is cheaper). SQLite takes a
	// list of positional "?" (it looks "$n" names up one by one, which is
	// quadratic in a statement of hundreds).
	in := " = ANY($1::text[]::uuid[])"
	args := []any{ids}
	if e == db.SQLite {
		in = " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
		args = make([]any, len(ids))
		for i, x := range ids {
			args[i] = x
		}
	}
	// Each list is its own query with its own scan targets; on PostgreSQL
	// they run at once on connections of the pool, on SQLite one after the
	// other on the lists' connection, beside the one reading the contacts.
	// Each fills its own field of the rows.
	lists := []func() error{
		func() error {
			// The ids only, from the key's index: tags resolves them.
			var cid, tag string
			return eachRow(ctx, q, `SELECT contact_id, tag_id FROM contact_tags WHERE contact_id`+in, args,
				[]any{&cid, &tag}, func() {
					if x := at[cid]; x != nil {
						x.Tags = append(x.Tags, tag)
					}
				})
		},
	}
	if photos {
		lists = append(lists, func() error {
			var cid string
			var p Photo
			return eachRow(ctx, q, `SELECT contact_id, media_type, data FROM contact_photos WHERE contact_id`+in,
				args, []any{&cid, &p.MediaType, &p.Data}, func() {
					if x := at[cid]; x != nil {
						x.Photo = &Photo{MediaType: p.MediaType, Data: slices.Clone(p.Data)}
					}
				})
		})
	}
	errs := make([]error, len(lists))
	if e == db.Postgres {
		var wg sync.WaitGroup
		for i, f := range lists {
			wg.Go(func() { errs[i] = f() })
		}
		wg.Wait()
	} else {
		for i, f := range lists {
			if errs[i] = f(); errs[i] != nil {
				break
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("contact: stream lists: %w", err)
	}
	for i := range batch {
		x := &batch[i]
		var err error
		if x.Tags, err = tags.names(ctx, x.Tags); err != nil {
			return fmt.Errorf("contact: stream lists: %w", err)
		}
		if err := decodeLists(x.lists, x); err != nil {
			return fmt.Errorf("contact: stream lists: %w", err)
		}
	}
	return nil
}

// tagSet holds every tag's name and place in the order lists show tags
// (by lower-case name, as the database sorts them), so a stream reads only
// the ids of each contact's tags: no join and no sort per contact.
type tagSet struct {
	q    queryer
	byID map[string]tagPlace
}

type tagPlace struct {
	name string
	rank int
}

// load reads every tag.
func (t *tagSet) load(ctx context.Context) error {
	t.byID = map[string]tagPlace{}
	var id, name string
	return eachRow(ctx, t.q, `SELECT id, name FROM tags ORDER BY name_lower`, nil, []any{&id, &name}, func() {
		t.byID[id] = tagPlace{name: name, rank: len(t.byID)}
	})
}

// names turns the tag ids in list into their names, in the order lists
// show them. A tag made since the tags were read makes it read them
// again; one deleted since is left out.
func (t *tagSet) names(ctx context.Context, list []string) ([]string, error) {
	if len(list) == 0 {
		return list, nil
	}
	for _, id := range list {
		if _, ok := t.byID[id]; !ok {
			if err := t.load(ctx); err != nil {
				return nil, err
			}
			break
		}
	}
	// A contact has a few tags: sort the ids in place by their rank.
	slices.SortFunc(list, func(a, b string) int { return t.byID[a].rank - t.byID[b].rank })
	n := 0
	for _, id := range list {
		if p, ok := t.byID[id]; ok {
			list[n] = p.name
			n++
		}
	}
	clear(list[n:])
	return list[:n], nil
}

// eachRow scans each row of a query into dest and calls fn.
func eachRow(ctx context.Context, q queryer, query string, args, dest []any, fn func()) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		fn()
	}
	return rows.Err()
}
