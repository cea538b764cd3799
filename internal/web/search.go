package web

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/search"
)

// searchRoutes registers the pages of: Global search and the duplicates and merge pages.
func (s *Server) searchRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /search", s.requireUser(s.search))
	page("GET /contacts/duplicates", s.requireUser(s.contactDuplicates))
	page("GET /contacts/merge", s.requireUser(s.contactMergeForm))
	page("POST /contacts/merge", s.requireUser(s.contactMerge))
	page("GET /companies/duplicates", s.requireUser(s.companyDuplicates))
	page("GET /companies/merge", s.requireUser(s.companyMergeForm))
	page("POST /companies/merge", s.requireUser(s.companyMerge))
}

// Search limits: hits per kind in the palette and on the search page, and
// the longest query read (search itself uses at most 12 words).
const (
	paletteHits    = 5
	searchPageHits = 20
	maxSearchRunes = 200
)

// searchResults is what the "search-results" template shows, in the
// palette (Palette: a listbox driven by search.js) or on the search page.
type searchResults struct {
	Query   string
	Groups  []searchGroup
	Count   int
	Palette bool
}

type searchGroup struct {
	Kind  string
	Label string
	Hits  []searchHit
}

type searchHit struct {
	// Index numbers the hits of a palette answer for their element ids.
	Index    int
	Kind     string
	URL      string
	Title    template.HTML // escaped, with the matched word starts in <mark>
	Subtitle string
}

type searchView struct {
	page
	searchResults
}

// search answers the palette (an htmx request aimed at #palette-results
// gets only the results) and the plain search page, which works without
// JavaScript.
func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if utf8.RuneCountInString(q) > maxSearchRunes {
		q = string([]rune(q)[:maxSearchRunes])
	}
	palette := r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "palette-results"
	limit := searchPageHits
	if palette {
		limit = paletteHits
	}
	res, err := s.runSearch(r.Context(), q, limit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res.Palette = palette
	if palette {
		s.searchFragment(w, r, res)
		return
	}
	title := "Search"
	if q != "" {
		title = "Search: " + q
	}
	s.render(w, r, http.StatusOK, "search", searchView{s.page(r, title), res})
}

// runSearch queries the kinds the actor may read.
func (s *Server) runSearch(ctx context.Context, q string, limit int) (searchResults, error) {
	res := searchResults{Query: q}
	var kinds []string
	if _, err := access.Check(ctx, access.Contacts, access.Read); err == nil {
		kinds = append(kinds, search.KindContact)
	}
	if _, err := access.Check(ctx, access.Companies, access.Read); err == nil {
		kinds = append(kinds, search.KindCompany)
	}
	if q == "" || len(kinds) == 0 { // no kinds would mean every kind to search.Query
		return res, nil
	}
	actor, _ := access.ActorFrom(ctx)
	groups, err := search.Query(ctx, s.db.R, s.db.Engine, q, search.Options{Kinds: kinds, Limit: limit, Reader: &actor})
	if err != nil {
		return res, err
	}
	tokens := highlightTokens(q)
	for _, g := range groups {
		sg := searchGroup{Kind: g.Kind, Label: searchKindLabel(g.Kind)}
		for _, h := range g.Hits {
			sg.Hits = append(sg.Hits, searchHit{Index: res.Count, Kind: h.Kind, URL: searchHitURL(h),
				Title: highlight(h.Title, tokens), Subtitle: h.Subtitle})
			res.Count++
		}
		res.Groups = append(res.Groups, sg)
	}
	return res, nil
}

func searchKindLabel(kind string) string {
	switch kind {
	case search.KindContact:
		return "Contacts"
	case search.KindCompany:
		return "Companies"
	}
	return kind
}

func searchHitURL(h search.Hit) string {
	if h.Kind == search.KindCompany {
		return "/companies/" + h.ID
	}
	return "/contacts/" + h.ID
}

// searchFragment writes only the results, for the palette.
func (s *Server) searchFragment(w http.ResponseWriter, r *http.Request, res searchResults) {
	var buf bytes.Buffer
	if err := s.r.pages["search"].ExecuteTemplate(&buf, "search-results", res); err != nil {
		s.log(r).Error("render", slog.String("fragment", "search-results"), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// highlightTokens are the folded words of a query, as search matches them.
func highlightTokens(q string) []string {
	return strings.FieldsFunc(searchFold(q), func(r rune) bool { return !isSearchWordRune(r) })
}

func isSearchWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// searchFold lowers s and drops accents, close to what the search index
// does, so "zoe" marks the start of "Zoë".
func searchFold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(s) {
		if r >= 0x300 && r <= 0x36f {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return norm.NFC.String(b.String())
}

// highlight escapes title and wraps the start of every word that a query
// token is a prefix of in <mark>. Escaping comes first: the title is user
// text and only the <mark> tags added here are markup.
func highlight(title string, tokens []string) template.HTML {
	var b strings.Builder
	rest := title
	for rest != "" {
		i := strings.IndexFunc(rest, isSearchWordRune)
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(rest))
			break
		}
		b.WriteString(template.HTMLEscapeString(rest[:i]))
		rest = rest[i:]
		j := strings.IndexFunc(rest, func(r rune) bool { return !isSearchWordRune(r) })
		if j < 0 {
			j = len(rest)
		}
		word := rest[:j]
		rest = rest[j:]
		n := matchedPrefix(word, tokens)
		if n == 0 {
			b.WriteString(template.HTMLEscapeString(word))
			continue
		}
		b.WriteString("<mark>" + template.HTMLEscapeString(word[:n]) + "</mark>" + template.HTMLEscapeString(word[n:]))
	}
	return template.HTML(b.String())
}

// matchedPrefix returns how many bytes of word the longest matching token
// covers, 0 when no token is a prefix of it.
func matchedPrefix(word string, tokens []string) int {
	folded := searchFold(word)
	best := ""
	for _, t := range tokens {
		if len(t) > len(best) && strings.HasPrefix(folded, t) {
			best = t
		}
	}
	if best == "" {
		return 0
	}
	for i := range word {
		if i > 0 && len(searchFold(word[:i])) >= len(best) {
			return i
		}
	}
	return len(word)
}
