package export

// kind is how a column's values are read, written as JSON and bound again.
type kind int

const (
	kText     kind = iota // text, never NULL
	kNullText             // text or NULL (JSON null)
	kInt                  // integer
	kNullInt              // integer or NULL
	kBool                 // true/false (INTEGER 0/1 on SQLite)
	kTime                 // an instant, never NULL
	kNullTime             // an instant or NULL
	kDate                 // YYYY-MM-DD or NULL
	kJSON                 // a JSON document (TEXT on SQLite, jsonb on PostgreSQL)
	kBytes                // binary data, written as base64 (BLOB on SQLite, bytea on PostgreSQL)
)

// col is one column of a table as the dump writes it: its SQL name is its
// JSON key.
type col struct {
	name string
	kind kind
}

// child is a list held in each line of its parent: a contact's emails, a
// team's members.
type child struct {
	// field is the JSON key in the parent's line.
	field string
	// from is the FROM clause, aliased x (and t for tags); fk is the column
	// pointing at the parent.
	from, fk string
	// cols are selected from from; flat writes each child as the value of
	// its one column rather than as an object.
	cols []col
	flat bool
	// order sorts a parent's children; textOrder marks a text expression,
	// which PostgreSQL compares byte-wise (COLLATE "C") as SQLite does.
	order     string
	textOrder bool
}

// table is one file of the dump.
type table struct {
	// name is the SQL table and the file's name without ".jsonl".
	name string
	// key orders the rows and pages through them; it is unique.
	key string
	// small tables are read in one query ordered by key; key is text there.
	small bool
	cols  []col
	kids  []child
	// omitted are the table's columns left out on purpose (secrets, values
	// derived on load); a test checks that every column is either written
	// or named here.
	omitted []string
}

// file is the name of t's file in the zip.
func (t table) file() string { return t.name + ".jsonl" }

func c(name string, k kind) col { return col{name, k} }

