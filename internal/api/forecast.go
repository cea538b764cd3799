package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/forecast"
)

// ForecastAmounts are the sums of one group in minor units of currency.
// Different currencies are never added together.
type ForecastAmounts struct {
	Currency  string `json:"currency" example:"EUR"`
	Open      int64  `json:"open" doc:"Open deals expected to close in the month."`
	Weighted  int64  `json:"weighted" doc:"Σ(amount × stage probability) ÷ 100 of the open deals, rounded down."`
	Won       int64  `json:"won" doc:"Deals won in the month (by when they were closed)."`
	Lost      int64  `json:"lost" doc:"Deals lost in the month (by when they were closed)."`
	OpenDeals int    `json:"open_deals"`
	WonDeals  int    `json:"won_deals"`
	LostDeals int    `json:"lost_deals"`
}

// ForecastRow is one month, owner and currency.
type ForecastRow struct {
	Month     string `json:"month" example:"2026-03"`
	OwnerID   string `json:"owner_id,omitempty" format:"uuid" doc:"Absent for deals nobody owns."`
	OwnerName string `json:"owner_name,omitempty"`
	ForecastAmounts
}

// ForecastTotal is one month and currency, all owners.
type ForecastTotal struct {
	Month string `json:"month" example:"2026-03"`
	ForecastAmounts
}

// Forecast is a pipeline's forecast.
type Forecast struct {
	PipelineID   string            `json:"pipeline_id" format:"uuid"`
	PipelineName string            `json:"pipeline_name"`
	Months       []string          `json:"months" doc:"The months of the period, YYYY-MM."`
	Currencies   []string          `json:"currencies"`
	Rows         []ForecastRow     `json:"rows"`
	Totals       []ForecastTotal   `json:"totals"`
	Overall      []ForecastAmounts `json:"overall" doc:"Each currency over the whole period."`
}

// FunnelStage is one stage of a conversion funnel.
type FunnelStage struct {
	StageID     string   `json:"stage_id" format:"uuid"`
	Name        string   `json:"name"`
	Position    int      `json:"position"`
	Probability int      `json:"probability"`
	Entered     int      `json:"entered" doc:"Stays in the stage that began in the period."`
	Left        int      `json:"left" doc:"Stays in the stage that ended in the period."`
	MedianDays  *float64 `json:"median_days" doc:"Median days of the stays that ended in the period; null if none did."`
}

// Funnel is a pipeline's conversion funnel over a period.
type Funnel struct {
	PipelineID   string        `json:"pipeline_id" format:"uuid"`
	PipelineName string        `json:"pipeline_name"`
	From         string        `json:"from" format:"date"`
	To           string        `json:"to" format:"date"`
	Stages       []FunnelStage `json:"stages"`
}

type forecastParams struct {
	PipelineID string `query:"pipeline_id" required:"true" doc:"The pipeline."`
	From       string `query:"from" example:"2026-01" doc:"First month, YYYY-MM; the current month if left out."`
	Months     int    `query:"months" minimum:"1" maximum:"36" default:"12"`
	OwnerID    string `query:"owner_id" doc:"Only this owner's deals."`
}
type forecastOut struct{ Body Forecast }
type funnelParams struct {
	PipelineID string `query:"pipeline_id" required:"true"`
	From       string `query:"from" required:"true" example:"2026-01-01" doc:"First day, YYYY-MM-DD."`
	To         string `query:"to" required:"true" example:"2026-03-31" doc:"Last day, YYYY-MM-DD."`
}
type funnelOut struct{ Body Funnel }

func (a *API) forecastRoutes() {
	tags := []string{"Deals"}
	register(a, huma.Operation{OperationID: "get-forecast", Method: http.MethodGet, Path: Prefix + "/forecast", Tags: tags,
		Summary: "A pipeline's forecast", Description: "By month and owner: open, weighted, won and lost amounts, per currency.",
		Errors: []int{http.StatusUnprocessableEntity}}, a.getForecast)
	register(a, huma.Operation{OperationID: "get-funnel", Method: http.MethodGet, Path: Prefix + "/forecast/funnel", Tags: tags,
		Summary: "A pipeline's conversion funnel", Description: "Per stage: deals entered and left in the period, median days in stage.",
		Errors: []int{http.StatusUnprocessableEntity}}, a.getFunnel)
}

func amounts(x forecast.Amounts) ForecastAmounts {
	return ForecastAmounts{Currency: x.Currency, Open: x.Open, Weighted: x.Weighted, Won: x.Won, Lost: x.Lost,
		OpenDeals: x.OpenDeals, WonDeals: x.WonDeals, LostDeals: x.LostDeals}
}

func (a *API) getForecast(ctx context.Context, in *forecastParams) (*forecastOut, error) {
	r, err := a.o.Forecast.Forecast(ctx, forecast.Request{PipelineID: in.PipelineID, From: in.From, Months: in.Months,
		OwnerID: in.OwnerID})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := Forecast{PipelineID: r.PipelineID, PipelineName: r.PipelineName, Months: r.Months,
		Currencies: nonNil(r.Currencies), Rows: []ForecastRow{}, Totals: []ForecastTotal{}, Overall: []ForecastAmounts{}}
	for _, x := range r.Rows {
		out.Rows = append(out.Rows, ForecastRow{Month: x.Month, OwnerID: x.OwnerID, OwnerName: x.OwnerName,
			ForecastAmounts: amounts(x.Amounts)})
	}
	for _, x := range r.Totals {
		out.Totals = append(out.Totals, ForecastTotal{Month: x.Month, ForecastAmounts: amounts(x.Amounts)})
	}
	for _, x := range r.Overall {
		out.Overall = append(out.Overall, amounts(x))
	}
	return &forecastOut{Body: out}, nil
}

func (a *API) getFunnel(ctx context.Context, in *funnelParams) (*funnelOut, error) {
	f, err := a.o.Forecast.Funnel(ctx, forecast.FunnelRequest{PipelineID: in.PipelineID, From: in.From, To: in.To})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := Funnel{PipelineID: f.PipelineID, PipelineName: f.PipelineName, From: f.From, To: f.To, Stages: []FunnelStage{}}
	for _, s := range f.Stages {
		out.Stages = append(out.Stages, FunnelStage{StageID: s.StageID, Name: s.Name, Position: s.Position,
			Probability: s.Probability, Entered: s.Entered, Left: s.Left, MedianDays: s.MedianDays})
	}
	return &funnelOut{Body: out}, nil
}
