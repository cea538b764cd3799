package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/web"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// webhookSite is a signed-in site whose webhooks are delivered by a
// running job queue, as under `rapport serve`.
func webhookSite(t *testing.T, d *db.DB) (*site, *webhook.Service) {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	hooks := webhook.New(webhook.Options{DB: d, Settle: 10 * time.Millisecond})
	ws := river.NewWorkers()
	river.AddWorker(ws, webhook.NewDispatchWorker(hooks))
	river.AddWorker(ws, webhook.NewDeliverWorker(hooks))
	q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		JobTimeout: 20 * time.Second, RescueAfter: 30 * time.Second, FetchPollInterval: 50 * time.Millisecond,
		Queues: map[string]int{webhook.Queue: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	hooks.UseQueue(q)
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: user.NewService(d),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Webhooks: hooks, Fields: customfield.NewService(d)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	st := &site{t: t, db: d, srv: srv, client: newClient()}
	st.post("/setup", owner).expect(t, 303, "/")
	return st, hooks
}

// TestSettingsWebhooks walks an administrator through Settings → Webhooks:
// the private-address refusal beside the field, allowing it, creating a
// webhook (secret shown once), a test event that reaches the receiver, the
// delivery log with its filter, a delivery's page, resend, rotate, disable
// and delete.
func TestSettingsWebhooks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s, _ := webhookSite(t, d)
		var mu sync.Mutex
		var ids []string
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			ids = append(ids, r.Header.Get("webhook-id"))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, "thanks")
		}))
		defer rc.Close()
		received := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), ids...) }

		s.get("/settings").expect(t, 200, "", `href="/settings/webhooks"`)
		s.get("/settings/webhooks").expect(t, 200, "", "No webhooks yet", "Allow webhooks to private addresses")
		s.get("/settings/webhooks/new").expect(t, 200, "", "New webhook", `value="*"`, `value="webhook.*"`)
		form := url.Values{"url": {rc.URL + "/in"}, "description": {"Shop"}, "event_types": {"contact.*", "webhook.created"}}
		r := s.post("/settings/webhooks", form)
		r.expect(t, 422, "", "inside the network", `id="url-error"`, `value="`+rc.URL+`/in"`, `value="Shop"`)
		if !strings.Contains(r.body, `value="contact.*" checked`) {
			t.Error("ticked event type not kept")
		}
		s.post("/settings/webhooks", url.Values{"url": {"ftp://example.com"}}).
			expect(t, 422, "", "Only http and https", "Choose at least one event type.")
		s.post("/settings/webhooks/private", url.Values{"allow_private": {"on"}}).expect(t, 303, "/settings/webhooks")
		s.get("/settings/webhooks").expect(t, 200, "", "may now reach private", `name="allow_private" checked`)

		hookID := recID(t, s.post("/settings/webhooks", form), "/settings/webhooks/")
		page := s.get("/settings/webhooks/" + hookID)
		page.expect(t, 200, "", "Copy its signing secret now", `id="webhook-secret"`, "whsec_", "Nothing sent yet")
		// The page escapes a "+" of the base64 as &#43;: read the text.
		secretRe := regexp.MustCompile(`whsec_[A-Za-z0-9+/]{43}=`)
		secret := secretRe.FindString(html.UnescapeString(page.body))
		if secret == "" {
			t.Fatal("no whole whsec_ secret on the page after creating the webhook")
		}
		if again := s.get("/settings/webhooks/" + hookID); strings.Contains(html.UnescapeString(again.body), secret) {
			t.Error("the secret is shown a second time")
		}

		loc := s.post("/settings/webhooks/"+hookID+"/test", nil)
		deliveryID := recID(t, loc, "/settings/webhooks/"+hookID+"/deliveries/")
		deadline := time.Now().Add(10 * time.Second)
		for len(received()) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := received(); len(got) != 1 || got[0] != deliveryID {
			t.Fatalf("receiver got %v, want the test delivery %s", got, deliveryID)
		}
		var shown response
		for time.Now().Before(deadline) {
			if shown = s.get("/settings/webhooks/" + hookID + "/deliveries/" + deliveryID); strings.Contains(shown.body, "Attempt 1") {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		shown.expect(t, 200, "", "webhook.test", "Attempt 1", ">202<", "thanks", "succeeded", "This is a test event from Rapport.", "Resend")

		log := s.get("/settings/webhooks/" + hookID)
		log.expect(t, 200, "", `id="delivery-`+deliveryID+`"`, "webhook.test")
		s.get("/settings/webhooks/"+hookID+"?status=failed").expect(t, 200, "", "No failed deliveries")

		resent := recID(t, s.post("/settings/webhooks/"+hookID+"/deliveries/"+deliveryID+"/resend", nil), "/settings/webhooks/"+hookID+"/deliveries/")
		if resent == deliveryID {
			t.Error("resend reused the delivery")
		}
		for len(received()) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if got := received(); len(got) != 2 || got[1] != resent {
			t.Errorf("receiver got %v, want the resend %s second", got, resent)
		}
		s.get("/settings/webhooks/"+hookID+"/deliveries/"+resent).expect(t, 200, "", "resend 1")

		s.get("/settings/webhooks/"+hookID+"/edit").expect(t, 200, "", "Edit webhook", `value="contact.*" checked`, `value="Shop"`)
		s.post("/settings/webhooks/"+hookID, url.Values{"url": {rc.URL}, "event_types": {"*"}}).expect(t, 303, "/settings/webhooks/"+hookID)
		s.post("/settings/webhooks/"+hookID+"/rotate", nil).expect(t, 303, "/settings/webhooks/"+hookID)
		if p := html.UnescapeString(s.get("/settings/webhooks/" + hookID).body); secretRe.FindString(p) == "" || strings.Contains(p, secret) {
			t.Error("rotating did not show a new secret once")
		}
		s.post("/settings/webhooks/"+hookID+"/disable", nil).expect(t, 303, "/settings/webhooks/"+hookID)
		s.get("/settings/webhooks/"+hookID).expect(t, 200, "", "Disabled by hand.", `/enable"`)
		s.post("/settings/webhooks/"+hookID+"/test", nil).expect(t, 303, "/settings/webhooks/"+hookID)
		s.post("/settings/webhooks/"+hookID+"/delete", nil).expect(t, 303, "/settings/webhooks")
		s.get("/settings/webhooks").expect(t, 200, "", "Webhook deleted", "No webhooks yet")
		s.get("/settings/webhooks/"+hookID).expect(t, 404, "")
	})
}
