package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// deals returns the deal data set, building it on first use so every deal
// benchmark (board, forecast) reads the same rows.
func (e *env) deals() (DealSet, error) {
	if e.dealSet != nil {
		return *e.dealSet, nil
	}
	n := e.o.Deals
	if n <= 0 {
		n = max(1, e.o.Contacts/5)
	}
	fmt.Fprintf(e.o.Log, "%s: building %d deals\n", e.d.Engine, n)
	start := time.Now()
	set, err := GenerateDeals(e.ctx, e.d, DealOptions{Deals: n, Seed: 1, Progress: func(done, total int) {
		fmt.Fprintf(e.o.Log, "\r%s: %d/%d deals", e.d.Engine, done, total)
	}})
	fmt.Fprintln(e.o.Log)
	if err != nil {
		return set, err
	}
	fmt.Fprintf(e.o.Log, "%s: %d deals and %d stage stays in %s\n", e.d.Engine, set.Deals, set.History, time.Since(start).Round(time.Millisecond))
	e.dealSet = &set
	return set, nil
}

// kanban measures the board of the eight-stage pipeline (first 50 cards
// per column with counts and totals): through the service, and as the HTML
// page through the real handler on loopback, each beside the plain SQL of
// the same queries.
func (e *env) kanban() error {
	set, err := e.deals()
	if err != nil {
		return err
	}
	svc := deal.NewService(e.d, e.users, e.contacts, e.companies)
	plain := func(ctx context.Context, _, _ int) error {
		if _, err := e.plainRows(ctx, deal.BoardTotalsSQL+` GROUP BY d.stage_id, d.currency`, set.Board); err != nil {
			return err
		}
		for _, st := range set.Stages {
			if _, err := e.plainRows(ctx, deal.BoardCardsSQL+` ORDER BY d.rank, d.id LIMIT 51`, st); err != nil {
				return err
			}
		}
		return nil
	}
	b, err := svc.Board(e.ctx, deal.BoardQuery{PipelineID: set.Board})
	if err != nil {
		return err
	}
	if len(b.Columns) != BoardStages || len(b.Columns[0].Cards) == 0 {
		return fmt.Errorf("kanban: the board has %d columns and %d cards in the first", len(b.Columns), len(b.Columns[0].Cards))
	}
	detail := fmt.Sprintf("%d deals in %d pipelines, %d in the first column", set.Deals, len(set.Pipelines), b.Columns[0].Count)
	service := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := svc.Board(ctx, deal.BoardQuery{PipelineID: set.Board})
		return err
	})
	base := run(e.ctx, e.single(), plain)
	e.add(Result{Samples: service.N, BaseSamples: base.N, Operation: "kanban board, 8 columns × 50 cards + totals (service)",
		Baseline: "plain SQL, same queries", Unit: "ms p95", Value: ms(service.P95), Base: ms(base.P95),
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms; %s", ms(service.P50), ms(base.P50), detail)})

	appURL, c, stop, err := e.signedInApp(svc)
	if err != nil {
		return err
	}
	defer stop()
	page := appURL + "/deals?pipeline=" + url.QueryEscape(set.Board)
	if err := checkBoardPage(e.ctx, c, page); err != nil {
		return err
	}
	html := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error { return get(ctx, c, page) })
	base = run(e.ctx, e.single(), plain)
	e.add(Result{Samples: html.N, BaseSamples: base.N, Operation: "kanban board as HTML through the handler, one client",
		Baseline: "plain SQL, same queries", Unit: "ms p95", Value: ms(html.P95), Base: ms(base.P95),
		Target: "p95 under 80 ms (SQLite)", Met: e.d.Engine != db.SQLite || html.P95 < 80*time.Millisecond,
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms, errors %d; %s", ms(html.P50), ms(base.P50), html.Errors, detail)})
	return nil
}

// signedInApp serves the real web handler on loopback with deals, signed
// in as the demo owner.
func (e *env) signedInApp(svc *deal.Service) (string, *http.Client, func(), error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := web.New(web.Options{Config: config.Default(), DB: e.d, Users: e.users, Logger: logger,
		Contacts: e.contacts, Companies: e.companies, Activities: e.activities, Fields: customfield.NewService(e.d),
		Views: view.NewService(e.d), Deals: svc})
	if err != nil {
		return "", nil, nil, err
	}
	appURL, stop, err := serve(srv.Handler())
	if err != nil {
		return "", nil, nil, err
	}
	c := client(1)
	res, err := c.PostForm(appURL+"/login", url.Values{"email": {demo.OwnerEmail}, "password": {demo.OwnerPassword}})
	if err != nil {
		stop()
		return "", nil, nil, err
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		stop()
		return "", nil, nil, fmt.Errorf("sign in for the benchmark: %s", res.Status)
	}
	return appURL, c, stop, nil
}

// checkBoardPage makes sure the page measured is the full board.
func checkBoardPage(ctx context.Context, c *http.Client, page string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", page, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	cols, cards := strings.Count(string(b), `class="board-col"`), strings.Count(string(b), `class="deal-card"`)
	if res.StatusCode != 200 || cols != BoardStages || cards < BoardStages {
		return fmt.Errorf("kanban page: %s, %d columns, %d cards", res.Status, cols, cards)
	}
	return nil
}
