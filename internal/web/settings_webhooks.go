package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// Settings → Webhooks: subscriptions (URL, event kinds, secret shown once),
// each with its delivery log, a delivery's attempts and payload, resend and
// a test event. The webhook service checks every action (the webhooks
// object, administrators only).

// webhookRoutes registers the pages of Settings → Webhooks.
func (s *Server) webhookRoutes(page func(pattern string, h http.HandlerFunc)) {
	if s.webhooks == nil {
		return
	}
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /settings/webhooks", s.webhookList)
	p("POST /settings/webhooks/private", s.webhookPrivate)
	p("GET /settings/webhooks/new", s.webhookNew)
	p("POST /settings/webhooks", s.webhookCreate)
	p("GET /settings/webhooks/{id}", s.webhookShow)
	p("GET /settings/webhooks/{id}/edit", s.webhookEdit)
	p("POST /settings/webhooks/{id}", s.webhookUpdate)
	p("POST /settings/webhooks/{id}/enable", s.webhookEnable(true))
	p("POST /settings/webhooks/{id}/disable", s.webhookEnable(false))
	p("POST /settings/webhooks/{id}/rotate", s.webhookRotate)
	p("POST /settings/webhooks/{id}/test", s.webhookTest)
	p("POST /settings/webhooks/{id}/delete", s.webhookDelete)
	p("GET /settings/webhooks/{id}/deliveries/{delivery}", s.webhookDelivery)
	p("POST /settings/webhooks/{id}/deliveries/{delivery}/resend", s.webhookResend)
}

// ManagesWebhooks reports whether the signed-in user may open Settings →
// Webhooks, for the card on the settings page.
func (p page) ManagesWebhooks() bool {
	return p.User != nil && access.Allowed(p.User.Actor(), webhook.Object, access.Read)
}

type webhookListView struct {
	page
	Webhooks     []webhook.Subscription
	AllowPrivate bool
	CanChange    bool
}

func (s *Server) webhookList(w http.ResponseWriter, r *http.Request) {
	subs, err := s.webhooks.List(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	allow, err := s.webhooks.AllowPrivate(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := webhookListView{page: s.page(r, "Webhooks"), Webhooks: subs, AllowPrivate: allow}
	v.CanChange = v.User != nil && access.Allowed(v.User.Actor(), access.Settings, access.Update)
	s.render(w, r, http.StatusOK, "settings_webhooks", v)
}

func (s *Server) webhookPrivate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	on := r.PostFormValue("allow_private") == "on"
	if err := s.webhooks.SetAllowPrivate(r.Context(), on); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Webhooks may no longer reach private addresses."
	if on {
		msg = "Webhooks may now reach private and loopback addresses."
	}
	s.redirect(w, r, "/settings/webhooks", msg)
}

// kindChoice is one event type to tick.
type kindChoice struct {
	Value, Label string
	Checked      bool
}

type webhookFormView struct {
	page
	ID          string
	URL         string
	Description string
	// All, Domains and Kinds are the choices: every event, every event of
	// a domain, one kind.
	All     kindChoice
	Domains []kindChoice
	Kinds   []kindChoice
	Errors  *apperr.Validation
}

func (s *Server) renderWebhookForm(w http.ResponseWriter, r *http.Request, status int, subID string, in webhook.Input, verr *apperr.Validation) {
	kinds, err := s.webhooks.Kinds(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	title := "New webhook"
	if subID != "" {
		title = "Edit webhook"
	}
	v := webhookFormView{page: s.page(r, title), ID: subID, URL: in.URL, Description: in.Description, Errors: verr,
		All: kindChoice{Value: "*", Label: "Every event", Checked: slices.Contains(in.EventTypes, "*")}}
	for _, d := range webhook.Domains(kinds) {
		v.Domains = append(v.Domains, kindChoice{Value: d, Label: "Every " + strings.TrimSuffix(d, ".*") + " event",
			Checked: slices.Contains(in.EventTypes, d)})
	}
	for _, k := range kinds {
		v.Kinds = append(v.Kinds, kindChoice{Value: k, Label: k, Checked: slices.Contains(in.EventTypes, k)})
	}
	// Kinds typed through the API that are not among the choices stay.
	for _, t := range in.EventTypes {
		if t != "*" && !slices.Contains(kinds, t) && !slices.ContainsFunc(v.Domains, func(c kindChoice) bool { return c.Value == t }) {
			v.Kinds = append(v.Kinds, kindChoice{Value: t, Label: t, Checked: true})
		}
	}
	s.render(w, r, status, "settings_webhook_form", v)
}

func (s *Server) webhookNew(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), webhook.Object, access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderWebhookForm(w, r, http.StatusOK, "", webhook.Input{}, nil)
}

func postedWebhook(r *http.Request) webhook.Input {
	return webhook.Input{URL: r.PostFormValue("url"), Description: r.PostFormValue("description"),
		EventTypes: r.PostForm["event_types"]}
}

// secretKey is the session key under which a new secret waits to be shown
// once on the webhook's page.
func secretKey(subID string) string { return "webhook-secret:" + subID }

func (s *Server) webhookCreate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	in := postedWebhook(r)
	sub, err := s.webhooks.Create(r.Context(), in)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderWebhookForm(w, r, invalidStatus(verr), "", in, verr)
		return
	}
	s.sessions.Put(r.Context(), secretKey(sub.ID), sub.Secret)
	s.redirect(w, r, "/settings/webhooks/"+sub.ID, "Webhook created. Copy its signing secret now: it is shown only once.")
}

