package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/deal"
)

// Pipeline is an ordered set of stages deals move through.
type Pipeline struct {
	ID        string          `json:"id" format:"uuid"`
	Name      string          `json:"name" example:"Sales"`
	Currency  string          `json:"currency" example:"EUR" doc:"ISO 4217 code new deals take by default."`
	Position  int             `json:"position"`
	Stages    []PipelineStage `json:"stages"`
	CreatedAt time.Time       `json:"created_at"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// PipelineStage is one column of a pipeline.
type PipelineStage struct {
	ID          string `json:"id" format:"uuid"`
	Name        string `json:"name" example:"Proposal"`
	Position    int    `json:"position"`
	Probability int    `json:"probability" doc:"Win probability in percent, 0 to 100."`
}

// PipelineInput creates (POST) or changes (PATCH) a pipeline.
type PipelineInput struct {
	Name     *string      `json:"name,omitempty" example:"Partners" doc:"Required for a new pipeline."`
	Currency *string      `json:"currency,omitempty" example:"EUR" doc:"ISO 4217 code; default EUR."`
	Position *int         `json:"position,omitempty"`
	Stages   []StageInput `json:"stages,omitempty" doc:"A new pipeline's stages in order; ignored by PATCH (use the stage routes)."`
}

// StageInput creates or changes a stage.
type StageInput struct {
	Name        *string `json:"name,omitempty" example:"Pilot" doc:"Required for a new stage."`
	Probability *int    `json:"probability,omitempty" example:"50" doc:"0 to 100."`
}

// StageOrder lists every stage of a pipeline in its new order.
type StageOrder struct {
	StageIDs []string `json:"stage_ids"`
}

// PipelineList is every pipeline.
type PipelineList struct {
	Data []Pipeline `json:"data"`
}

// Board is a pipeline's open deals by stage: the first cards of each
// column, its count and its totals per currency.
type Board struct {
	Pipeline Pipeline      `json:"pipeline"`
	Columns  []BoardColumn `json:"columns"`
}

// BoardColumn is one stage of a board.
type BoardColumn struct {
	Stage  PipelineStage `json:"stage"`
	Count  int           `json:"count"`
	Totals []Money       `json:"totals"`
	Cards  []BoardCard   `json:"cards"`
	More   bool          `json:"more" doc:"There are more cards than shown."`
}

// Money is an amount in minor units of a currency.
type Money struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// BoardCard is a deal on a board.
type BoardCard struct {
	ID          string `json:"id" format:"uuid"`
	Name        string `json:"name"`
	Amount      int64  `json:"amount"`
	Currency    string `json:"currency"`
	CloseDate   string `json:"close_date,omitempty" format:"date"`
	OwnerName   string `json:"owner_name,omitempty"`
	CompanyName string `json:"company_name,omitempty"`
	Version     int    `json:"version"`
}

func (in PipelineInput) service() deal.PipelineInput {
	out := deal.PipelineInput{Name: in.Name, Currency: in.Currency, Position: in.Position}
	for _, s := range in.Stages {
		out.Stages = append(out.Stages, deal.StageInput(s))
	}
	return out
}

func toPipeline(p deal.Pipeline) Pipeline {
	out := Pipeline{ID: p.ID, Name: p.Name, Currency: p.Currency, Position: p.Position, Stages: []PipelineStage{},
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	for _, s := range p.Stages {
		out.Stages = append(out.Stages, toStage(s))
	}
	return out
}

func toStage(s deal.Stage) PipelineStage {
	return PipelineStage{ID: s.ID, Name: s.Name, Position: s.Position, Probability: s.Probability}
}

type pipelineInput struct{ Body PipelineInput }
type pipelinePatch struct {
	IDPath
	Body PipelineInput
}
type pipelineOut struct{ Body Pipeline }
type pipelineCreated struct {
	Location string `header:"Location"`
	Body     Pipeline
}
type pipelinesOut struct{ Body PipelineList }
type stageInput struct {
	IDPath
	Body StageInput
}

// StagePath names a stage of a pipeline.
type StagePath struct {
	IDPath
	StageID string `path:"stage_id" doc:"The stage's id."`
}
type stagePatch struct {
	StagePath
	Body StageInput
}
type stageDelete struct {
	StagePath
	MoveTo string `query:"move_to" doc:"A stage of the same pipeline to move the stage's deals to; required when it holds deals."`
}
type stageOut struct{ Body PipelineStage }
type stageOrder struct {
	IDPath
	Body StageOrder
}
type boardParams struct {
	IDPath
	Owner     string `query:"owner" doc:"Only deals of this owner (user id)."`
	CloseFrom string `query:"close_from" doc:"Expected close on or after (YYYY-MM-DD)."`
	CloseTo   string `query:"close_to" doc:"Expected close on or before (YYYY-MM-DD)."`
	AmountMin int64  `query:"amount_min" default:"-1" doc:"Smallest amount in minor units."`
	AmountMax int64  `query:"amount_max" default:"-1" doc:"Largest amount in minor units."`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Cards per column."`
}
type boardOut struct{ Body Board }

