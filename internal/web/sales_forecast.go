package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/forecast"
	"github.com/rapportcrm/rapport/internal/money"
)

// The forecast page: a pipeline's open, weighted, won and lost amounts by
// month and owner, as a table and a chart, and the conversion funnel of a
// period. The chart's numbers travel in a data attribute that
// js/forecast.js hands to the vendored Chart.js (the CSP allows no inline
// script).

func (s *Server) forecastRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /deals/forecast", s.requireUser(s.forecastPage))
}

// moneyCells are one group's amounts written for people.
type moneyCells struct {
	Open, Weighted, Won, Lost string
	OpenDeals                 int
}

func cells(a forecast.Amounts) moneyCells {
	return moneyCells{Open: money.Format(a.Open, a.Currency), Weighted: money.Format(a.Weighted, a.Currency),
		Won: money.Format(a.Won, a.Currency), Lost: money.Format(a.Lost, a.Currency), OpenDeals: a.OpenDeals}
}

type forecastOwnerRow struct {
	Owner string
	moneyCells
}

type forecastMonth struct {
	Month  string
	Label  string
	Total  moneyCells
	Owners []forecastOwnerRow
	Empty  bool
}

// forecastTable is one currency's table and chart.
type forecastTable struct {
	Currency string
	Months   []forecastMonth
	Overall  moneyCells
	// Chart is the JSON the chart script reads.
	Chart string
}

type funnelRow struct {
	forecast.Stage
	Median string
}

type forecastView struct {
	page
	Pipelines  []forecast.Pipeline
	PipelineID string
	From       string
	Months     int
	OwnerID    string
	Owners     []ownerOption
	Tables     []forecastTable
	FunnelFrom string
	FunnelTo   string
	Funnel     []funnelRow
	Errors     *apperr.Validation
}

func (s *Server) forecastPage(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	pipes, err := s.forecast.Pipelines(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	v := forecastView{page: s.page(r, "Forecast"), Pipelines: pipes, PipelineID: q.Get("pipeline"),
		From: q.Get("from"), OwnerID: q.Get("owner"), FunnelFrom: q.Get("funnel_from"), FunnelTo: q.Get("funnel_to")}
	v.Months, _ = strconv.Atoi(q.Get("months"))
	if v.Months == 0 {
		v.Months = 12
	}
	if v.From == "" {
		v.From = now.Format("2006-01")
	}
	if v.FunnelTo == "" {
		v.FunnelTo = now.Format("2006-01-02")
	}
	if v.FunnelFrom == "" {
		v.FunnelFrom = now.AddDate(0, 0, -90).Format("2006-01-02")
	}
	if v.PipelineID == "" && len(pipes) > 0 {
		v.PipelineID = pipes[0].ID
	}
	if v.Owners, err = s.owners(r, v.OwnerID); err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if v.PipelineID != "" {
		verr := &apperr.Validation{}
		rep, err := s.forecast.Forecast(ctx, forecast.Request{PipelineID: v.PipelineID, From: v.From, Months: v.Months, OwnerID: v.OwnerID})
		if fv, other := formError(err); other != nil {
			s.fail(w, r, other)
			return
		} else if fv != nil {
			verr.Merge(fv)
		} else {
			v.Tables = tables(rep)
		}
		fun, err := s.forecast.Funnel(ctx, forecast.FunnelRequest{PipelineID: v.PipelineID, From: v.FunnelFrom, To: v.FunnelTo})
		if fv, other := formError(err); other != nil {
			s.fail(w, r, other)
			return
		} else if fv != nil {
			for _, f := range fv.Fields {
				verr.Add("funnel_"+f.Field, f.Message)
			}
		} else {
			for _, st := range fun.Stages {
				row := funnelRow{Stage: st, Median: "—"}
				if st.MedianDays != nil {
					row.Median = strconv.FormatFloat(*st.MedianDays, 'f', 1, 64)
				}
				v.Funnel = append(v.Funnel, row)
			}
		}
		if len(verr.Fields) > 0 {
			v.Errors, status = verr, http.StatusUnprocessableEntity
		}
	}
	s.render(w, r, status, "forecast", v)
}

// chartData is what js/forecast.js draws: one bar per series and month,
// in major units of one currency.
type chartData struct {
	Currency string    `json:"currency"`
	Labels   []string  `json:"labels"`
	Open     []float64 `json:"open"`
	Weighted []float64 `json:"weighted"`
	Won      []float64 `json:"won"`
	Lost     []float64 `json:"lost"`
}

// tables splits a report into one table per currency, each with every
// month of the period (empty months too) and its owners.
func tables(rep forecast.Report) []forecastTable {
	var out []forecastTable
	for i, cur := range rep.Currencies {
		div := 1.0
		for range money.Digits(cur) {
			div *= 10
		}
		t := forecastTable{Currency: cur, Overall: cells(rep.Overall[i])}
		cd := chartData{Currency: cur}
		for _, m := range rep.Months {
			fm := forecastMonth{Month: m, Label: monthLabel(m), Empty: true}
			total := forecast.Amounts{Currency: cur}
			for _, x := range rep.Totals {
				if x.Month == m && x.Currency == cur {
					total, fm.Empty = x.Amounts, false
				}
			}
			fm.Total = cells(total)
			for _, x := range rep.Rows {
				if x.Month == m && x.Currency == cur {
					fm.Owners = append(fm.Owners, forecastOwnerRow{Owner: ownerOrNone(x.OwnerName), moneyCells: cells(x.Amounts)})
				}
			}
			t.Months = append(t.Months, fm)
			cd.Labels = append(cd.Labels, fm.Label)
			cd.Open = append(cd.Open, float64(total.Open)/div)
			cd.Weighted = append(cd.Weighted, float64(total.Weighted)/div)
			cd.Won = append(cd.Won, float64(total.Won)/div)
			cd.Lost = append(cd.Lost, float64(total.Lost)/div)
		}
		b, _ := json.Marshal(cd)
		t.Chart = string(b)
		out = append(out, t)
	}
	return out
}

// MonthChoices are the lengths of period the forecast offers.
func (forecastView) MonthChoices() []int { return []int{3, 6, 12, 18, 24, 36} }

func monthLabel(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.Format("Jan 2006")
}

func ownerOrNone(name string) string {
	if name == "" {
		return "No owner"
	}
	return name
}
