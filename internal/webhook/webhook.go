// Package webhook tells other systems what happened in Rapport: every
// event in the events table can be published to subscriptions (a URL and
// the event kinds it wants), delivered by durable jobs, signed per the
// Standard Webhooks specification, retried with backoff for more than a
// day, logged attempt by attempt, and a subscription that keeps failing is
// disabled with an email to whoever created it.
//
// The flow: a dispatcher job reads the events after its cursor, writes one
// delivery per matching subscription and moves the cursor, all in one
// transaction. Each delivery has a job per attempt; the attempt's log row,
// the delivery's new state, the next attempt's job (after a failure) and
// the job's completion are written in one transaction, so a restart never
// repeats an attempt whose outcome was recorded.
package webhook

import (
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
)

// Object is the permission object of webhooks: an administrator's tool.
const Object = "webhooks"

func init() {
	access.Register(access.Object{Name: Object, Label: "Webhooks", Admin: true})
}

// Delivery statuses.
const (
	// Pending: not tried yet.
	Pending = "pending"
	// Succeeded: the receiver answered 2xx.
	Succeeded = "succeeded"
	// Failed: the last attempt failed; another is scheduled at NextAttemptAt.
	Failed = "failed"
	// Dead: no further attempt (retries used up, or the subscription was
	// disabled or deleted meanwhile).
	Dead = "dead"
)

// Subscription is a receiver of events.
type Subscription struct {
	ID          string
	URL         string
	Description string
	// EventTypes are exact kinds ("contact.created"), "domain.*" or "*".
	EventTypes []string
	// Secret is "whsec_" + base64 of the signing key.
	Secret         string
	Enabled        bool
	DisabledReason string
	FailingSince   time.Time
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Matches reports whether the subscription wants events of kind.
func (s Subscription) Matches(kind string) bool { return matchAny(s.EventTypes, kind) }

func matchAny(patterns []string, kind string) bool {
	for _, p := range patterns {
		switch {
		case p == "*":
			return true
		case strings.HasSuffix(p, ".*"):
			if strings.HasPrefix(kind, p[:len(p)-1]) {
				return true
			}
		case p == kind:
			return true
		}
	}
	return false
}

// Delivery is one event sent (or to be sent) to one subscription. Its ID is
// the webhook-id header, the same on every attempt, so receivers can
// recognise a repeat.
type Delivery struct {
	ID             string
	SubscriptionID string
	EventID        string
	// Resend is 0 for the delivery the dispatcher made, n for the n-th
	// resend of the same event.
	Resend    int
	EventKind string
	// ContactID is the person the event is about, if any.
	ContactID     string
	Payload       json.RawMessage
	Status        string
	Attempts      int
	NextAttemptAt time.Time
	LastStatus    int
	LastError     string
	CreatedAt     time.Time
	DeliveredAt   time.Time
}

// Attempt is one try of a delivery.
type Attempt struct {
	ID         string
	DeliveryID string
	Attempt    int
	At         time.Time
	// StatusCode is 0 when no response came.
	StatusCode int
	DurationMS int
	// Response is the start of the response body (at most 1 KB).
	Response string
	Error    string
}

// Schedule is the wait after each failed attempt: after the first failure
// 5 s, ... The sum is 25.7 h; each wait is lengthened by a random 0–20 %
// (jitter, never shortened), so the last attempt comes 25.7–30.9 h after
// the first. After len(Schedule)+1 failed attempts the delivery is dead.
var Schedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 10 * time.Hour,
}

// MaxAttempts is how many times a delivery is tried.
var MaxAttempts = len(Schedule) + 1

// Jitter is the largest fraction a wait is lengthened by.
const Jitter = 0.2

// Backoff returns the wait after the attempt-th failed attempt (1-based)
// and whether there is another attempt at all.
func Backoff(attempt int) (time.Duration, bool) {
	if attempt < 1 || attempt > len(Schedule) {
		return 0, false
	}
	d := Schedule[attempt-1]
	return d + time.Duration(rand.Float64()*Jitter*float64(d)), true
}

// DisableAfter is how long every attempt to a subscription must have
// failed (no 2xx in between) before it is disabled.
const DisableAfter = 24 * time.Hour

// Timeout bounds one HTTP attempt, connection to last byte.
const Timeout = 10 * time.Second

// ResponseExcerpt is how much of a response body the log keeps.
const ResponseExcerpt = 1024

// NewSecret returns a fresh signing secret: "whsec_" + base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := crand.Read(b); err != nil {
		panic(err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

const secretPrefix = "whsec_"

// secretKey decodes the signing key of a secret.
func secretKey(secret string) ([]byte, error) {
	raw, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errors.New("webhook: secret does not start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook: secret is not base64: %w", err)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("webhook: secret key of %d bytes, want 24 to 64", len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header value for a message: "v1," +
// base64 of HMAC-SHA256 over "id.timestamp.body" keyed with the decoded
// secret.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(ts.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// Payload is the body of a webhook request.
type Payload struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      EventData `json:"data"`
}

// EventData is what a payload says about its event.
type EventData struct {
	ID          string          `json:"id"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	ContactID   string          `json:"contact_id,omitempty"`
	CompanyID   string          `json:"company_id,omitempty"`
	DealID      string          `json:"deal_id,omitempty"`
	ActorID     string          `json:"actor_id,omitempty"`
	Data        json.RawMessage `json:"data"`
}

// kindPattern is what an event type may look like: "domain.verb" (more
// dots allowed), "domain.*" or "*".
var kindPattern = regexp.MustCompile(`^(\*|[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\.(\*|[a-z0-9_]+))$`)

var (
	kindsMu sync.RWMutex
	// kinds starts with what the domains record today; a domain adds
	// its own with RegisterKinds.
	kinds = map[string]bool{}
)

func init() {
	RegisterKinds(
		"contact.created", "contact.updated", "contact.deleted", "contact.merged", "contact.tagged", "contact.untagged",
		"contact.owner_changed", "contact.consent_changed", "contact.imported", "contact.erased",
		"company.created", "company.updated", "company.deleted", "company.merged", "company.tagged", "company.owner_changed",
		"activity.created", "note.added",
		"deal.created", "deal.updated", "deal.stage_changed", "deal.won", "deal.lost",
		"task.created", "task.updated", "task.completed", "task.reopened", "task.deleted",
		"webhook.created", "webhook.updated", "webhook.deleted", "webhook.enabled", "webhook.disabled",
		"webhook.secret_rotated", "webhook.resent",
	)
}

// RegisterKinds adds event kinds a domain records to the choices offered
// when subscribing (kinds already recorded in the events table are offered
// anyway).
func RegisterKinds(k ...string) {
	kindsMu.Lock()
	defer kindsMu.Unlock()
	for _, x := range k {
		kinds[x] = true
	}
}

func registeredKinds() []string {
	kindsMu.RLock()
	defer kindsMu.RUnlock()
	out := make([]string, 0, len(kinds))
	for k := range kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
