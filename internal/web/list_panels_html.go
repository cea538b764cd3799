package web

import (
	"html/template"
	"strconv"
	"strings"
)

// The bulk form, the export panel and the pager are drawn on every list
// page; like the rows (list_rows.go) they are written in Go, byte for byte
// as the templates list_panels_html_test.go keeps drew them.

// BulkFormHTML is the form that tags, re-owns or deletes a selection.
func (v *listView) BulkFormHTML() template.HTML {
	var b strings.Builder
	b.Grow(3000 + len(v.Rows)*80 + len(v.Owners)*60)
	matching := ""
	if v.FilterCount != 0 {
		matching = " matching the filter"
	}
	n := strconv.Itoa(len(v.Rows))
	b.WriteString("\n<form id=\"list-bulk\" class=\"list-bulk\" method=\"post\" action=\"")
	urlAttr(&b, v.Kind.Path, true)
	b.WriteString("/bulk\" data-bulk-form>\n  <input type=\"hidden\" name=\"filter\" value=\"")
	htmlEsc(&b, v.HiddenValue("filter"))
	b.WriteString("\">\n  <input type=\"hidden\" name=\"back\" value=\"")
	htmlEsc(&b, v.URL)
	b.WriteString("\">\n  ")
	b.WriteString(string(v.PageIDsHTML()))
	b.WriteString("\n  <fieldset class=\"lb-scope\">\n    <legend>Change</legend>\n" +
		"    <label><input type=\"radio\" name=\"scope\" value=\"selected\" checked data-scope-selected> the ")
	htmlEsc(&b, v.Kind.Many)
	b.WriteString(" I select below <span data-selected-count></span></label>\n" +
		"    <label><input type=\"radio\" name=\"scope\" value=\"page\" data-scope-page> all ")
	b.WriteString(n)
	b.WriteString(" on this page</label>\n" +
		"    <label><input type=\"radio\" name=\"scope\" value=\"all\" data-scope-all> <span data-all-label>all ")
	htmlEsc(&b, v.Kind.Many)
	b.WriteString(matching)
	b.WriteString("</span></label>\n  </fieldset>\n  <div class=\"lb-fields\">\n" +
		"    <span class=\"lb-field\"><label for=\"bulk-action\">Action</label>\n" +
		"    <select id=\"bulk-action\" name=\"action\" data-bulk-action>\n" +
		"      <option value=\"tag\">Add a tag</option>\n" +
		"      <option value=\"untag\">Remove a tag</option>\n" +
		"      <option value=\"owner\">Change the owner</option>\n" +
		"      <option value=\"delete\">Delete</option>\n" +
		"    </select></span>\n" +
		"    <span class=\"lb-field\" data-bulk-for=\"tag untag\"><label for=\"bulk-tag\">Tag</label>\n" +
		"    <input id=\"bulk-tag\" name=\"bulk_tag\" list=\"list-tags\" maxlength=\"50\"></span>\n" +
		"    <span class=\"lb-field\" data-bulk-for=\"owner\"><label for=\"bulk-owner\">New owner</label>\n" +
		"    <select id=\"bulk-owner\" name=\"bulk_owner\">\n" +
		"      <option value=\"\">No owner</option>\n      ")
	v.Owners.write(&b)
	b.WriteString("\n    </select></span>\n" +
		"    <button type=\"submit\" class=\"button list-button primary-compact\">Apply</button>\n  </div>\n" +
		"  <p class=\"lb-all\" data-select-all-banner hidden>All ")
	b.WriteString(n)
	b.WriteString(" on this page are selected.\n    <button type=\"button\" class=\"linkish\" data-choose-all>Select all ")
	htmlEsc(&b, v.Kind.Many)
	b.WriteString(matching)
	b.WriteString("</button></p>\n</form>\n")
	return template.HTML(b.String())
}

// ExportHTML is the export panel's links, for a user who may export.
func (v *listView) ExportHTML() template.HTML {
	if !v.CanExport() {
		return ""
	}
	var b strings.Builder
	b.Grow(1500)
	link := func(ext string, excel bool, label string) {
		b.WriteString(`<li><a href="`)
		urlAttr(&b, v.ExportURL(ext, excel), true)
		b.WriteString(`" download>`)
		b.WriteString(label)
		b.WriteString("</a></li>")
	}
	b.WriteString("\n<details class=\"list-panel list-export\">\n  <summary>Export</summary>\n" +
		"  <div class=\"list-panel-body\">\n    <p class=\"muted small\">Every ")
	htmlEsc(&b, v.Kind.One)
	b.WriteString(" this list matches, with its columns and order.</p>\n    <ul class=\"lv-list\">\n      ")
	link("csv", false, "CSV")
	b.WriteString("\n      ")
	link("csv", true, "CSV for Excel")
	b.WriteString("\n      ")
	if v.Kind.Object == "contact" {
		link("vcf", false, "vCard (phones, address books)")
	}
	b.WriteString("\n    </ul>\n  </div>\n</details>\n")
	return template.HTML(b.String())
}

// PagerHTML is the links to the first, previous and next pages.
func (v *listView) PagerHTML() template.HTML {
	var b strings.Builder
	b.WriteString("\n")
	if v.PrevURL != "" || v.NextURL != "" || v.FirstURL != "" {
		link := func(u, rel, label string) {
			if u == "" {
				return
			}
			b.WriteString("<a ")
			if rel != "" {
				b.WriteString(`rel="` + rel + `" `)
			}
			b.WriteString(`href="`)
			urlAttr(&b, u, true)
			b.WriteString(`" hx-get="`)
			htmlEsc(&b, u)
			b.WriteString(`" hx-push-url="true">`)
			b.WriteString(label)
			b.WriteString("</a>")
		}
		b.WriteString("\n<nav class=\"list-pager\" aria-label=\"Pages\">\n  ")
		link(v.FirstURL, "", "First page")
		b.WriteString("\n  ")
		link(v.PrevURL, "prev", "← Previous")
		b.WriteString("\n  ")
		link(v.NextURL, "next", "Next →")
		b.WriteString("\n</nav>\n")
	}
	b.WriteString("\n")
	return template.HTML(b.String())
}
