package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/deal"
)

// Deal is a sale in a pipeline.
type Deal struct {
	ID             string    `json:"id" format:"uuid"`
	Name           string    `json:"name" example:"Acme renewal 2026"`
	PipelineID     string    `json:"pipeline_id" format:"uuid"`
	PipelineName   string    `json:"pipeline_name" example:"Sales"`
	StageID        string    `json:"stage_id" format:"uuid"`
	StageName      string    `json:"stage_name" example:"Proposal"`
	Probability    int       `json:"probability" minimum:"0" maximum:"100" doc:"The stage's win probability, in percent."`
	Amount         int64     `json:"amount" example:"1250000" doc:"In minor units of currency (1250000 EUR = 12,500.00 €)."`
	Currency       string    `json:"currency" example:"EUR" doc:"ISO 4217 code."`
	CloseDate      string    `json:"close_date,omitempty" format:"date" doc:"Expected close date."`
	Status         string    `json:"status" enum:"open,won,lost"`
	LostReason     string    `json:"lost_reason,omitempty"`
	ClosedAt       time.Time `json:"closed_at,omitzero"`
	StageEnteredAt time.Time `json:"stage_entered_at"`
	OwnerID        string    `json:"owner_id,omitempty" format:"uuid"`
	OwnerName      string    `json:"owner_name,omitempty"`
	CompanyID      string    `json:"company_id,omitempty" format:"uuid"`
	CompanyName    string    `json:"company_name,omitempty"`
	Contacts       []DealRef `json:"contacts"`
	Custom         Custom    `json:"custom"`
	Version        int       `json:"version" doc:"Grows with every change; send it back with a change to be told (409) when someone else changed the deal meanwhile."`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// DealRef names a contact linked to a deal.
type DealRef struct {
	ID   string `json:"id" format:"uuid"`
	Name string `json:"name"`
}

// DealInput creates a deal (POST) or changes one (PATCH); a field left out
// stays as it is.
type DealInput struct {
	Name       *string   `json:"name,omitempty" example:"Acme renewal 2026" doc:"Required for a new deal."`
	PipelineID *string   `json:"pipeline_id,omitempty" doc:"Default: the first pipeline."`
	StageID    *string   `json:"stage_id,omitempty" doc:"A stage of the deal's pipeline; default its first stage. A change of stage moves the deal to the end of that column."`
	Amount     *int64    `json:"amount,omitempty" example:"1250000" doc:"In minor units of currency; zero or more."`
	Currency   *string   `json:"currency,omitempty" example:"EUR" doc:"ISO 4217 code; default the pipeline's currency."`
	CloseDate  *string   `json:"close_date,omitempty" example:"2026-06-30" doc:"YYYY-MM-DD; \"\" clears it."`
	OwnerID    *string   `json:"owner_id,omitempty" doc:"Id of an active user; \"\" for no owner."`
	CompanyID  *string   `json:"company_id,omitempty" doc:"\"\" for none."`
	ContactIDs *[]string `json:"contact_ids,omitempty" doc:"Replaces the linked contacts."`
	Custom     Custom    `json:"custom,omitempty"`
	Version    int       `json:"version,omitempty" doc:"The version the change was made from; when the deal has changed since, the answer is 409 and nothing changes."`
}

func (in DealInput) service() deal.Input {
	return deal.Input{Name: in.Name, PipelineID: in.PipelineID, StageID: in.StageID, Amount: in.Amount, Currency: in.Currency,
		CloseDate: in.CloseDate, OwnerID: in.OwnerID, CompanyID: in.CompanyID, ContactIDs: in.ContactIDs,
		Custom: in.Custom, Version: in.Version}
}

func toDeal(d deal.Deal) Deal {
	out := Deal{ID: d.ID, Name: d.Name, PipelineID: d.PipelineID, PipelineName: d.PipelineName, StageID: d.StageID,
		StageName: d.StageName, Probability: d.Probability, Amount: d.Amount, Currency: d.Currency, CloseDate: d.CloseDate,
		Status: d.Status, LostReason: d.LostReason, ClosedAt: d.ClosedAt, StageEnteredAt: d.StageEnteredAt,
		OwnerID: d.OwnerID, OwnerName: d.OwnerName, CompanyID: d.CompanyID, CompanyName: d.CompanyName,
		Contacts: []DealRef{}, Custom: custom(d.Custom), Version: d.Version, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
	for _, c := range d.Contacts {
		out.Contacts = append(out.Contacts, DealRef(c))
	}
	return out
}

// DealRow is a deal as a list shows it.
type DealRow struct {
	ID           string    `json:"id" format:"uuid"`
	Name         string    `json:"name"`
	PipelineID   string    `json:"pipeline_id" format:"uuid"`
	PipelineName string    `json:"pipeline_name"`
	StageID      string    `json:"stage_id" format:"uuid"`
	StageName    string    `json:"stage_name"`
	Probability  int       `json:"probability"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	CloseDate    string    `json:"close_date,omitempty" format:"date"`
	Status       string    `json:"status" enum:"open,won,lost"`
	OwnerID      string    `json:"owner_id,omitempty" format:"uuid"`
	OwnerName    string    `json:"owner_name,omitempty"`
	CompanyID    string    `json:"company_id,omitempty" format:"uuid"`
	CompanyName  string    `json:"company_name,omitempty"`
	Version      int       `json:"version"`
	Custom       Custom    `json:"custom"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// DealPage is one page of deals.
type DealPage pageOf[DealRow]

// DealMove places a deal on its pipeline's board.
type DealMove struct {
	StageID  string `json:"stage_id" format:"uuid" doc:"A stage of the deal's pipeline."`
	AfterID  string `json:"after_id,omitempty" doc:"The card the deal goes below; leave out both after_id and before_id for the end of the column."`
	BeforeID string `json:"before_id,omitempty" doc:"The card the deal goes above."`
	Version  int    `json:"version,omitempty" doc:"The version the mover saw. The move still applies when only other fields changed since; when someone else moved the deal, the answer is 409."`
}

// DealClose marks a deal won or lost.
type DealClose struct {
	Reason  string `json:"reason,omitempty" maxLength:"500" doc:"Why the deal was lost (required for lost)."`
	Version int    `json:"version,omitempty"`
}

// DealStay is the time a deal spent in a stage.
type DealStay struct {
	StageID   string    `json:"stage_id" format:"uuid"`
	StageName string    `json:"stage_name"`
	EnteredAt time.Time `json:"entered_at"`
	LeftAt    time.Time `json:"left_at,omitzero" doc:"Absent while the deal is still there."`
	Seconds   int64     `json:"seconds" doc:"Time spent, up to now for the current stay."`
}

// DealHistory is a deal's stays in stages, oldest first.
type DealHistory struct {
	Data []DealStay `json:"data"`
}

type dealInput struct{ Body DealInput }
type dealPatch struct {
	IDPath
	Body DealInput
}
type dealMove struct {
	IDPath
	Body DealMove
}
type dealClose struct {
	IDPath
	Body DealClose
}
type dealOut struct{ Body Deal }
type dealCreated struct {
	Location string `header:"Location" doc:"The new deal's URL."`
	Body     Deal
}
type dealList struct{ ListParams }
type dealPageOut struct{ Body DealPage }
type dealHistoryOut struct{ Body DealHistory }

func (a *API) dealRoutes() {
	tags := []string{"Deals"}
	p := Prefix + "/deals"
	register(a, huma.Operation{OperationID: "list-deals", Method: http.MethodGet, Path: p, Tags: tags,
		Summary:    "List deals",
		Parameters: []*huma.Param{shorthandParam(map[string]any{"status": "open", "pipeline_id": deal.DefaultPipelineID})},
		Errors:     []int{http.StatusUnprocessableEntity}}, a.listDeals)
	register(a, huma.Operation{OperationID: "create-deal", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a deal", DefaultStatus: http.StatusCreated}, a.createDeal)
	register(a, huma.Operation{OperationID: "get-deal", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a deal", Errors: []int{http.StatusNotFound}}, a.getDeal)
	register(a, huma.Operation{OperationID: "update-deal", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a deal", Description: "Only the fields sent change. With version, a deal someone else changed meanwhile answers 409.",
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateDeal)
	register(a, huma.Operation{OperationID: "delete-deal", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a deal", DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteDeal)
	register(a, huma.Operation{OperationID: "move-deal", Method: http.MethodPost, Path: p + "/{id}/move", Tags: tags,
		Summary: "Move a deal on the board", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.moveDeal)
	register(a, huma.Operation{OperationID: "win-deal", Method: http.MethodPost, Path: p + "/{id}/won", Tags: tags,
		Summary: "Mark a deal won", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.closeDeal(deal.Won))
	register(a, huma.Operation{OperationID: "lose-deal", Method: http.MethodPost, Path: p + "/{id}/lost", Tags: tags,
		Summary: "Mark a deal lost", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.closeDeal(deal.Lost))
	register(a, huma.Operation{OperationID: "reopen-deal", Method: http.MethodPost, Path: p + "/{id}/reopen", Tags: tags,
		Summary: "Reopen a won or lost deal", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.closeDeal(deal.Open))
	register(a, huma.Operation{OperationID: "get-deal-history", Method: http.MethodGet, Path: p + "/{id}/history", Tags: tags,
		Summary: "A deal's time in each stage", Errors: []int{http.StatusNotFound}}, a.dealHistory)
	a.pipelineRoutes()
}

// dealFail is fail with a conflict's own sentence (who moved the deal
// where, and when).
func (a *API) dealFail(ctx context.Context, err error) error {
	var c *deal.Conflict
	if errors.As(err, &c) {
		return newProblem(http.StatusConflict, c.Error())
	}
	return a.fail(ctx, err)
}

func (a *API) listDeals(ctx context.Context, in *dealList) (*dealPageOut, error) {
	schema, err := a.o.Deals.Schema(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	req, remap, err := listRequest(schema, in.ListParams)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	page, err := a.o.Deals.List(ctx, req)
	if err != nil {
		return nil, a.fail(ctx, remap(err))
	}
	out := &dealPageOut{Body: DealPage{Data: make([]DealRow, len(page.Rows)),
		NextCursor: page.Cursors.Next, PrevCursor: page.Cursors.Prev, Sort: page.Sort.String()}}
	for i, r := range page.Rows {
		vals, err := r.Custom.Values()
		if err != nil {
			return nil, a.fail(ctx, err)
		}
		out.Body.Data[i] = DealRow{ID: r.ID, Name: r.Name, PipelineID: r.PipelineID, PipelineName: r.PipelineName,
			StageID: r.StageID, StageName: r.StageName, Probability: r.Probability, Amount: r.Amount, Currency: r.Currency,
			CloseDate: r.CloseDate, Status: r.Status, OwnerID: r.OwnerID, OwnerName: r.OwnerName, CompanyID: r.CompanyID,
			CompanyName: r.CompanyName, Version: r.Version, Custom: custom(vals), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, nil
}

func (a *API) createDeal(ctx context.Context, in *dealInput) (*dealCreated, error) {
	d, err := a.o.Deals.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &dealCreated{Location: Prefix + "/deals/" + d.ID, Body: toDeal(d)}, nil
}

func (a *API) getDeal(ctx context.Context, in *IDPath) (*dealOut, error) {
	d, err := a.o.Deals.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &dealOut{Body: toDeal(d)}, nil
}

func (a *API) updateDeal(ctx context.Context, in *dealPatch) (*dealOut, error) {
	d, err := a.o.Deals.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.dealFail(ctx, err)
	}
	return &dealOut{Body: toDeal(d)}, nil
}

func (a *API) deleteDeal(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Deals.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) moveDeal(ctx context.Context, in *dealMove) (*dealOut, error) {
	d, err := a.o.Deals.Move(ctx, in.ID, deal.MoveInput(in.Body))
	if err != nil {
		return nil, a.dealFail(ctx, err)
	}
	return &dealOut{Body: toDeal(d)}, nil
}

func (a *API) closeDeal(status string) func(context.Context, *dealClose) (*dealOut, error) {
	return func(ctx context.Context, in *dealClose) (*dealOut, error) {
		ci := deal.CloseInput{Reason: in.Body.Reason, Version: in.Body.Version}
		var d deal.Deal
		var err error
		switch status {
		case deal.Won:
			d, err = a.o.Deals.MarkWon(ctx, in.ID, ci)
		case deal.Lost:
			d, err = a.o.Deals.MarkLost(ctx, in.ID, ci)
		default:
			d, err = a.o.Deals.Reopen(ctx, in.ID, ci)
		}
		if err != nil {
			return nil, a.dealFail(ctx, err)
		}
		return &dealOut{Body: toDeal(d)}, nil
	}
}

func (a *API) dealHistory(ctx context.Context, in *IDPath) (*dealHistoryOut, error) {
	stays, err := a.o.Deals.History(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &dealHistoryOut{Body: DealHistory{Data: []DealStay{}}}
	for _, s := range stays {
		out.Body.Data = append(out.Body.Data, DealStay{StageID: s.StageID, StageName: s.StageName, EnteredAt: s.EnteredAt,
			LeftAt: s.LeftAt, Seconds: int64(s.Duration.Seconds())})
	}
	return out, nil
}
