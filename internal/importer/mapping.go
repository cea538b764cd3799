package importer

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/csvfile"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/record"
)

// Field is a target a column can be mapped to.
type Field struct {
	Key   string
	Label string
	// Many fields (email, phone, tags) take several columns.
	Many bool
}

// contactFields are the fields a contact column maps to, as the wizard
// lists them; custom fields follow as "cf.<key>".
var contactFields = []Field{
	{"name", "Full name", false}, {"first_name", "First name", false}, {"last_name", "Last name", false},
	{"email", "Email", true}, {"phone", "Phone", true}, {"job_title", "Job title", false},
	{"company", "Company (name)", false}, {"street", "Street", false}, {"city", "City", false},
	{"region", "Region / state", false}, {"postal_code", "Postal code", false}, {"country", "Country", false},
	{"birthday", "Birthday", false}, {"source", "Source", false}, {"lifecycle_stage", "Lifecycle stage", false},
	{"owner", "Owner (user's email)", false}, {"tags", "Tags", true},
	{"notes", "Note (added to the timeline)", true},
}

var companyFields = []Field{
	{"name", "Name", false}, {"domain", "Domain / website", false}, {"industry", "Industry", false},
	{"size", "Size", false}, {"street", "Street", false}, {"city", "City", false},
	{"region", "Region / state", false}, {"postal_code", "Postal code", false}, {"country", "Country", false},
	{"owner", "Owner (user's email)", false}, {"tags", "Tags", true},
}

// Fields returns what columns of an object's file can be mapped to, custom
// fields included.
func Fields(object string, defs []customfield.Field) []Field {
	base := contactFields
	if object == Companies {
		base = companyFields
	}
	out := slices.Clone(base)
	for _, d := range defs {
		out = append(out, Field{Key: "cf." + d.Key, Label: d.Label + " (custom)", Many: d.Type == customfield.MultiSelect})
	}
	return out
}

// baseKey strips a numbered suffix: "email_2" and "email" are both email.
func baseKey(k string) string {
	for _, many := range []string{"email", "phone", "tags", "notes"} {
		if k == many || strings.HasPrefix(k, many+"_") {
			return many
		}
	}
	return k
}

// checkMapping says what is wrong with mapping for header: unknown keys,
// a single-valued field mapped twice, or nothing that names a record.
func checkMapping(object string, header, mapping []string, defs []customfield.Field) error {
	var v apperr.Validation
	if len(mapping) != len(header) {
		v.Add("mapping", fmt.Sprintf("Map each of the %d columns (or leave it out).", len(header)))
		return v.Err()
	}
	fields := Fields(object, defs)
	used := map[string]int{}
	for i, k := range mapping {
		if k == "" || k == NewField {
			continue
		}
		b := baseKey(k)
		j := slices.IndexFunc(fields, func(f Field) bool { return f.Key == b })
		if j < 0 {
			v.Add(fmt.Sprintf("mapping[%d]", i), fmt.Sprintf("There is no field %q to put column %q in.", k, header[i]))
			continue
		}
		if prev, ok := used[b]; ok && !fields[j].Many {
			v.Add(fmt.Sprintf("mapping[%d]", i), fmt.Sprintf("Columns %q and %q both go to %s; choose one.", header[prev], header[i], fields[j].Label))
		}
		used[b] = i
	}
	_, name := used["name"]
	_, first := used["first_name"]
	_, last := used["last_name"]
	_, email := used["email"]
	switch {
	case object == Contacts && !name && !first && !last && !email:
		v.Add("mapping", "Map at least one column to a name or an email, so each contact can be told apart.")
	case object == Companies && !name:
		v.Add("mapping", "Map a column to the company's name.")
	}
	return v.Err()
}

// rowValues gathers a row's values by field key, several for the fields
// that take many.
type rowValues map[string][]string

func collect(mapping, fields []string) rowValues {
	out := rowValues{}
	for i, k := range mapping {
		if k == "" || i >= len(fields) {
			continue
		}
		val := strings.TrimSpace(fields[i])
		if val == "" {
			continue
		}
		b := baseKey(k)
		out[b] = append(out[b], val)
	}
	return out
}

func (r rowValues) one(k string) *string {
	if vs := r[k]; len(vs) > 0 {
		s := vs[0]
		return &s
	}
	return nil
}

func (r rowValues) address() *record.Address {
	a := record.Address{}
	set := false
	for k, dst := range map[string]*string{"street": &a.Street, "city": &a.City, "region": &a.Region,
		"postal_code": &a.PostalCode, "country": &a.Country} {
		if p := r.one(k); p != nil {
			*dst, set = *p, true
		}
	}
	if !set {
		return nil
	}
	return &a
}

func (r rowValues) tags() *[]string {
	var tags []string
	for _, v := range r["tags"] {
		tags = append(tags, csvfile.SplitTags(v)...)
	}
	if tags == nil {
		return nil
	}
	return &tags
}

