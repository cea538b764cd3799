package web

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/phone"
)

// What the system recorded, in words: "Grace changed Last name from "" to
// "Hopper"", "Owner changed from A to B", "merged 2 contacts into this one".

// mergedRecord is a record folded into this one by a merge, kept whole.
type mergedRecord struct {
	Name   string
	Fields []shownValue
}

// describer turns recorded events into sentences for one record page.
type describer struct {
	kind      string // "contact" or "company": the page's record
	id        string
	labels    map[string]string // field name → label, custom fields included
	defs      map[string]customfield.Field
	names     map[string]string // contact id → name, on a company page
	nameOf    func(contactID string) string
	returnURL string
}

func newDescriber(kind, id string, defs []customfield.Field, nameOf func(string) string) *describer {
	d := &describer{kind: kind, id: id, labels: map[string]string{}, defs: map[string]customfield.Field{},
		names: map[string]string{}, nameOf: nameOf, returnURL: "/" + kindPlural(kind) + "/" + id}
	for k, l := range builtinLabels {
		d.labels[k] = l
	}
	for _, f := range defs {
		d.labels[customfield.FieldName(f.Key)] = f.Label
		d.defs[customfield.FieldName(f.Key)] = f
	}
	return d
}

func kindPlural(kind string) string {
	if kind == "company" {
		return "companies"
	}
	return kind + "s"
}

var builtinLabels = map[string]string{
	"first_name": "First name", "last_name": "Last name", "emails": "Emails", "phones": "Phones",
	"job_title": "Job title", "companies": "Companies", "birthday": "Birthday", "source": "Source",
	"lifecycle_stage": "Lifecycle stage", "address.street": "Street", "address.city": "City",
	"address.region": "Region", "address.postal_code": "Postal code", "address.country": "Country",
	"name": "Name", "domain": "Domain", "industry": "Industry", "size": "Size", "owner_id": "Owner",
	"display_name": "Name", "job": "Job title", "tags": "Tags", "address": "Address",
}

// entries turns a page of timeline entries into what the page shows.
func (d *describer) entries(list []activity.Entry) []timelineEntry {
	out := make([]timelineEntry, 0, len(list))
	for _, e := range list {
		te := timelineEntry{ID: e.ID, Kind: e.Kind(), At: e.At, Actor: e.ActorName, Activity: e.Activity, Return: d.returnURL}
		if te.Actor == "" {
			te.Actor = "Rapport"
		}
		if d.kind == "company" && e.ContactID != "" {
			te.About, te.AboutURL = d.contactName(e.ContactID), "/contacts/"+e.ContactID
		}
		if e.Activity == nil {
			d.describe(&te, e)
		}
		out = append(out, te)
	}
	return out
}

func (d *describer) contactName(id string) string {
	if n, ok := d.names[id]; ok {
		return n
	}
	n := "a deleted contact"
	if d.nameOf != nil {
		if got := d.nameOf(id); got != "" {
			n = got
		}
	}
	d.names[id] = n
	return n
}

// describe writes a system event in words.
func (d *describer) describe(te *timelineEntry, e activity.Entry) {
	object, verb, _ := strings.Cut(e.EventKind, ".")
	var data map[string]json.RawMessage
	_ = json.Unmarshal(e.EventData, &data)
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(data[k], &s)
		return s
	}
	this := "this " + object
	if object != d.kind || (e.SubjectID != "" && e.SubjectID != d.id) {
		this = "the " + object
		if n := str("name"); n != "" {
			this = object + " " + n
		}
	}
	if f, ok := sentences[e.EventKind]; ok {
		te.Sentence = f(eventText{Actor: te.Actor, This: this, Data: data})
		return
	}
	switch verb {
	case "created":
		te.Sentence = te.Actor + " created " + this
	case "deleted":
		te.Sentence = te.Actor + " deleted " + this
	case "tagged":
		te.Sentence = fmt.Sprintf("%s tagged %s %s", te.Actor, this, str("tag"))
	case "untagged":
		te.Sentence = fmt.Sprintf("%s removed the tag %s", te.Actor, str("tag"))
	case "owner_changed":
		var before, after struct{ Name string }
		_ = json.Unmarshal(data["before"], &before)
		_ = json.Unmarshal(data["after"], &after)
		te.Sentence = fmt.Sprintf("Owner changed from %s to %s by %s", orNobody(before.Name), orNobody(after.Name), te.Actor)
	case "updated":
		d.changes(te, data["changes"])
	case "merged":
		var merged []map[string]any
		_ = json.Unmarshal(data["merged"], &merged)
		te.Sentence = fmt.Sprintf("%s merged %s into %s", te.Actor, count(len(merged), object, kindPlural(object)), "this one")
		for _, m := range merged {
			te.Merged = append(te.Merged, d.mergedRecord(m))
		}
	case "merged_into":
		te.Sentence = fmt.Sprintf("%s merged %s into %s", te.Actor, this, str("name"))
	case "consent_changed":
		var granted bool
		_ = json.Unmarshal(data["granted"], &granted)
		what := "withdrew consent to"
		if granted {
			what = "recorded consent to"
		}
		te.Sentence = fmt.Sprintf("%s %s %s (%s)", te.Actor, what, strings.ToLower(consent.ChannelLabel(str("channel"))),
			strings.ToLower(consent.SourceLabel(str("source"))))
	default:
		te.Sentence = fmt.Sprintf("%s: %s %s", te.Actor, object, strings.ReplaceAll(verb, "_", " "))
	}
}

