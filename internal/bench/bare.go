package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
)

var bareTemplate = template.Must(template.New("bare").Parse(`<!doctype html><title>Contacts</title><table>
{{range .}}<tr><td><a href="/contacts/{{.ID}}">{{.Name}}</a></td><td>{{.Email}}</td><td>{{.Phone}}</td><td>{{.Company}}</td><td>{{.Stage}}</td><td>{{.Owner}}</td><td>{{.Tags}}</td><td>{{.Updated}}</td></tr>
{{end}}</table>`))

type bareRow struct {
	ID, Name, Email, Phone, Title, Company, Stage, Owner, Updated, Tags string
}

// BareHandler is the baseline of the HTTP benchmarks (GET /html, /json and
// /timeline for the contact deepID) over d, for Go benchmarks that compare
// the real handlers with it.
func BareHandler(d *db.DB, deepID string) http.Handler {
	return (&env{d: d, deepID: deepID}).bareHandler()
}

// bareHandler renders the list's rows (and the deep contact's timeline)
// read by plain SQL, with nothing else: no session, no service, no layout.
func (e *env) bareHandler() http.Handler {
	query := e.plainListSQL()
	rows := func(r *http.Request) ([]bareRow, error) {
		rs, err := e.d.R.QueryContext(r.Context(), query, "other")
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []bareRow
		for rs.Next() {
			var b bareRow
			var email, phone, company, owner, tags *string
			if err := rs.Scan(&b.ID, &b.Name, &email, &phone, &b.Title, &company, &b.Stage, &owner, &b.Updated, &tags); err != nil {
				return nil, err
			}
			for dst, src := range map[*string]*string{&b.Email: email, &b.Phone: phone, &b.Company: company, &b.Owner: owner, &b.Tags: tags} {
				if src != nil {
					*dst = *src
				}
			}
			out = append(out, b)
		}
		return out, rs.Err()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /html", func(w http.ResponseWriter, r *http.Request) {
		list, err := rows(r)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		bareTemplate.Execute(w, list)
	})
	mux.HandleFunc("GET /json", func(w http.ResponseWriter, r *http.Request) {
		list, err := e.bareJSONRows(r.Context())
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(struct {
			Data []bareJSONRow `json:"data"`
		}{list})
	})
	mux.HandleFunc("GET /timeline", func(w http.ResponseWriter, r *http.Request) {
		if _, err := e.plainRows(r.Context(), `SELECT * FROM contacts WHERE id = $1`, e.deepID); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if _, err := e.plainRows(r.Context(), `SELECT * FROM activities WHERE contact_id = $1 AND deleted_at IS NULL
			ORDER BY occurred_at DESC, id DESC LIMIT 51`, e.deepID); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Write([]byte("ok"))
	})
	return mux
}

// bareJSONRow is a row of GET /api/v1/contacts: the bare JSON page writes
// the same fields, so that both pages carry the same data.
type bareJSONRow struct {
	ID          string          `json:"id"`
	DisplayName string          `json:"display_name"`
	FirstName   string          `json:"first_name"`
	LastName    string          `json:"last_name"`
	Email       string          `json:"email,omitempty"`
	Phone       string          `json:"phone,omitempty"`
	JobTitle    string          `json:"job_title"`
	CompanyID   string          `json:"company_id,omitempty"`
	CompanyName string          `json:"company_name,omitempty"`
	Stage       string          `json:"lifecycle_stage"`
	Source      string          `json:"source"`
	City        string          `json:"city"`
	Country     string          `json:"country"`
	Birthday    string          `json:"birthday,omitempty"`
	OwnerID     string          `json:"owner_id,omitempty"`
	OwnerName   string          `json:"owner_name,omitempty"`
	Tags        json.RawMessage `json:"tags"`
	Custom      json.RawMessage `json:"custom"`
	CreatedAt   db.Time         `json:"created_at"`
	UpdatedAt   db.Time         `json:"updated_at"`
}

// plainJSONList reads what the API's list returns for the benchmark's
// list, tags and custom fields as JSON made by the database, in one query.
const plainJSONList = `SELECT c.id, c.display_name, c.first_name, c.last_name, c.email, c.phone, c.job_title,
	c.company_id, m.name, c.lifecycle_stage, c.source, c.city, c.country, c.birthday, c.owner_id, u.name,
	(SELECT json_group_array(t.name) FROM contact_tags x JOIN tags t ON t.id = x.tag_id WHERE x.contact_id = c.id),
	c.custom, c.created_at, c.updated_at
	FROM contacts c LEFT JOIN companies m ON m.id = c.company_id LEFT JOIN users u ON u.id = c.owner_id`

// plainJSONListSQL returns plainJSONList in the words of e's engine,
// followed by where (a WHERE clause and what follows it).
func (e *env) plainJSONListSQL(where string) string {
	q := plainJSONList + "\n\t" + where
	if e.d.Engine == db.Postgres {
		q = strings.Replace(q, "json_group_array(t.name)", "coalesce(json_agg(t.name), '[]')", 1)
		q = strings.Replace(q, "c.custom,", "c.custom::text,", 1)
	}
	return q
}

// bareJSONRows runs plainJSONList.
func (e *env) bareJSONRows(ctx context.Context) ([]bareJSONRow, error) {
	rs, err := e.d.R.QueryContext(ctx,
		e.plainJSONListSQL(`WHERE c.deleted_at IS NULL AND c.lifecycle_stage <> $1 ORDER BY c.sort_name, c.id LIMIT 51`), "other")
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []bareJSONRow
	for rs.Next() {
		var b bareJSONRow
		var email, phone, companyID, company, birthday, ownerID, owner sql.NullString
		var tags, custom string
		if err := rs.Scan(&b.ID, &b.DisplayName, &b.FirstName, &b.LastName, &email, &phone, &b.JobTitle, &companyID,
			&company, &b.Stage, &b.Source, &b.City, &b.Country, &birthday, &ownerID, &owner, &tags, &custom,
			&b.CreatedAt, &b.UpdatedAt); err != nil {
			return nil, err
		}
		b.Email, b.Phone, b.CompanyID, b.CompanyName = email.String, phone.String, companyID.String, company.String
		b.Birthday, b.OwnerID, b.OwnerName = birthday.String, ownerID.String, owner.String
		b.Tags, b.Custom = json.RawMessage(tags), json.RawMessage(custom)
		out = append(out, b)
	}
	return out, rs.Err()
}
