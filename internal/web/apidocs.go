package web

import "net/http"

// apiSpecPath is api.SpecPath (the api package's tests import this one).
const apiSpecPath = "/api/openapi.json"

// apiDocsView is the API reference page: Swagger UI renders the document
// at SpecPath.
type apiDocsView struct {
	page
	SpecPath string
}

// apiDocsRoutes adds /api/docs. It is a page of the app (signed in, the
// app's strict CSP unchanged): the vendored Swagger UI needs no inline
// script or style, no eval and no font or file from another origin.
func (s *Server) apiDocsRoutes(p func(string, http.HandlerFunc)) {
	if s.api == nil {
		return
	}
	p("GET /api/docs", s.requireUser(s.apiDocs))
}

func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "api_docs", apiDocsView{page: s.page(r, "API reference"), SpecPath: apiSpecPath})
}