func orNobody(name string) string {
	if name == "" {
		return "nobody"
	}
	return name
}

// changes writes an update: one change in a sentence, several as lines.
func (d *describer) changes(te *timelineEntry, raw json.RawMessage) {
	var changes []struct {
		Field  string `json:"field"`
		Before any    `json:"before"`
		After  any    `json:"after"`
	}
	_ = json.Unmarshal(raw, &changes)
	for _, c := range changes {
		before, after := d.value(c.Field, c.Before), d.value(c.Field, c.After)
		if before == after {
			// The same value stored in another form (a number read back
			// from JSON): nothing a person would call a change.
			continue
		}
		te.Lines = append(te.Lines, fmt.Sprintf("%s from %q to %q", d.label(c.Field), before, after))
	}
	switch len(te.Lines) {
	case 0:
		te.Sentence = te.Actor + " saved without changes"
	case 1:
		te.Sentence, te.Lines = te.Actor+" changed "+te.Lines[0], nil
	default:
		te.Sentence = fmt.Sprintf("%s changed %d fields", te.Actor, len(te.Lines))
	}
}

func (d *describer) label(field string) string {
	if l, ok := d.labels[field]; ok {
		return l
	}
	if k, ok := strings.CutPrefix(field, "custom."); ok {
		return k
	}
	return strings.ReplaceAll(field, "_", " ")
}

// value writes a before or after value of field.
func (d *describer) value(field string, x any) string {
	if x == nil {
		return ""
	}
	if f, ok := d.defs[field]; ok {
		if l, isList := x.([]any); isList {
			return listText(l)
		}
		return displayValue(f, x)
	}
	switch field {
	case "lifecycle_stage":
		return contact.StageLabel(plainValue(x))
	case "phones":
		if l, ok := x.([]any); ok {
			parts := make([]string, len(l))
			for i, p := range l {
				parts[i] = phone.International(plainValue(p))
			}
			return strings.Join(parts, ", ")
		}
	}
	return plainValue(x)
}

// plainValue writes any JSON value: lists joined, objects by the part a
// person knows them by (an email's address, a phone, a name).
func plainValue(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case string:
		return v
	case bool:
		if v {
			return "yes"
		}
		return "no"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case []any, []string:
		return listText(v)
	case map[string]any:
		for _, k := range []string{"address", "e164", "name", "display_name"} {
			if s, ok := v[k].(string); ok && s != "" {
				if k == "e164" {
					return phone.International(s)
				}
				return s
			}
		}
		var parts []string
		for _, k := range sortedKeys(v) {
			if s := plainValue(v[k]); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(x)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergedKeys are the parts of a merged record worth keeping in view, in
// order; ids and timestamps are left out.
var mergedKeys = []string{"first_name", "last_name", "name", "emails", "phones", "job_title", "companies",
	"domain", "industry", "size", "address", "birthday", "source", "lifecycle_stage", "owner_name", "tags"}

func (d *describer) mergedRecord(m map[string]any) mergedRecord {
	rec := mergedRecord{Name: plainValue(m["display_name"])}
	if rec.Name == "" {
		rec.Name = plainValue(m["name"])
	}
	for _, k := range mergedKeys {
		label := d.label(k)
		if k == "owner_name" {
			label = "Owner"
		}
		if s := d.value(k, m[k]); s != "" {
			rec.Fields = append(rec.Fields, shownValue{Label: label, Text: s})
		}
	}
	if custom, ok := m["custom"].(map[string]any); ok {
		for _, k := range sortedKeys(custom) {
			name := customfield.FieldName(k)
			if s := d.value(name, custom[k]); s != "" {
				rec.Fields = append(rec.Fields, shownValue{Label: d.label(name), Text: s})
			}
		}
	}
	return rec
}