// tables are the files of a dump, in the order Load reads them (each after
// the tables it refers to).
var tables = []table{
	{name: "settings", key: "key", small: true, cols: []col{c("key", kText), c("value", kText), c("updated_at", kTime)}},
	{name: "roles", key: "name", small: true, cols: []col{c("name", kText), c("label", kText), c("rank", kInt),
		c("description", kText), c("scope", kText), c("permissions", kJSON), c("builtin", kBool), c("created_at", kNullTime)}},
	{name: "users", key: "id", cols: []col{c("id", kText), c("email", kText), c("name", kText), c("role", kText),
		c("created_at", kTime), c("updated_at", kTime), c("created_by", kNullText), c("updated_by", kNullText),
		c("disabled_at", kNullTime), c("time_zone", kText)},
		// Secrets stay behind: loaded users get new passwords and set up
		// their second factor again.
		omitted: []string{"password_hash", "totp_secret", "totp_enabled_at", "totp_last_step", "webauthn_handle"}},
	{name: "teams", key: "id", cols: []col{c("id", kText), c("name", kText), c("created_at", kTime),
		c("updated_at", kTime), c("created_by", kNullText)},
		kids: []child{{field: "member_ids", from: "team_members x", fk: "x.team_id", cols: []col{c("user_id", kText)},
			flat: true, order: "x.user_id"}}},
	{name: "custom_fields", key: "id", cols: []col{c("id", kText), c("object", kText), c("key", kText), c("label", kText),
		c("type", kText), c("options", kJSON), c("currency", kText), c("required", kBool), c("filterable", kBool),
		c("position", kInt), c("created_at", kTime), c("updated_at", kTime)}},
	{name: "tags", key: "id", cols: []col{c("id", kText), c("name", kText), c("created_at", kTime)},
		omitted: []string{"name_lower"}},
	{name: "companies", key: "id", cols: []col{c("id", kText), c("name", kText), c("sort_name", kText),
		c("domain", kNullText), c("industry", kText), c("size", kText), c("street", kText), c("city", kText),
		c("region", kText), c("postal_code", kText), c("country", kText), c("owner_id", kNullText), c("custom", kJSON),
		c("created_at", kTime), c("updated_at", kTime), c("created_by", kNullText), c("updated_by", kNullText),
		c("deleted_at", kNullTime)},
		kids: []child{tagsOf("company_tags", "company_id")}},
	{name: "contacts", key: "id", cols: []col{c("id", kText), c("first_name", kText), c("last_name", kText),
		c("display_name", kText), c("sort_name", kText), c("email", kNullText), c("phone", kNullText),
		c("job_title", kText), c("company_id", kNullText), c("street", kText), c("city", kText), c("region", kText),
		c("postal_code", kText), c("country", kText), c("birthday", kDate), c("source", kText),
		c("lifecycle_stage", kText), c("owner_id", kNullText), c("custom", kJSON), c("created_at", kTime),
		c("updated_at", kTime), c("created_by", kNullText), c("updated_by", kNullText), c("deleted_at", kNullTime)},
		kids: []child{
			{field: "emails", from: "contact_emails x", fk: "x.contact_id",
				cols: []col{c("address", kText), c("label", kText)}, order: "x.position"},
			{field: "phones", from: "contact_phones x", fk: "x.contact_id",
				cols: []col{c("e164", kText), c("original", kText), c("label", kText)}, order: "x.position"},
			{field: "company_ids", from: "contact_companies x", fk: "x.contact_id",
				cols: []col{c("company_id", kText)}, flat: true, order: "x.position"},
			tagsOf("contact_tags", "contact_id"),
		},
		// The copy of the emails and phones is made again from them on load.
		omitted: []string{"lists"}},
	{name: "contact_photos", key: "contact_id", cols: []col{c("contact_id", kText), c("media_type", kText),
		c("data", kBytes), c("updated_at", kTime)}},
	// Pipelines and deals: a fresh database has the default "Sales"
	// pipeline, which loading the dump's version of it replaces.
	{name: "pipelines", key: "id", cols: []col{c("id", kText), c("name", kText), c("position", kInt),
		c("currency", kText), c("created_at", kTime), c("updated_at", kTime), c("created_by", kNullText),
		c("deleted_at", kNullTime)}},
	{name: "pipeline_stages", key: "id", cols: []col{c("id", kText), c("pipeline_id", kText), c("name", kText),
		c("position", kInt), c("probability", kInt), c("created_at", kTime), c("updated_at", kTime), c("deleted_at", kNullTime)}},
	{name: "deals", key: "id", cols: []col{c("id", kText), c("name", kText), c("pipeline_id", kText), c("stage_id", kText),
		c("amount", kInt), c("currency", kText), c("close_date", kDate), c("status", kText), c("lost_reason", kText),
		c("closed_at", kNullTime), c("stage_entered_at", kTime), c("rank", kText), c("owner_id", kNullText),
		c("company_id", kNullText), c("custom", kJSON), c("version", kInt), c("moved_version", kInt),
		c("moved_at", kNullTime), c("moved_by", kNullText), c("created_at", kTime), c("updated_at", kTime),
		c("created_by", kNullText), c("updated_by", kNullText), c("deleted_at", kNullTime)},
		kids: []child{{field: "contact_ids", from: "deal_contacts x", fk: "x.deal_id", cols: []col{c("contact_id", kText)},
			flat: true, order: "x.position"}}},
	{name: "deal_stage_history", key: "id", cols: []col{c("id", kText), c("deal_id", kText), c("pipeline_id", kText),
		c("stage_id", kText), c("entered_at", kTime), c("left_at", kNullTime), c("entered_by", kNullText)}},
	{name: "products", key: "id", cols: []col{c("id", kText), c("name", kText), c("sort_name", kText), c("sku", kNullText),
		c("price", kInt), c("currency", kText), c("active", kBool), c("description", kText), c("created_at", kTime),
		c("updated_at", kTime), c("created_by", kNullText), c("updated_by", kNullText), c("deleted_at", kNullTime)}},
	{name: "deal_products", key: "id", cols: []col{c("id", kText), c("deal_id", kText), c("product_id", kText),
		c("position", kInt), c("quantity", kInt), c("unit_price", kInt), c("created_at", kTime)}},
	{name: "orders", key: "id", cols: []col{c("id", kText), c("number", kInt), c("contact_id", kNullText),
		c("company_id", kNullText), c("deal_id", kNullText), c("owner_id", kNullText), c("order_date", kDate),
		c("status", kText), c("currency", kText), c("total", kInt), c("notes", kText), c("created_at", kTime),
		c("updated_at", kTime), c("created_by", kNullText), c("updated_by", kNullText), c("deleted_at", kNullTime)}},
	{name: "order_lines", key: "id", cols: []col{c("id", kText), c("order_id", kText), c("position", kInt),
		c("product_id", kNullText), c("description", kText), c("quantity", kInt), c("unit_price", kInt), c("line_total", kInt)}},
	{name: "activities", key: "id", cols: []col{c("id", kText), c("kind", kText), c("contact_id", kNullText),
		c("company_id", kNullText), c("subject", kText), c("body", kText), c("pinned", kBool), c("occurred_at", kTime),
		c("ends_at", kNullTime), c("outcome", kText), c("duration_seconds", kNullInt), c("direction", kText),
		c("attendees", kJSON), c("created_by", kNullText), c("created_at", kTime), c("updated_at", kTime),
		c("deleted_at", kNullTime)}},
	{name: "events", key: "id", cols: []col{c("id", kText), c("occurred_at", kTime), c("kind", kText),
		c("actor_id", kNullText), c("subject_type", kText), c("subject_id", kText), c("contact_id", kNullText),
		c("company_id", kNullText), c("deal_id", kNullText), c("data", kJSON)}},
	{name: "consent_changes", key: "id", cols: []col{c("id", kText), c("contact_id", kText), c("channel", kText),
		c("granted", kBool), c("source", kText), c("detail", kText), c("occurred_at", kTime), c("recorded_at", kTime),
		c("recorded_by", kNullText)}},
	{name: "saved_views", key: "id", cols: []col{c("id", kText), c("object", kText), c("name", kText),
		c("owner_id", kText), c("shared", kBool), c("definition", kJSON), c("created_at", kTime), c("updated_at", kTime)}},
	// Tasks come after everything they link to; an occurrence's previous
	// one has a smaller (older) id, so it loads first.
	{name: "tasks", key: "id", cols: []col{c("id", kText), c("title", kText), c("notes", kText), c("due_date", kDate),
		c("due_time", kNullText), c("time_zone", kText), c("due_at", kNullTime), c("priority", kText),
		c("assignee_id", kNullText), c("contact_id", kNullText), c("company_id", kNullText), c("deal_id", kNullText),
		c("recurrence", kText), c("recur_interval", kInt), c("recur_until", kDate), c("recur_anchor", kDate),
		c("previous_id", kNullText), c("remind_at", kNullTime), c("done_at", kNullTime), c("done_by", kNullText),
		c("version", kInt), c("created_at", kTime), c("updated_at", kTime), c("created_by", kNullText),
		c("updated_by", kNullText), c("deleted_at", kNullTime)}},
}

