package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestWebhooks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member := e.owned(), e.user("member")
		col, p := "/api/v1/webhooks", "/api/v1/webhooks/"
		var hook Webhook
		o.post(t, col, map[string]any{"url": "https://93.184.215.14/hooks", "description": "Shop",
			"event_types": []string{"contact.*", "deal.won"}}).expect(t, 201).decode(t, &hook)
		if !strings.HasPrefix(hook.Secret, "whsec_") || !hook.Enabled || len(hook.EventTypes) != 2 {
			t.Fatalf("created %+v", hook)
		}
		var test WebhookDelivery
		missing := id.New()
		run(t, []scenario{
			{name: "get hides the secret", c: o, method: "GET", path: p + hook.ID, status: 200, check: func(t *testing.T, r result) {
				var w Webhook
				if r.decode(t, &w); w.Secret != "" || w.URL != hook.URL || strings.Contains(string(r.body), hook.Secret) {
					t.Errorf("got %s", r.body)
				}
			}},
			{name: "list", c: o, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				var l WebhookList
				if r.decode(t, &l); len(l.Data) != 1 || l.Data[0].Secret != "" {
					t.Errorf("list %s", r.body)
				}
			}},
			{name: "loopback refused", c: o, method: "POST", path: col, status: 422, fields: []string{"url"},
				body: map[string]any{"url": "http://127.0.0.1:8080/x", "event_types": []string{"*"}}},
			{name: "metadata address refused", c: o, method: "POST", path: col, status: 422, fields: []string{"url"},
				body: map[string]any{"url": "http://169.254.169.254/latest", "event_types": []string{"*"}}},
			{name: "ftp and no types", c: o, method: "POST", path: col, status: 422, fields: []string{"url", "event_types"},
				body: map[string]any{"url": "ftp://93.184.215.14/x", "event_types": []string{}}},
			{name: "bad pattern", c: o, method: "POST", path: col, status: 422, fields: []string{"event_types"},
				body: map[string]any{"url": "https://93.184.215.14/x", "event_types": []string{"Contact Created"}}},
			{name: "member may not create", c: member, method: "POST", path: col, status: 403,
				body: map[string]any{"url": "https://93.184.215.14/x", "event_types": []string{"*"}}},
			{name: "member may not list", c: member, method: "GET", path: col, status: 403},
			{name: "anonymous", c: e.anonymous(), method: "GET", path: col, status: 401},
			{name: "patch disables", c: o, method: "PATCH", path: p + hook.ID, status: 200,
				body: map[string]any{"enabled": false, "description": "Shop sync"}, check: func(t *testing.T, r result) {
					var w Webhook
					if r.decode(t, &w); w.Enabled || w.Description != "Shop sync" || w.URL != hook.URL || w.DisabledReason == "" {
						t.Errorf("patched %+v", w)
					}
				}},
			{name: "test on a disabled webhook", c: o, method: "POST", path: p + hook.ID + "/test", status: 422},
			{name: "patch enables", c: o, method: "PATCH", path: p + hook.ID, status: 200, body: map[string]any{"enabled": true}},
			{name: "test event", c: o, method: "POST", path: p + hook.ID + "/test", status: 202, check: func(t *testing.T, r result) {
				if r.decode(t, &test); test.EventType != "webhook.test" || test.Status != "pending" ||
					r.header.Get("Location") != p+hook.ID+"/deliveries/"+test.ID {
					t.Errorf("test delivery %s (Location %s)", r.body, r.header.Get("Location"))
				}
			}},
			{name: "deliveries", c: o, method: "GET", path: p + hook.ID + "/deliveries", status: 200, check: func(t *testing.T, r result) {
				var page WebhookDeliveryPage
				if r.decode(t, &page); len(page.Data) != 1 || page.Data[0].ID != test.ID {
					t.Errorf("deliveries %s", r.body)
				}
			}},
			{name: "failed deliveries", c: o, method: "GET", path: p + hook.ID + "/deliveries?status=failed", status: 200,
				check: func(t *testing.T, r result) {
					var page WebhookDeliveryPage
					if r.decode(t, &page); len(page.Data) != 0 {
						t.Errorf("failed deliveries %s", r.body)
					}
				}},
			{name: "bad cursor", c: o, method: "GET", path: p + hook.ID + "/deliveries?cursor=nope", status: 422},
		})
		run(t, []scenario{
			{name: "get delivery", c: o, method: "GET", path: p + hook.ID + "/deliveries/" + test.ID, status: 200,
				check: func(t *testing.T, r result) {
					var x WebhookDelivery
					if r.decode(t, &x); !json.Valid(x.Payload) || !strings.Contains(string(x.Payload), `"type":"webhook.test"`) {
						t.Errorf("delivery %s", r.body)
					}
				}},
			{name: "resend", c: o, method: "POST", path: p + hook.ID + "/deliveries/" + test.ID + "/resend", status: 202},
			{name: "rotate", c: o, method: "POST", path: p + hook.ID + "/rotate-secret", status: 200, check: func(t *testing.T, r result) {
				var w Webhook
				if r.decode(t, &w); !strings.HasPrefix(w.Secret, "whsec_") || w.Secret == hook.Secret {
					t.Errorf("rotated %+v", w)
				}
			}},
			{name: "missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "delivery of another webhook", c: o, method: "GET", path: p + missing + "/deliveries/" + test.ID, status: 404},
			{name: "member may not delete", c: member, method: "DELETE", path: p + hook.ID, status: 403},
			{name: "delete", c: o, method: "DELETE", path: p + hook.ID, status: 204},
			{name: "gone", c: o, method: "GET", path: p + hook.ID, status: 404},
		})
	})
}