func (s *Server) webhookEdit(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), webhook.Object, access.Update); err != nil {
		s.fail(w, r, err)
		return
	}
	sub, err := s.webhooks.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderWebhookForm(w, r, http.StatusOK, sub.ID, webhook.Input{URL: sub.URL, Description: sub.Description,
		EventTypes: sub.EventTypes}, nil)
}

func (s *Server) webhookUpdate(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	in := postedWebhook(r)
	sub, err := s.webhooks.Update(r.Context(), r.PathValue("id"), in)
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.renderWebhookForm(w, r, invalidStatus(verr), r.PathValue("id"), in, verr)
		return
	}
	s.redirect(w, r, "/settings/webhooks/"+sub.ID, "Webhook saved.")
}

type webhookView struct {
	page
	Webhook webhook.Subscription
	// Secret is the signing secret, only right after it was made.
	Secret     string
	Deliveries []webhook.Delivery
	// OnlyFailed filters the log; Older and Newest link its pages.
	OnlyFailed bool
	Older      string
	Newest     string
	CanChange  bool
}

func (s *Server) webhookShow(w http.ResponseWriter, r *http.Request) {
	sub, err := s.webhooks.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	failed, before := q.Get("status") == "failed", q.Get("before")
	page, err := s.webhooks.Deliveries(r.Context(), sub.ID, failed, before, webhook.PageSize)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := webhookView{page: s.page(r, "Webhook "+sub.URL), Webhook: sub, Deliveries: page.Deliveries, OnlyFailed: failed,
		Secret: s.sessions.PopString(r.Context(), secretKey(sub.ID))}
	v.CanChange = v.User != nil && access.Allowed(v.User.Actor(), webhook.Object, access.Update)
	base := "/settings/webhooks/" + sub.ID
	params := url.Values{}
	if failed {
		params.Set("status", "failed")
	}
	if before != "" {
		v.Newest = base
		if failed {
			v.Newest += "?" + params.Encode()
		}
	}
	if page.Next != "" {
		params.Set("before", page.Next)
		v.Older = base + "?" + params.Encode()
	}
	s.render(w, r, http.StatusOK, "settings_webhook", v)
}

func (s *Server) webhookEnable(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sub, err := s.webhooks.SetEnabled(r.Context(), r.PathValue("id"), on)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		msg := "Webhook disabled: no events are sent to it."
		if on {
			msg = "Webhook enabled."
		}
		s.redirect(w, r, "/settings/webhooks/"+sub.ID, msg)
	}
}

func (s *Server) webhookRotate(w http.ResponseWriter, r *http.Request) {
	sub, err := s.webhooks.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), secretKey(sub.ID), sub.Secret)
	s.redirect(w, r, "/settings/webhooks/"+sub.ID, "New signing secret made; the old one no longer signs. Copy it now: it is shown only once.")
}

func (s *Server) webhookTest(w http.ResponseWriter, r *http.Request) {
	d, err := s.webhooks.SendTest(r.Context(), r.PathValue("id"))
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.redirect(w, r, "/settings/webhooks/"+r.PathValue("id"), verr.Fields[0].Message)
		return
	}
	s.redirect(w, r, "/settings/webhooks/"+d.SubscriptionID+"/deliveries/"+d.ID, "Test event queued; reload to see its answer.")
}

func (s *Server) webhookDelete(w http.ResponseWriter, r *http.Request) {
	if err := s.webhooks.Delete(r.Context(), r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/settings/webhooks", "Webhook deleted with its delivery log.")
}

type webhookDeliveryView struct {
	page
	Webhook   webhook.Subscription
	Delivery  webhook.Delivery
	Attempts  []webhook.Attempt
	Payload   string
	CanChange bool
}

// delivery reads the delivery in the path, not found when it belongs to
// another webhook than the one in the path.
func (s *Server) delivery(r *http.Request) (webhook.Subscription, webhook.Delivery, []webhook.Attempt, error) {
	sub, err := s.webhooks.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return sub, webhook.Delivery{}, nil, err
	}
	d, as, err := s.webhooks.Delivery(r.Context(), r.PathValue("delivery"))
	if err == nil && d.SubscriptionID != sub.ID {
		err = apperr.ErrNotFound
	}
	return sub, d, as, err
}

func (s *Server) webhookDelivery(w http.ResponseWriter, r *http.Request) {
	sub, d, as, err := s.delivery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, d.Payload, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(d.Payload)
	}
	v := webhookDeliveryView{page: s.page(r, "Delivery of "+d.EventKind), Webhook: sub, Delivery: d, Attempts: as,
		Payload: pretty.String()}
	v.CanChange = v.User != nil && access.Allowed(v.User.Actor(), webhook.Object, access.Update)
	s.render(w, r, http.StatusOK, "settings_webhook_delivery", v)
}

func (s *Server) webhookResend(w http.ResponseWriter, r *http.Request) {
	if _, _, _, err := s.delivery(r); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.webhooks.Resend(r.Context(), r.PathValue("delivery"))
	if verr, err := formError(err); err != nil {
		s.fail(w, r, err)
		return
	} else if verr != nil {
		s.redirect(w, r, "/settings/webhooks/"+r.PathValue("id")+"/deliveries/"+r.PathValue("delivery"), verr.Fields[0].Message)
		return
	}
	s.redirect(w, r, "/settings/webhooks/"+d.SubscriptionID+"/deliveries/"+d.ID, "Resent as a new delivery; the earlier one is kept as it was.")
}
