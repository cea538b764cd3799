package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/deal"
)

func (s *Server) pipelineRoutes(p func(pattern string, h http.HandlerFunc)) {
	p("GET /settings/pipelines", s.pipelineList)
	p("POST /settings/pipelines", s.pipelineCreate)
	p("POST /settings/pipelines/{id}", s.pipelineUpdate)
	p("POST /settings/pipelines/{id}/delete", s.pipelineDelete)
	p("POST /settings/pipelines/{id}/stages", s.stageAdd)
	p("POST /settings/pipelines/{id}/stages/{stage}", s.stageUpdate)
	p("POST /settings/pipelines/{id}/stages/{stage}/move", s.stageMove)
	p("POST /settings/pipelines/{id}/stages/{stage}/delete", s.stageDelete)
}

// pipelinesView is Settings → Pipelines.
type pipelinesView struct {
	page
	Pipelines []deal.Pipeline
	CanEdit   bool
	// New is the new-pipeline form as typed, with its errors.
	NewName, NewCurrency, NewStages string
	Errors                          *apperr.Validation
	// ErrorsFor names the pipeline (or stage) Errors belong to.
	ErrorsFor string
}

// defaultNewStages is what the new-pipeline form proposes.
const defaultNewStages = "Lead, 10\nQualified, 25\nProposal, 50\nNegotiation, 75"

func (s *Server) pipelineList(w http.ResponseWriter, r *http.Request) {
	s.renderPipelines(w, r, http.StatusOK, pipelinesView{NewCurrency: "EUR", NewStages: defaultNewStages})
}

func (s *Server) renderPipelines(w http.ResponseWriter, r *http.Request, status int, v pipelinesView) {
	all, err := s.deals.Pipelines(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.page, v.Pipelines, v.CanEdit = s.page(r, "Pipelines"), all, allowed(r, deal.Pipelines, access.Update)
	s.render(w, r, status, "settings_pipelines", v)
}

// parseStages reads "Name, probability" lines; a line without a number
// gets probability 0.
func parseStages(text string, v *apperr.Validation) []deal.StageInput {
	var out []deal.StageInput
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, prob := line, 0
		if j := strings.LastIndex(line, ","); j >= 0 {
			n, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line[j+1:]), "%")))
			if err != nil {
				v.Add("stages", "Line "+strconv.Itoa(i+1)+": write the probability as a whole number, such as “Proposal, 50”.")
				continue
			}
			name, prob = strings.TrimSpace(line[:j]), n
		}
		out = append(out, deal.StageInput{Name: &name, Probability: &prob})
	}
	if len(out) == 0 && v.For("stages") == "" {
		v.Add("stages", "Give the pipeline at least one stage.")
	}
	return out
}

func (s *Server) pipelineCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	v := pipelinesView{NewName: r.PostFormValue("name"), NewCurrency: r.PostFormValue("currency"),
		NewStages: r.PostFormValue("stages"), ErrorsFor: "new"}
	var verr apperr.Validation
	stages := parseStages(v.NewStages, &verr)
	if verr.Err() == nil {
		p, err := s.deals.CreatePipeline(r.Context(), deal.PipelineInput{Name: &v.NewName, Currency: &v.NewCurrency, Stages: stages})
		if err == nil {
			s.redirect(w, r, "/settings/pipelines#pipeline-"+p.ID, "Pipeline "+p.Name+" created.")
			return
		}
		fe, err := formError(err)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, f := range fe.Fields {
			field := f.Field
			if strings.HasPrefix(field, "stages[") {
				field = "stages"
			}
			verr.Add(field, f.Message)
		}
	}
	v.Errors = &verr
	s.renderPipelines(w, r, http.StatusUnprocessableEntity, v)
}

// settingsFailed re-renders the page with a form's errors, or fails.
func (s *Server) settingsFailed(w http.ResponseWriter, r *http.Request, err error, owner string) {
	verr, err := formError(err)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderPipelines(w, r, invalidStatus(verr), pipelinesView{NewCurrency: "EUR", NewStages: defaultNewStages,
		Errors: verr, ErrorsFor: owner})
}

func (s *Server) pipelineUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	name, cur := r.PostFormValue("name"), r.PostFormValue("currency")
	p, err := s.deals.UpdatePipeline(r.Context(), r.PathValue("id"), deal.PipelineInput{Name: &name, Currency: &cur})
	if err != nil {
		s.settingsFailed(w, r, err, r.PathValue("id"))
		return
	}
	s.redirect(w, r, "/settings/pipelines#pipeline-"+p.ID, "Pipeline saved.")
}

func (s *Server) pipelineDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.deals.DeletePipeline(r.Context(), r.PathValue("id")); err != nil {
		s.settingsFailed(w, r, err, r.PathValue("id"))
		return
	}
	s.redirect(w, r, "/settings/pipelines", "Pipeline deleted.")
}

func (s *Server) stageAdd(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	name := r.PostFormValue("name")
	prob, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("probability")))
	if err != nil {
		prob = -1
	}
	st, err := s.deals.AddStage(r.Context(), r.PathValue("id"), deal.StageInput{Name: &name, Probability: &prob})
	if err != nil {
		s.settingsFailed(w, r, err, "add-"+r.PathValue("id"))
		return
	}
	s.redirect(w, r, "/settings/pipelines#pipeline-"+st.PipelineID, "Stage "+st.Name+" added.")
}

func (s *Server) stageUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	if !s.stageInPipeline(w, r) {
		return
	}
	name := r.PostFormValue("name")
	prob, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("probability")))
	if err != nil {
		prob = -1
	}
	st, err := s.deals.UpdateStage(r.Context(), r.PathValue("stage"), deal.StageInput{Name: &name, Probability: &prob})
	if err != nil {
		s.settingsFailed(w, r, err, r.PathValue("stage"))
		return
	}
	s.redirect(w, r, "/settings/pipelines#pipeline-"+st.PipelineID, "Stage saved.")
}

// stageInPipeline answers 404 when the path's stage is not one of the
// path's pipeline.
func (s *Server) stageInPipeline(w http.ResponseWriter, r *http.Request) bool {
	p, err := s.deals.Pipeline(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return false
	}
	if _, ok := p.Stage(r.PathValue("stage")); !ok {
		s.notFound(w, r)
		return false
	}
	return true
}

// stageMove moves a stage one place up or down.
func (s *Server) stageMove(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	p, err := s.deals.Pipeline(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := make([]string, len(p.Stages))
	at := -1
	for i, st := range p.Stages {
		ids[i] = st.ID
		if st.ID == r.PathValue("stage") {
			at = i
		}
	}
	if at < 0 {
		s.notFound(w, r)
		return
	}
	to := at - 1
	if r.PostFormValue("dir") == "down" {
		to = at + 1
	}
	if to >= 0 && to < len(ids) {
		ids[at], ids[to] = ids[to], ids[at]
		if _, err := s.deals.ReorderStages(r.Context(), p.ID, ids); err != nil {
			s.settingsFailed(w, r, err, r.PathValue("stage"))
			return
		}
	}
	s.redirect(w, r, "/settings/pipelines#stage-"+r.PathValue("stage"), "Stages reordered.")
}

func (s *Server) stageDelete(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	if !s.stageInPipeline(w, r) {
		return
	}
	if err := s.deals.DeleteStage(r.Context(), r.PathValue("stage"), r.PostFormValue("move_to")); err != nil {
		s.settingsFailed(w, r, err, r.PathValue("stage"))
		return
	}
	s.redirect(w, r, "/settings/pipelines#pipeline-"+r.PathValue("id"), "Stage deleted.")
}
