package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/webhook"
)

// webhookEvents is how many events the webhook benchmark dispatches.
const webhookEvents = 10_000

// webhookWorkers is how many deliveries run at once, and how many
// connections the baseline posts over.
const webhookWorkers = 100

// webhookDispatch measures webhook delivery end to end: events already in
// the events table are dispatched (deliveries written, jobs enqueued) and
// delivered by the job queue, signed, to a receiver on loopback, each
// attempt logged; the figure is deliveries per second from the dispatch
// to the last one recorded. The baseline is a bare HTTP client posting
// the same bodies to the same receiver over as many connections.
func (e *env) webhookDispatch() error {
	n := webhookEvents
	if e.o.MaxOps > 0 {
		n = min(n, e.o.MaxOps*25)
	}
	rc, err := startReceiver()
	if err != nil {
		return err
	}
	defer rc.close()

	svc := webhook.New(webhook.Options{DB: e.d, Settle: 10 * time.Millisecond, MaxConns: webhookWorkers})
	if err := svc.SetAllowPrivate(e.ctx, true); err != nil {
		return err
	}
	sub, err := svc.Create(e.ctx, webhook.Input{URL: rc.url + "/hooks", EventTypes: []string{"bench.*"}})
	if err != nil {
		return err
	}
	if err := e.benchEvents(n); err != nil {
		return err
	}
	time.Sleep(50 * time.Millisecond) // past the dispatcher's settling time
	ws := river.NewWorkers()
	river.AddWorker(ws, webhook.NewDispatchWorker(svc))
	river.AddWorker(ws, webhook.NewDeliverWorker(svc))
	q, err := jobs.New(e.d, jobs.Options{Workers: ws, Queues: map[string]int{webhook.Queue: webhookWorkers}, FetchPollInterval: 20 * time.Millisecond,
		JobTimeout: 30 * time.Second, RescueAfter: time.Minute, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	svc.UseQueue(q)
	if err := q.Start(e.ctx); err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q.Stop(ctx)
	}()

	start := time.Now()
	made, err := svc.Dispatch(e.ctx)
	if err != nil {
		return err
	}
	dispatched := time.Since(start)
	deadline := start.Add(max(e.o.Duration*20, 2*time.Minute))
	var done int
	for {
		if err := e.d.R.QueryRowContext(e.ctx, `SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1
			AND status = 'succeeded'`, sub.ID).Scan(&done); err != nil {
			return err
		}
		if done >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	if done < n {
		return fmt.Errorf("webhooks: %d of %d delivered within %s", done, n, took.Round(time.Second))
	}
	got, dupes := rc.counts()

	// The baseline: the same bodies, posted by a bare client.
	bodies, err := e.deliveryBodies(sub.ID)
	if err != nil {
		return err
	}
	rc.reset()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: webhookWorkers}, Timeout: 10 * time.Second}
	baseStart := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range webhookWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(bodies) {
					return
				}
				req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, rc.url+"/hooks", bytes.NewReader(bodies[i]))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("webhook-id", id.New())
				resp, err := client.Do(req)
				if err != nil {
					failures.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	baseTook := time.Since(baseStart)
	rate, baseRate := float64(n)/took.Seconds(), float64(len(bodies))/baseTook.Seconds()
	e.add(Result{Samples: n, BaseSamples: len(bodies),
		Operation: fmt.Sprintf("webhooks: dispatch and deliver %d events, signed, logged", n),
		Baseline:  "bare HTTP client posting the same bodies", Unit: "deliveries/s", Value: rate, Base: baseRate,
		HigherIsBetter: true, Target: "≥ 500 deliveries/s", Met: rate >= 500,
		Detail: fmt.Sprintf("%d deliveries made in %s; %d received, %d twice; %d workers; baseline errors %d",
			made, dispatched.Round(time.Millisecond), got, dupes, webhookWorkers, failures.Load())})
	return nil
}

// benchEvents records n events of kind bench.ping in transactions of 1,000.
func (e *env) benchEvents(n int) error {
	for start := 0; start < n; start += 1000 {
		batch := make([]event.Event, 0, 1000)
		for i := start; i < min(start+1000, n); i++ {
			batch = append(batch, event.Event{Kind: "bench.ping", SubjectType: "bench", SubjectID: id.New(),
				Data: map[string]any{"n": i, "note": "a webhook benchmark event"}})
		}
		err := e.d.WithTx(e.ctx, func(tx *db.Tx) error { return event.RecordBatch(e.ctx, tx, batch, nil) })
		if err != nil {
			return err
		}
	}
	return nil
}

func (e *env) deliveryBodies(subID string) ([][]byte, error) {
	rows, err := e.d.R.QueryContext(e.ctx, `SELECT payload FROM webhook_deliveries WHERE subscription_id = $1`, subID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, []byte(p))
	}
	return out, rows.Err()
}

// receiver is a loopback HTTP server counting the webhook-ids it gets.
type receiver struct {
	url  string
	srv  *http.Server
	mu   sync.Mutex
	seen map[string]int
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String(), seen: map[string]int{}}
	rc.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		rc.mu.Lock()
		rc.seen[r.Header.Get("webhook-id")]++
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() {
		if err := rc.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("bench: webhook receiver", "err", err)
		}
	}()
	return rc, nil
}

// counts returns how many distinct ids arrived and how many arrived more
// than once.
func (rc *receiver) counts() (distinct, dupes int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, c := range rc.seen {
		if c > 1 {
			dupes++
		}
	}
	return len(rc.seen), dupes
}

func (rc *receiver) reset() {
	rc.mu.Lock()
	rc.seen = map[string]int{}
	rc.mu.Unlock()
}

func (rc *receiver) close() { rc.srv.Close() }
