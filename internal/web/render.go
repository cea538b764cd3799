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
	"strings"
	"unicode"
	"unicode/utf8"

	assets "github.com/rapportcrm/rapport/web"
)

// renderer holds one parsed template set per page, each made of the layout,
// the partials and that page's "content".
type renderer struct {
	pages map[string]*template.Template
}

func newRenderer(static *staticFiles) (*renderer, error) {
	funcs := templateFuncs()
	funcs["static"] = static.url
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
	r := &renderer{pages: map[string]*template.Template{}}
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
	return r, nil
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
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, view); err != nil {
		s.log(r).Error("render", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
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
