package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rapportcrm/rapport/internal/api"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// serve starts h on a loopback port and returns its base URL.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// client is a keep-alive HTTP client for clients concurrent connections
// that keeps the session cookie.
func client(clients int) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, IdleConnTimeout: time.Minute}}
}

func get(ctx context.Context, c *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return nil
}

// httpOps measures the pages and API through real HTTP on loopback against
// a bare handler that renders the same rows read by plain SQL.
func (e *env) httpOps() error {
	cfg := config.Default()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	fields, views := customfield.NewService(e.d), view.NewService(e.d)
	srv, err := web.New(web.Options{Config: cfg, DB: e.d, Users: e.users, Logger: logger,
		Contacts: e.contacts, Companies: e.companies, Activities: e.activities, Fields: fields, Views: views,
		API: api.New(api.Options{DB: e.d, Contacts: e.contacts, Companies: e.companies, Activities: e.activities,
			Fields: fields, Views: views, Logger: logger})})
	if err != nil {
		return err
	}
	appURL, stopApp, err := serve(srv.Handler())
	if err != nil {
		return err
	}
	defer stopApp()
	bareURL, stopBare, err := serve(e.bareHandler())
	if err != nil {
		return err
	}
	defer stopBare()
	c := client(e.o.Clients)
	res, err := c.PostForm(appURL+"/login", url.Values{"email": {demo.OwnerEmail}, "password": {demo.OwnerPassword}})
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		return fmt.Errorf("sign in for the benchmark: %s", res.Status)
	}
	list := listRequest.Values().Encode()
	load := Limits{Clients: e.o.Clients, Duration: e.o.Duration, MaxOps: e.o.MaxOps * e.o.Clients, Warmup: 10}
	pages := []struct {
		name, app, bare, target string
		ratio                   float64
	}{
		{"contact list as HTML, 50 rows, filter + sort", "/contacts?" + list, "/html", "≥ 60% of baseline req/s, p99 < 250 ms", 0.6},
		{"contact list as JSON from /api/v1/contacts", "/api/v1/contacts?" + list, "/json", "≥ 60% of baseline req/s", 0.6},
	}
	for _, p := range pages {
		app := run(e.ctx, load, func(ctx context.Context, _, _ int) error { return get(ctx, c, appURL+p.app) })
		bare := run(e.ctx, load, func(ctx context.Context, _, _ int) error { return get(ctx, c, bareURL+p.bare) })
		met := app.PerSecond() >= p.ratio*bare.PerSecond() && app.Errors == 0
		if strings.Contains(p.target, "p99") {
			met = met && app.P99 < 250*time.Millisecond
		}
		e.add(Result{Samples: app.N, BaseSamples: bare.N, Operation: fmt.Sprintf("%s, %d connections", p.name, e.o.Clients), Baseline: "bare handler, plain SQL, same rows",
			Unit: "req/s", Value: app.PerSecond(), Base: bare.PerSecond(), HigherIsBetter: true, Target: p.target, Met: met,
			Detail: fmt.Sprintf("p99 %.1f / %.1f ms, errors %d", ms(app.P99), ms(bare.P99), app.Errors)})
	}
	one := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error { return get(ctx, c, appURL+pages[0].app) })
	oneBare := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error { return get(ctx, c, bareURL+"/html") })
	e.add(Result{Samples: one.N, BaseSamples: oneBare.N, Operation: "contact list as HTML, one client", Baseline: "bare handler", Unit: "ms p95",
		Value: ms(one.P95), Base: ms(oneBare.P95), Target: "p95 under 20 ms (SQLite)", Met: one.P95 < 20*time.Millisecond,
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(one.P50), ms(oneBare.P50))})
	page := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error { return get(ctx, c, appURL+"/contacts/"+e.deepID) })
	pageBare := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error { return get(ctx, c, bareURL+"/timeline") })
	e.add(Result{Samples: page.N, BaseSamples: pageBare.N, Operation: "contact page with 500 timeline entries (HTTP)", Baseline: "bare handler, plain SQL",
		Unit: "ms p95", Value: ms(page.P95), Base: ms(pageBare.P95), Target: "p95 under 30 ms", Met: page.P95 < 30*time.Millisecond,
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(page.P50), ms(pageBare.P50))})
	return e.restCreate(c, appURL)
}

// restCreate posts contacts to the API from 8 clients.
func (e *env) restCreate(c *http.Client, appURL string) error {
	var n atomic.Int64
	l := Limits{Clients: 8, Duration: e.o.Duration, MaxOps: e.o.MaxOps}
	s := run(e.ctx, l, func(ctx context.Context, _, _ int) error {
		i := n.Add(1)
		body, _ := json.Marshal(map[string]any{"first_name": "Rest", "last_name": fmt.Sprint(i),
			"emails": []map[string]string{{"address": fmt.Sprintf("rest.%d@create.example", i)}}})
		req, err := http.NewRequestWithContext(ctx, "POST", appURL+"/api/v1/contacts", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := c.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			return fmt.Errorf("POST contact: %s", res.Status)
		}
		return nil
	})
	base := run(e.ctx, l, func(ctx context.Context, _, _ int) error { return e.plainInsert(ctx, int(n.Add(1))) })
	e.add(Result{Samples: s.N, BaseSamples: base.N, Operation: "create a contact over REST, 8 clients", Baseline: "one-row INSERT transactions",
		Unit: "req/s", Value: s.PerSecond(), Base: base.PerSecond(), HigherIsBetter: true,
		Detail: fmt.Sprintf("p95 %.1f / %.1f ms, errors %d", ms(s.P95), ms(base.P95), s.Errors)})
	return nil
}