// tagsOf is the tag names of a record, in the order lists show them.
func tagsOf(link, fk string) child {
	return child{field: "tags", from: link + " x JOIN tags t ON t.id = x.tag_id", fk: "x." + fk,
		cols: []col{c("t.name", kText)}, flat: true, order: "t.name_lower", textOrder: true}
}

// notDumped are the tables a dump leaves out, with the reason; a test
// checks that every table of the schema is dumped or named here.
var notDumped = map[string]string{
	"sessions":           "sign-in sessions end with the database",
	"user_sessions":      "sign-in sessions end with the database",
	"throttles":          "sign-in throttles are short-lived",
	"recovery_codes":     "second-factor secrets stay behind",
	"passkeys":           "passkeys are bound to the old site's credentials",
	"invites":            "open invitations hold secrets; invite again",
	"invite_teams":       "part of invites",
	"mail_outbox":        "outgoing mail belongs to the old site",
	"audit_log":          "the audit log stays with the database it describes",
	"audit_keys":         "part of the audit log",
	"search_docs":        "rebuilt on load",
	"search_kinds":       "created by the migrations",
	"revisions":          "counters for in-memory caches; loading moves them itself (triggers)",
	"search_words":       "rebuilt on load (PostgreSQL's search index)",
	"bulk_operations":    "finished bulk actions are not data",
	"imports":            "import runs belong to the old site",
	"import_rows":        "import runs belong to the old site",
	"team_members":       "written inside teams.jsonl",
	"contact_emails":     "written inside contacts.jsonl",
	"contact_phones":     "written inside contacts.jsonl",
	"contact_companies":  "written inside contacts.jsonl",
	"contact_tags":       "written inside contacts.jsonl",
	"company_tags":       "written inside companies.jsonl",
	"deal_contacts":      "written inside deals.jsonl",
	"order_numbers":      "set on load from the highest order number",
	"goose_db_version":   "migrations",
	"river_job":          "the job queue",
	"river_leader":       "the job queue",
	"river_migration":    "the job queue",
	"notifications":      "in-app notifications belong to the old site",
	"task_digests":       "the record of digest emails the old site sent",
	"river_notification": "the job queue",
	"river_queue":        "the job queue",
	"river_client":       "the job queue",
	"river_client_queue": "the job queue",
	"api_keys":           "API keys are secrets of the old site; create new ones",
	"rate_limits":        "rate-limit buckets are short-lived",
	"idempotency_keys":   "idempotent answers are kept for a day",

	// Webhooks (internal/webhook).
	"webhook_subscriptions": "webhooks hold signing secrets and point from the old site; subscribe again",
	"webhook_deliveries":    "the delivery log belongs to the old site",
	"webhook_attempts":      "the delivery log belongs to the old site",
	"webhook_cursor":        "the dispatcher's position in the old site's events",
}
