package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/jobs"
)

// verify checks a request the way a receiver following the Standard
// Webhooks specification would, written from the specification and not
// with the sending code: the key is the base64 after "whsec_", the signed
// content is "{webhook-id}.{webhook-timestamp}.{body}", the signature is
// base64 of its HMAC-SHA256, and the header lists "v1,<sig>" values
// separated by spaces.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	msgID, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if msgID == "" || ts == "" || sigs == "" {
		return fmt.Errorf("missing headers: id %q, timestamp %q, signature %q", msgID, ts, sigs)
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return fmt.Errorf("timestamp %s is %s away from now", ts, d)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + ts + "." + string(body)))
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("no valid v1 signature in %q", sigs)
}

// received is one request a receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

// receiver is a loopback HTTP server that records what it gets and
// answers with respond (200 when nil).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	respond func(n int, w http.ResponseWriter, r *http.Request)
}

func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{header: r.Header.Clone(), body: body, at: time.Now()})
		n := len(rc.got)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

// newQueue returns a job queue working webhook jobs for s, started unless
// start is false.
func newQueue(t *testing.T, d *db.DB, s *Service, start bool) *jobs.Queue {
	t.Helper()
	ws := river.NewWorkers()
	river.AddWorker(ws, NewDispatchWorker(s))
	river.AddWorker(ws, NewDeliverWorker(s))
	q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		JobTimeout: 20 * time.Second, RescueAfter: 30 * time.Second, FetchPollInterval: 50 * time.Millisecond,
		MaxWorkers: 5, Queues: map[string]int{Queue: 20}})
	if err != nil {
		t.Fatal(err)
	}
	if start {
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return q
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recordEvents writes events of the given kinds about new contacts, as a
// domain would, and returns their ids.
func recordEvents(t *testing.T, d *db.DB, kinds ...string) []string {
	t.Helper()
	var ids []string
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		for i, k := range kinds {
			subject := id.New()
			e, err := event.Record(context.Background(), tx, event.Event{Kind: k, SubjectType: strings.Split(k, ".")[0],
				SubjectID: subject, Data: map[string]any{"n": i, "name": "Ada Lovelace"}})
			if err != nil {
				return err
			}
			ids = append(ids, e.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// deliveriesOf returns a subscription's deliveries, oldest first.
func deliveriesOf(t *testing.T, d *db.DB, subID string) []Delivery {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE subscription_id = $1 ORDER BY id`, subID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		x, err := scanDelivery(rows)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x)
	}
	return out
}

// allowPrivate turns "Allow webhooks to private addresses" on or off.
func allowPrivate(t *testing.T, ctx context.Context, s *Service, on bool) {
	t.Helper()
	if err := s.SetAllowPrivate(ctx, on); err != nil {
		t.Fatal(err)
	}
}

// dispatch runs the dispatcher until it has passed every event recorded so
// far and returns how many deliveries it made. On PostgreSQL the
// dispatcher waits for older writing transactions, and the test server is
// shared, so one run may not reach the newest events yet.
func dispatch(t *testing.T, s *Service, ctx context.Context) (int, error) {
	t.Helper()
	var last string
	if err := s.db.R.QueryRowContext(ctx, `SELECT CAST(id AS text) FROM events ORDER BY id DESC LIMIT 1`).Scan(&last); err != nil {
		return 0, err
	}
	total := 0
	deadline := time.Now().Add(30 * time.Second)
	for {
		time.Sleep(s.settle + 20*time.Millisecond)
		n, err := s.Dispatch(ctx)
		total += n
		if err != nil {
			return total, err
		}
		var cur string
		if err := s.db.R.QueryRowContext(ctx, `SELECT event_id FROM webhook_cursor WHERE name = 'dispatch'`).Scan(&cur); err != nil {
			return total, err
		}
		if cur >= last || time.Now().After(deadline) {
			return total, nil
		}
	}
}
