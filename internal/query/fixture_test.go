package query_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
)

// The tests build their own contacts table, shaped like the real one but
// named apart from it so that the migrations can change independently.
var schemaSQL = map[db.Engine]string{
	db.SQLite: `
CREATE TABLE qt_contacts (
    id TEXT PRIMARY KEY, first_name TEXT, last_name TEXT, sort_name TEXT NOT NULL,
    email TEXT, phone TEXT, job_title TEXT, company_id TEXT, lifecycle_stage TEXT,
    source TEXT, owner_id TEXT, birthday TEXT, custom TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, deleted_at TEXT);
CREATE INDEX qt_contacts_sort ON qt_contacts (sort_name, id);
CREATE TABLE qt_tags (id TEXT PRIMARY KEY, name TEXT NOT NULL, name_lower TEXT NOT NULL UNIQUE);
CREATE TABLE qt_contact_tags (
    contact_id TEXT NOT NULL REFERENCES qt_contacts (id), tag_id TEXT NOT NULL REFERENCES qt_tags (id),
    PRIMARY KEY (contact_id, tag_id))`,
	db.Postgres: `
CREATE TABLE qt_contacts (
    id uuid PRIMARY KEY, first_name text, last_name text, sort_name text NOT NULL,
    email text, phone text, job_title text, company_id uuid, lifecycle_stage text,
    source text, owner_id uuid, birthday date, custom jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL, deleted_at timestamptz);
CREATE INDEX qt_contacts_sort ON qt_contacts (sort_name, id);
CREATE TABLE qt_tags (id uuid PRIMARY KEY, name text NOT NULL, name_lower text NOT NULL UNIQUE);
CREATE TABLE qt_contact_tags (
    contact_id uuid NOT NULL REFERENCES qt_contacts (id), tag_id uuid NOT NULL REFERENCES qt_tags (id),
    PRIMARY KEY (contact_id, tag_id))`,
}

const tagsSubquery = `SELECT t.name_lower FROM qt_contact_tags ct JOIN qt_tags t ON t.id = ct.tag_id WHERE ct.contact_id = c.id`

// contactSchema is the catalogue the tests filter and sort with.
func contactSchema(t testing.TB) *query.Schema {
	t.Helper()
	s, err := query.NewSchema("c", query.Sort{Field: "sort_name"},
		query.Field{Key: "first_name", Label: "First name", Type: query.Text, Column: "c.first_name"},
		query.Field{Key: "last_name", Label: "Last name", Type: query.Text, Column: "c.last_name"},
		query.Field{Key: "sort_name", Label: "Name", Type: query.Text, Column: "c.sort_name", NotNull: true},
		query.Field{Key: "email", Label: "Email", Type: query.Text, Column: "c.email"},
		query.Field{Key: "lifecycle_stage", Label: "Stage", Type: query.Select, Column: "c.lifecycle_stage",
			Options: []string{"lead", "customer", "churned"}},
		query.Field{Key: "birthday", Label: "Birthday", Type: query.Date, Column: "c.birthday"},
		query.Field{Key: "created_at", Label: "Created", Type: query.Timestamp, Column: "c.created_at", NotNull: true},
		query.Field{Key: "tag", Label: "Tag", Type: query.Tag, Column: tagsSubquery},
		query.CustomField("plan", "Plan", query.Select, "free", "pro", "enterprise"),
		query.CustomField("seats", "Seats", query.Number),
		query.CustomField("renewal", "Renewal", query.Date),
		query.CustomField("vip", "VIP", query.Bool),
		query.CustomField("colors", "Colours", query.MultiSelect, "red", "green", "blue"),
		query.CustomField("nickname", "Nickname", query.Text),
		query.CustomField("last_seen", "Last seen", query.Timestamp),
	)
	if err != nil {
		t.Fatalf("NewSchema: %v", err)
	}
	return s
}

// contact is one fixture row; empty strings are stored as NULL.
type contact struct {
	ID, First, Last, Sort, Email, Stage, Birthday string
	Custom                                        map[string]any
	Created                                       time.Time
	Deleted                                       bool
	Tags                                          []string
}

func createTables(t testing.TB, d *db.DB) {
	t.Helper()
	for _, stmt := range strings.Split(schemaSQL[d.Engine], ";") {
		if _, err := d.W.Exec(stmt); err != nil {
			t.Fatalf("create tables: %v\n%s", err, stmt)
		}
	}
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// insert writes the contacts and their tags in one transaction and fills
// in missing ids.
func insert(t testing.TB, d *db.DB, cs []contact) {
	t.Helper()
	tagIDs := map[string]string{}
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		for i := range cs {
			c := &cs[i]
			if c.ID == "" {
				c.ID = id.New()
			}
			custom := []byte("{}")
			if c.Custom != nil {
				custom, _ = json.Marshal(c.Custom)
			}
			var deleted any
			if c.Deleted {
				deleted = db.T(c.Created)
			}
			sortName := c.Sort
			if sortName == "" {
				sortName = strings.ToLower(strings.TrimSpace(c.Last + " " + c.First))
			}
			_, err := tx.Exec(`INSERT INTO qt_contacts (id, first_name, last_name, sort_name, email,
				lifecycle_stage, birthday, custom, created_at, updated_at, deleted_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)`,
				c.ID, null(c.First), null(c.Last), sortName, null(c.Email), null(c.Stage),
				null(c.Birthday), string(custom), db.T(c.Created), deleted)
			if err != nil {
				return err
			}
			for _, name := range c.Tags {
				lower := strings.ToLower(name)
				tid, ok := tagIDs[lower]
				if !ok {
					tid = id.New()
					tagIDs[lower] = tid
					if _, err := tx.Exec(`INSERT INTO qt_tags (id, name, name_lower) VALUES ($1, $2, $3)`,
						tid, name, lower); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(`INSERT INTO qt_contact_tags (contact_id, tag_id) VALUES ($1, $2)`,
					c.ID, tid); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("insert fixtures: %v", err)
	}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
