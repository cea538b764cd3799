package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// Webhook is a subscription: events of the kinds chosen are POSTed to url,
// signed per the Standard Webhooks specification.
type Webhook struct {
	ID             string     `json:"id" format:"uuid"`
	URL            string     `json:"url" example:"https://shop.example.com/rapport-hooks"`
	Description    string     `json:"description"`
	EventTypes     []string   `json:"event_types" example:"[\"contact.*\",\"deal.stage_changed\"]" doc:"Exact kinds, \"domain.*\" or \"*\"."`
	Enabled        bool       `json:"enabled"`
	DisabledReason string     `json:"disabled_reason,omitempty" doc:"Why it is disabled (by hand, or after a day of failed deliveries)."`
	FailingSince   *time.Time `json:"failing_since,omitempty" doc:"Every attempt since this time has failed; cleared by a success."`
	Secret         string     `json:"secret,omitempty" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" doc:"The signing secret; only in the answers of create and rotate-secret."`
	CreatedBy      string     `json:"created_by,omitempty" format:"uuid"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func toWebhook(s webhook.Subscription, withSecret bool) Webhook {
	w := Webhook{ID: s.ID, URL: s.URL, Description: s.Description, EventTypes: nonNil(s.EventTypes), Enabled: s.Enabled,
		DisabledReason: s.DisabledReason, FailingSince: timePtr(s.FailingSince), CreatedBy: s.CreatedBy,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if withSecret {
		w.Secret = s.Secret
	}
	return w
}

// WebhookInput creates a webhook (POST: url and event_types required) or
// changes one (PATCH: only the fields sent).
type WebhookInput struct {
	URL         *string  `json:"url,omitempty" doc:"http or https; addresses inside the network are refused unless an administrator allows them."`
	Description *string  `json:"description,omitempty"`
	EventTypes  []string `json:"event_types,omitempty" example:"[\"contact.*\"]"`
	Enabled     *bool    `json:"enabled,omitempty"`
}

// WebhookDelivery is one event sent (or to be sent) to a webhook; its id is
// the webhook-id header.
type WebhookDelivery struct {
	ID            string           `json:"id" format:"uuid"`
	WebhookID     string           `json:"webhook_id" format:"uuid"`
	EventID       string           `json:"event_id" format:"uuid"`
	EventType     string           `json:"event_type" example:"contact.created"`
	Resend        int              `json:"resend" doc:"0 for the original delivery, n for the n-th resend of the event."`
	Status        string           `json:"status" enum:"pending,succeeded,failed,dead" doc:"failed: another attempt is scheduled; dead: no more attempts."`
	Attempts      int              `json:"attempts"`
	NextAttemptAt *time.Time       `json:"next_attempt_at,omitempty"`
	LastStatus    int              `json:"last_status,omitempty" doc:"HTTP status of the last answer."`
	LastError     string           `json:"last_error,omitempty"`
	CreatedAt     time.Time        `json:"created_at"`
	DeliveredAt   *time.Time       `json:"delivered_at,omitempty"`
	Payload       json.RawMessage  `json:"payload,omitempty" doc:"The body sent; in the answer for one delivery."`
	Log           []WebhookAttempt `json:"log,omitempty" doc:"Every attempt, oldest first; in the answer for one delivery."`
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	Attempt    int       `json:"attempt"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"status_code,omitempty" doc:"Absent when no answer came."`
	DurationMS int       `json:"duration_ms"`
	Response   string    `json:"response,omitempty" doc:"The first kilobyte of the answer."`
	Error      string    `json:"error,omitempty"`
}

func toDelivery(d webhook.Delivery) WebhookDelivery {
	return WebhookDelivery{ID: d.ID, WebhookID: d.SubscriptionID, EventID: d.EventID, EventType: d.EventKind,
		Resend: d.Resend, Status: d.Status, Attempts: d.Attempts, NextAttemptAt: timePtr(d.NextAttemptAt),
		LastStatus: d.LastStatus, LastError: d.LastError, CreatedAt: d.CreatedAt, DeliveredAt: timePtr(d.DeliveredAt)}
}

// WebhookList is every webhook, oldest first.
type WebhookList struct {
	Data []Webhook `json:"data"`
}

// WebhookDeliveryPage is a page of a webhook's delivery log, newest first.
type WebhookDeliveryPage struct {
	Data       []WebhookDelivery `json:"data"`
	NextCursor string            `json:"next_cursor,omitempty" doc:"Pass as cursor for older deliveries; absent on the last page."`
}

type webhookInput struct{ Body WebhookInput }
type webhookPatch struct {
	IDPath
	Body WebhookInput
}
type webhookOut struct{ Body Webhook }
type webhookCreated struct {
	Location string `header:"Location" doc:"The new webhook's URL."`
	Body     Webhook
}
type webhookListOut struct{ Body WebhookList }
type deliveryPath struct {
	IDPath
	DeliveryID string `path:"delivery_id" doc:"The delivery's id (the webhook-id header)."`
}
type deliveryList struct {
	IDPath
	Status string `query:"status" enum:"failed," doc:"failed: only failed and dead deliveries."`
	Cursor string `query:"cursor" doc:"next_cursor of the page before."`
	Limit  int    `query:"limit" doc:"Page size, 1 to 200 (default 50)."`
}
type deliveryOut struct{ Body WebhookDelivery }
type deliveryAccepted struct {
	Location string `header:"Location" doc:"The new delivery's URL."`
	Body     WebhookDelivery
}
type deliveryPageOut struct{ Body WebhookDeliveryPage }

func (a *API) webhookRoutes() {
	tags := []string{"Webhooks"}
	p := Prefix + "/webhooks"
	nf := []int{http.StatusNotFound}
	register(a, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List webhooks"}, a.listWebhooks)
	register(a, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a webhook", Description: "The answer carries the signing secret; no other answer does, except rotate-secret.",
		DefaultStatus: http.StatusCreated}, a.createWebhook)
	register(a, huma.Operation{OperationID: "get-webhook", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a webhook", Errors: nf}, a.getWebhook)
	register(a, huma.Operation{OperationID: "update-webhook", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a webhook", Description: "Only the fields sent change. Enabling a disabled webhook clears its failure record.",
		Errors: nf}, a.updateWebhook)
	register(a, huma.Operation{OperationID: "delete-webhook", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a webhook and its delivery log", DefaultStatus: http.StatusNoContent, Errors: nf}, a.deleteWebhook)
	register(a, huma.Operation{OperationID: "rotate-webhook-secret", Method: http.MethodPost, Path: p + "/{id}/rotate-secret", Tags: tags,
		Summary: "Give a webhook a new signing secret", Errors: nf}, a.rotateWebhookSecret)
	register(a, huma.Operation{OperationID: "test-webhook", Method: http.MethodPost, Path: p + "/{id}/test", Tags: tags,
		Summary: "Send a test event (webhook.test)", DefaultStatus: http.StatusAccepted, Errors: nf}, a.testWebhook)
	register(a, huma.Operation{OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: p + "/{id}/deliveries", Tags: tags,
		Summary: "List a webhook's deliveries, newest first", Errors: nf}, a.listWebhookDeliveries)
	register(a, huma.Operation{OperationID: "get-webhook-delivery", Method: http.MethodGet, Path: p + "/{id}/deliveries/{delivery_id}", Tags: tags,
		Summary: "Get a delivery with its payload and attempts", Errors: nf}, a.getWebhookDelivery)
	register(a, huma.Operation{OperationID: "resend-webhook-delivery", Method: http.MethodPost,
		Path: p + "/{id}/deliveries/{delivery_id}/resend", Tags: tags,
		Summary:       "Resend a delivery",
		Description:   "Makes a new delivery of the same event with the same payload (a new webhook-id); the old one is left as it was.",
		DefaultStatus: http.StatusAccepted, Errors: nf}, a.resendWebhookDelivery)
}

func (a *API) listWebhooks(ctx context.Context, _ *struct{}) (*webhookListOut, error) {
	subs, err := a.o.Webhooks.List(ctx)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &webhookListOut{Body: WebhookList{Data: make([]Webhook, len(subs))}}
	for i, s := range subs {
		out.Body.Data[i] = toWebhook(s, false)
	}
	return out, nil
}

func (a *API) createWebhook(ctx context.Context, in *webhookInput) (*webhookCreated, error) {
	b := in.Body
	wi := webhook.Input{EventTypes: b.EventTypes, Enabled: b.Enabled}
	if b.URL != nil {
		wi.URL = *b.URL
	}
	if b.Description != nil {
		wi.Description = *b.Description
	}
	s, err := a.o.Webhooks.Create(ctx, wi)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &webhookCreated{Location: Prefix + "/webhooks/" + s.ID, Body: toWebhook(s, true)}, nil
}

func (a *API) getWebhook(ctx context.Context, in *IDPath) (*webhookOut, error) {
	s, err := a.o.Webhooks.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &webhookOut{Body: toWebhook(s, false)}, nil
}

func (a *API) updateWebhook(ctx context.Context, in *webhookPatch) (*webhookOut, error) {
	cur, err := a.o.Webhooks.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	wi := webhook.Input{URL: cur.URL, Description: cur.Description, EventTypes: cur.EventTypes, Enabled: in.Body.Enabled}
	if in.Body.URL != nil {
		wi.URL = *in.Body.URL
	}
	if in.Body.Description != nil {
		wi.Description = *in.Body.Description
	}
	if in.Body.EventTypes != nil {
		wi.EventTypes = in.Body.EventTypes
	}
	s, err := a.o.Webhooks.Update(ctx, in.ID, wi)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &webhookOut{Body: toWebhook(s, false)}, nil
}

func (a *API) deleteWebhook(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Webhooks.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) rotateWebhookSecret(ctx context.Context, in *IDPath) (*webhookOut, error) {
	s, err := a.o.Webhooks.RotateSecret(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &webhookOut{Body: toWebhook(s, true)}, nil
}

func (a *API) testWebhook(ctx context.Context, in *IDPath) (*deliveryAccepted, error) {
	d, err := a.o.Webhooks.SendTest(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &deliveryAccepted{Location: fmt.Sprintf("%s/webhooks/%s/deliveries/%s", Prefix, in.ID, d.ID), Body: toDelivery(d)}, nil
}

func (a *API) listWebhookDeliveries(ctx context.Context, in *deliveryList) (*deliveryPageOut, error) {
	page, err := a.o.Webhooks.Deliveries(ctx, in.ID, in.Status == "failed", in.Cursor, in.Limit)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &deliveryPageOut{Body: WebhookDeliveryPage{Data: make([]WebhookDelivery, len(page.Deliveries)), NextCursor: page.Next}}
	for i, d := range page.Deliveries {
		out.Body.Data[i] = toDelivery(d)
	}
	return out, nil
}

// delivery returns a delivery of the webhook in the path, not found when
// it belongs to another.
func (a *API) delivery(ctx context.Context, in *deliveryPath) (webhook.Delivery, []webhook.Attempt, error) {
	d, as, err := a.o.Webhooks.Delivery(ctx, in.DeliveryID)
	if err == nil && d.SubscriptionID != in.ID {
		err = fmt.Errorf("api: delivery %s of another webhook: %w", in.DeliveryID, apperr.ErrNotFound)
	}
	return d, as, err
}

func (a *API) getWebhookDelivery(ctx context.Context, in *deliveryPath) (*deliveryOut, error) {
	d, as, err := a.delivery(ctx, in)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := toDelivery(d)
	out.Payload = d.Payload
	out.Log = make([]WebhookAttempt, len(as))
	for i, x := range as {
		out.Log[i] = WebhookAttempt{Attempt: x.Attempt, At: x.At, StatusCode: x.StatusCode, DurationMS: x.DurationMS,
			Response: x.Response, Error: x.Error}
	}
	return &deliveryOut{Body: out}, nil
}

func (a *API) resendWebhookDelivery(ctx context.Context, in *deliveryPath) (*deliveryAccepted, error) {
	if _, _, err := a.delivery(ctx, in); err != nil {
		return nil, a.fail(ctx, err)
	}
	d, err := a.o.Webhooks.Resend(ctx, in.DeliveryID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &deliveryAccepted{Location: fmt.Sprintf("%s/webhooks/%s/deliveries/%s", Prefix, in.ID, d.ID), Body: toDelivery(d)}, nil
}
