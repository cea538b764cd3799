package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/rapportcrm/rapport/internal/api"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/setting"
)

// apiKeyRead measures GET /api/v1/contacts/{id} with a bearer API key
// under 64 connections against an empty handler behind the same
// authentication and rate limit, in the same run: what the contact read
// itself costs on top of checking the key.
func (e *env) apiKeyRead() error {
	// A quota no run reaches: the limiter still does its database write
	// on every request, on both sides.
	if err := e.d.WithTx(e.ctx, func(tx *db.Tx) error {
		return setting.Set(e.ctx, tx, api.SettingKeyRate, "10000000")
	}); err != nil {
		return err
	}
	keys := apikey.NewService(e.d, e.users)
	k, err := keys.Create(e.ctx, apikey.Input{Name: "Benchmark", Scopes: []string{"contacts:read"}})
	if err != nil {
		return err
	}
	a := api.New(api.Options{DB: e.d, Users: e.users, Contacts: e.contacts, Companies: e.companies, Activities: e.activities,
		Keys: keys, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	appURL, stopApp, err := serve(a)
	if err != nil {
		return err
	}
	defer stopApp()
	empty := a.Authenticated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	}))
	emptyURL, stopEmpty, err := serve(empty)
	if err != nil {
		return err
	}
	defer stopEmpty()
	const clients = 64
	c := client(clients)
	bearer := func(ctx context.Context, u string) error {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+k.Secret)
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
	path := api.Prefix + "/contacts/" + e.deepID
	load := Limits{Clients: clients, Duration: e.o.Duration, MaxOps: e.o.MaxOps * clients, Warmup: 10}
	app := run(e.ctx, load, func(ctx context.Context, _, _ int) error { return bearer(ctx, appURL+path) })
	bare := run(e.ctx, load, func(ctx context.Context, _, _ int) error { return bearer(ctx, emptyURL+path) })
	e.add(Result{Samples: app.N, BaseSamples: bare.N, Operation: fmt.Sprintf("GET /api/v1/contacts/{id} with an API key, %d connections", clients),
		Baseline: "empty handler behind the same key check and rate limit", Unit: "req/s", Value: app.PerSecond(), Base: bare.PerSecond(),
		HigherIsBetter: true, Target: "≥ 30% of baseline req/s", Met: app.PerSecond() >= 0.3*bare.PerSecond() && app.Errors == 0 && bare.Errors == 0,
		Detail: fmt.Sprintf("p99 %.1f / %.1f ms, errors %d / %d", ms(app.P99), ms(bare.P99), app.Errors, bare.Errors)})
	return nil
}