func (r rowValues) custom() map[string]any {
	var out map[string]any
	for k, vs := range r {
		key, ok := strings.CutPrefix(k, "cf.")
		if !ok {
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		if len(vs) == 1 {
			out[key] = vs[0]
		} else {
			out[key] = vs
		}
	}
	return out
}

// lookups are what mapping a row needs from the database, read once per
// import.
type lookups struct {
	// owners maps a user's email and name (lower case) to their id, for
	// exports whose owner column holds a name.
	owners map[string]string
	// region is the default region for phone numbers without a country code.
	region string
	// tags are the tags there are (tagKey), for the import's pipeline:
	// creating a tag bumps a counter row both batches of a pair would wait
	// on.
	tags map[string]bool
}

// contactInput builds the contact a row describes. Problems found here
// (an unknown owner, a date that is no date) are reported like the
// service's own.
func contactInput(r rowValues, lk lookups, v *apperr.Validation) (contact.Input, string) {
	in := contact.Input{FirstName: r.one("first_name"), LastName: r.one("last_name"), JobTitle: r.one("job_title"),
		Source: r.one("source"), Address: r.address(), Tags: r.tags(), Custom: r.custom()}
	if full := r.one("name"); full != nil && in.FirstName == nil && in.LastName == nil {
		first, last := splitName(*full)
		in.FirstName, in.LastName = &first, &last
	}
	if emails := r["email"]; len(emails) > 0 {
		var list []contact.Email
		for _, e := range emails {
			for _, part := range strings.FieldsFunc(e, func(c rune) bool { return c == ';' || c == ',' || c == ' ' }) {
				list = append(list, contact.Email{Address: part})
			}
		}
		in.Emails = &list
	}
	if phones := r["phone"]; len(phones) > 0 {
		var list []contact.PhoneInput
		for _, p := range phones {
			list = append(list, contact.PhoneInput{Number: p})
		}
		in.Phones = &list
	}
	if b := r.one("birthday"); b != nil {
		if d, ok := parseDate(*b); ok {
			if !strings.HasPrefix(d, "--") { // a birthday without a year has no place in a date field
				in.Birthday = &d
			}
		} else {
			v.Add("birthday", fmt.Sprintf("%q is not a date; use a form like 1985-04-12.", *b))
		}
	}
	if st := r.one("lifecycle_stage"); st != nil {
		key := stageKey(*st)
		in.Stage = &key
	}
	if o := r.one("owner"); o != nil {
		uid, ok := lk.owners[strings.ToLower(*o)]
		if !ok {
			v.Add("owner", fmt.Sprintf("No user has the email or name %q.", *o))
		} else {
			in.OwnerID = &uid
		}
	}
	company := ""
	if c := r.one("company"); c != nil {
		company = *c
	}
	return in, company
}

// companyInput builds the company a row describes.
func companyInput(r rowValues, lk lookups, v *apperr.Validation) company.Input {
	in := company.Input{Name: r.one("name"), Domain: r.one("domain"), Industry: r.one("industry"), Size: sizeBand(r.one("size")),
		Address: r.address(), Tags: r.tags(), Custom: r.custom()}
	if o := r.one("owner"); o != nil {
		uid, ok := lk.owners[strings.ToLower(*o)]
		if !ok {
			v.Add("owner", fmt.Sprintf("No user has the email or name %q.", *o))
		} else {
			in.OwnerID = &uid
		}
	}
	return in
}

// splitName reads "Ada Lovelace" as first "Ada", last "Lovelace" and
// "Lovelace, Ada" the other way round.
func splitName(full string) (string, string) {
	full = strings.TrimSpace(full)
	if last, first, ok := strings.Cut(full, ","); ok {
		return strings.TrimSpace(first), strings.TrimSpace(last)
	}
	i := strings.LastIndexByte(full, ' ')
	if i < 0 {
		return full, ""
	}
	return strings.TrimSpace(full[:i]), strings.TrimSpace(full[i+1:])
}

// stageKey accepts a lifecycle stage by key or by label, in any case
// ("Qualified lead", "qualified_lead"); anything else is passed on for the
// service to refuse with its own message.
func stageKey(s string) string {
	norm := strings.ToLower(strings.TrimSpace(s))
	for _, st := range contact.Stages {
		if norm == st.Key || norm == strings.ToLower(st.Label) || strings.ReplaceAll(norm, " ", "_") == st.Key {
			return st.Key
		}
	}
	return s
}

// sizeBand reads a head count ("50", "1,200") as the band it falls in;
// anything else is passed on for the service to check.
func sizeBand(s *string) *string {
	if s == nil {
		return nil
	}
	n, err := strconv.Atoi(strings.NewReplacer(",", "", ".", "", " ", "", "+", "").Replace(*s))
	if err != nil || n < 1 {
		return s
	}
	for _, band := range company.Sizes {
		lo, hi, _ := strings.Cut(strings.TrimSuffix(band, "+"), "-")
		l, _ := strconv.Atoi(lo)
		h, err := strconv.Atoi(hi)
		if n >= l && (err != nil || n <= h) {
			return &band
		}
	}
	return s
}

// notes is a row's note text: the notes columns, one paragraph each.
func (r rowValues) notes() string { return strings.Join(r["notes"], "\n\n") }
