package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	assets "github.com/rapportcrm/rapport/web"
)

// renderer holds one parsed template set per page, each made of the layout,
// the partials and that page's "content".
type renderer struct {
	pages map[string]*template.Template
	// assets is the layout's "head-assets" block and navs its "nav" block
	// for each current item (navs[0]: none), drawn once: they are the
	// same on every page, and escaping their thirty-odd addresses on each
	// request cost more than a list page's query.
	assets template.HTML
	navs   []template.HTML
}

func newRenderer(static *staticFiles) (*renderer, error) {
	r := &renderer{pages: map[string]*template.Template{}}
	funcs := templateFuncs()
	funcs["static"] = static.url
	funcs["assets"] = func() template.HTML { return r.assets }
	funcs["nav"] = r.nav
	base, err := template.New("layout").Funcs(funcs).ParseFS(assets.Templates, "templates/layout.html", "templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	// Every file in templates/pages is a page; each is parsed here, so a
	// broken one fails start-up, not the first request that needs it.
	files, err := fs.Glob(assets.Templates, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(assets.Templates, "templates/pages/"+name+".html"); err != nil {
			return nil, fmt.Errorf("parse page %s: %w", name, err)
		}
		r.pages[name] = t
	}
	// Drawn last: a template cannot be cloned once it has run.
	if err := r.drawShell(base); err != nil {
		return nil, err
	}
	return r, nil
}

// drawShell draws the blocks every page shares from base.
func (r *renderer) drawShell(base *template.Template) error {
	var b strings.Builder
	if err := base.ExecuteTemplate(&b, "head-assets", nil); err != nil {
		return fmt.Errorf("draw head-assets: %w", err)
	}
	r.assets = template.HTML(b.String())
	for current := -1; current < len(navItems); current++ {
		items := slices.Clone(navItems)
		if current >= 0 {
			items[current].Active = true
		}
		b.Reset()
		if err := base.ExecuteTemplate(&b, "nav", page{Nav: items}); err != nil {
			return fmt.Errorf("draw nav: %w", err)
		}
		r.navs = append(r.navs, template.HTML(b.String()))
	}
	return nil
}

// nav returns the menu drawn for items, a copy of navItems with at most one
// item current.
func (r *renderer) nav(items []navItem) (template.HTML, error) {
	if len(items) != len(navItems) || len(r.navs) != len(navItems)+1 {
		return "", fmt.Errorf("nav: %d items, want the %d of navItems", len(items), len(navItems))
	}
	current := 0
	for i, n := range items {
		if n.Label != navItems[i].Label {
			return "", fmt.Errorf("nav: item %d is %q, want %q", i, n.Label, navItems[i].Label)
		}
		if n.Active {
			if current != 0 {
				return "", fmt.Errorf("nav: more than one current item")
			}
			current = i + 1
		}
	}
	return r.navs[current], nil
}

// render writes page name with view. A request from htmx gets only the
// page's content fragment.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, view any) {
	t, ok := s.r.pages[name]
	if !ok {
		panic("web: unknown page " + name)
	}
	block := "layout"
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Boosted") != "true" {
		block = "content"
	}
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	if err := t.ExecuteTemplate(buf, block, view); err != nil {
		s.log(r).Error("render", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderBuffers hold pages while they are drawn, so that a 70 KB list page
// does not grow a new buffer from nothing on every request.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putRenderBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // a rare huge page should not stay in memory
	}
	b.Reset()
	renderBuffers.Put(b)
}

func initial(name string) string {
	r, _ := utf8.DecodeRuneInString(strings.TrimSpace(name))
	if r == utf8.RuneError {
		return "?"
	}
	return string(unicode.ToUpper(r))
}

// staticFiles serves the embedded static folder under content-hash URLs:
// /static/<hash>/<path>. A URL names exactly one version of a file, so it
// may be cached for a year.
type staticFiles struct {
	fsys   fs.FS
	hashes map[string]string // path → first 10 hex digits of its SHA-256
}

func newStaticFiles() (*staticFiles, error) {
	sub, err := fs.Sub(assets.Static, "static")
	if err != nil {
		return nil, err
	}
	s := &staticFiles{fsys: sub, hashes: map[string]string{}}
	err = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.hashes[p] = hex.EncodeToString(sum[:5])
		return nil
	})
	return s, err
}

// url returns the cache-busting URL of a static file; it panics at template
// execution for a file that does not exist, which the start-up render
// check catches.
func (s *staticFiles) url(p string) (string, error) {
	h, ok := s.hashes[p]
	if !ok {
		return "", fmt.Errorf("static file %q does not exist", p)
	}
	return "/static/" + h + "/" + p, nil
}

func (s *staticFiles) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hash, p := r.PathValue("hash"), r.PathValue("path")
	p = path.Clean(p)
	want, ok := s.hashes[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if hash == want {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	http.ServeFileFS(w, r, s.fsys, p)
}