func (a *API) pipelineRoutes() {
	tags := []string{"Pipelines"}
	p := Prefix + "/pipelines"
	register(a, huma.Operation{OperationID: "list-pipelines", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List pipelines with their stages"}, a.listPipelines)
	register(a, huma.Operation{OperationID: "create-pipeline", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a pipeline", DefaultStatus: http.StatusCreated}, a.createPipeline)
	register(a, huma.Operation{OperationID: "get-pipeline", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a pipeline", Errors: []int{http.StatusNotFound}}, a.getPipeline)
	register(a, huma.Operation{OperationID: "update-pipeline", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Rename a pipeline or change its currency or position", Errors: []int{http.StatusNotFound}}, a.updatePipeline)
	register(a, huma.Operation{OperationID: "delete-pipeline", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a pipeline that holds no deals", DefaultStatus: http.StatusNoContent,
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}}, a.deletePipeline)
	register(a, huma.Operation{OperationID: "get-board", Method: http.MethodGet, Path: p + "/{id}/board", Tags: tags,
		Summary: "A pipeline's kanban board", Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}}, a.getBoard)
	register(a, huma.Operation{OperationID: "add-stage", Method: http.MethodPost, Path: p + "/{id}/stages", Tags: tags,
		Summary: "Add a stage at the end", DefaultStatus: http.StatusCreated, Errors: []int{http.StatusNotFound}}, a.addStage)
	register(a, huma.Operation{OperationID: "order-stages", Method: http.MethodPut, Path: p + "/{id}/stages/order", Tags: tags,
		Summary: "Reorder the stages", Errors: []int{http.StatusNotFound}}, a.orderStages)
	register(a, huma.Operation{OperationID: "update-stage", Method: http.MethodPatch, Path: p + "/{id}/stages/{stage_id}", Tags: tags,
		Summary: "Rename a stage or change its probability", Errors: []int{http.StatusNotFound}}, a.updateStage)
	register(a, huma.Operation{OperationID: "delete-stage", Method: http.MethodDelete, Path: p + "/{id}/stages/{stage_id}", Tags: tags,
		Summary: "Delete a stage", Description: "A stage holding deals is deleted only with move_to.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity}}, a.deleteStage)
}

func (a *API) listPipelines(ctx context.Context, _ *struct{}) (*pipelinesOut, error) {
	all, err := a.o.Deals.Pipelines(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &pipelinesOut{Body: PipelineList{Data: []Pipeline{}}}
	for _, p := range all {
		out.Body.Data = append(out.Body.Data, toPipeline(p))
	}
	return out, nil
}

func (a *API) createPipeline(ctx context.Context, in *pipelineInput) (*pipelineCreated, error) {
	p, err := a.o.Deals.CreatePipeline(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &pipelineCreated{Location: Prefix + "/pipelines/" + p.ID, Body: toPipeline(p)}, nil
}

func (a *API) getPipeline(ctx context.Context, in *IDPath) (*pipelineOut, error) {
	p, err := a.o.Deals.Pipeline(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &pipelineOut{Body: toPipeline(p)}, nil
}

func (a *API) updatePipeline(ctx context.Context, in *pipelinePatch) (*pipelineOut, error) {
	if _, err := a.o.Deals.UpdatePipeline(ctx, in.ID, in.Body.service()); err != nil {
		return nil, a.fail(ctx, err)
	}
	return a.getPipeline(ctx, &in.IDPath)
}

func (a *API) deletePipeline(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Deals.DeletePipeline(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) getBoard(ctx context.Context, in *boardParams) (*boardOut, error) {
	q := deal.BoardQuery{PipelineID: in.ID, OwnerID: in.Owner, CloseFrom: in.CloseFrom, CloseTo: in.CloseTo, Limit: in.Limit}
	if in.AmountMin >= 0 {
		q.AmountMin = &in.AmountMin
	}
	if in.AmountMax >= 0 {
		q.AmountMax = &in.AmountMax
	}
	b, err := a.o.Deals.Board(ctx, q)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &boardOut{Body: Board{Pipeline: toPipeline(b.Pipeline), Columns: []BoardColumn{}}}
	for _, c := range b.Columns {
		col := BoardColumn{Stage: toStage(c.Stage), Count: c.Count, More: c.More, Totals: []Money{}, Cards: []BoardCard{}}
		for _, m := range c.Totals {
			col.Totals = append(col.Totals, Money(m))
		}
		for _, k := range c.Cards {
			col.Cards = append(col.Cards, BoardCard{ID: k.ID, Name: k.Name, Amount: k.Amount, Currency: k.Currency,
				CloseDate: k.CloseDate, OwnerName: k.OwnerName, CompanyName: k.CompanyName, Version: k.Version})
		}
		out.Body.Columns = append(out.Body.Columns, col)
	}
	return out, nil
}

func (a *API) addStage(ctx context.Context, in *stageInput) (*stageOut, error) {
	s, err := a.o.Deals.AddStage(ctx, in.ID, deal.StageInput(in.Body))
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &stageOut{Body: toStage(s)}, nil
}

func (a *API) orderStages(ctx context.Context, in *stageOrder) (*pipelineOut, error) {
	p, err := a.o.Deals.ReorderStages(ctx, in.ID, in.Body.StageIDs)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &pipelineOut{Body: toPipeline(p)}, nil
}

// stageOf checks that the path's stage belongs to the path's pipeline.
func (a *API) stageOf(ctx context.Context, in StagePath) error {
	p, err := a.o.Deals.Pipeline(ctx, in.ID)
	if err != nil {
		return err
	}
	if _, ok := p.Stage(in.StageID); !ok {
		return apperr.ErrNotFound
	}
	return nil
}

func (a *API) updateStage(ctx context.Context, in *stagePatch) (*stageOut, error) {
	if err := a.stageOf(ctx, in.StagePath); err != nil {
		return nil, a.fail(ctx, err)
	}
	s, err := a.o.Deals.UpdateStage(ctx, in.StageID, deal.StageInput(in.Body))
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &stageOut{Body: toStage(s)}, nil
}

func (a *API) deleteStage(ctx context.Context, in *stageDelete) (*Deleted, error) {
	if err := a.stageOf(ctx, in.StagePath); err != nil {
		return nil, a.fail(ctx, err)
	}
	if err := a.o.Deals.DeleteStage(ctx, in.StageID, in.MoveTo); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}
