// Package ratelimit limits how often a client (an API key, an address)
// may call, with buckets kept in the database so that every process
// sharing a PostgreSQL database enforces one limit.
//
// The algorithm is GCRA (the generic cell rate algorithm), a token bucket
// that needs one number per bucket: the theoretical arrival time (tat) of
// the next request. Each request moves tat on by window/quota; a request
// is refused when that would put tat more than a window ahead of now. One
// INSERT ... ON CONFLICT DO UPDATE ... RETURNING decides and records a
// request, so concurrent processes cannot both take the last token.
package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// Policy is a quota of requests per window.
type Policy struct {
	// Name names the policy in the RateLimit headers.
	Name   string
	Quota  int
	Window time.Duration
}

// Result is the outcome of one request against a bucket.
type Result struct {
	Policy  Policy
	Allowed bool
	// Remaining is how many more requests would be allowed now.
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
	// RetryAfter is how long a refused client should wait; zero when allowed.
	RetryAfter time.Duration
}

// Limiter takes requests from buckets in the database.
type Limiter struct {
	db  *db.DB
	now func() time.Time
}

// New returns a limiter over d.
func New(d *db.DB) *Limiter { return &Limiter{db: d, now: time.Now} }

// SetNow replaces the clock, for tests.
func (l *Limiter) SetNow(now func() time.Time) { l.now = now }

// upsert decides and records one request. $1 key, $2 now, $3 emission
// interval (window/quota), $4 window, all times in microseconds. The SET
// expressions all see the row as it was, so allowed and tat agree.
const upsert = `INSERT INTO rate_limits (key, tat, allowed) VALUES ($1, CAST($2 AS BIGINT) + CAST($3 AS BIGINT), 1)
ON CONFLICT (key) DO UPDATE SET
  tat = CASE WHEN (CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT) - CAST($2 AS BIGINT) <= CAST($4 AS BIGINT)
             THEN (CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT)
             ELSE rate_limits.tat END,
  allowed = CASE WHEN (CASE WHEN rate_limits.tat > CAST($2 AS BIGINT) THEN rate_limits.tat ELSE CAST($2 AS BIGINT) END) + CAST($3 AS BIGINT) - CAST($2 AS BIGINT) <= CAST($4 AS BIGINT)
             THEN 1 ELSE 0 END
RETURNING tat, allowed`

// Take counts one request against the bucket key under p.
func (l *Limiter) Take(ctx context.Context, key string, p Policy) (Result, error) {
	if p.Quota <= 0 || p.Window <= 0 {
		return Result{}, fmt.Errorf("ratelimit: policy %q has no quota", p.Name)
	}
	now := l.now().UnixMicro()
	window := p.Window.Microseconds()
	// At least a microsecond: a quota above one per microsecond is as
	// good as unlimited.
	interval := max(window/int64(p.Quota), 1)
	var tat int64
	var allowed int
	if err := l.db.W.QueryRowContext(ctx, upsert, key, now, interval, window).Scan(&tat, &allowed); err != nil {
		return Result{}, fmt.Errorf("ratelimit: take %s: %w", key, err)
	}
	r := Result{Policy: p, Allowed: allowed == 1}
	ahead := max(tat-now, 0)
	r.Remaining = max(int((window-ahead)/interval), 0)
	r.Reset = time.Duration(ahead) * time.Microsecond
	if !r.Allowed {
		r.RetryAfter = time.Duration(tat+interval-window-now) * time.Microsecond
		r.RetryAfter = max(r.RetryAfter, time.Second)
	}
	return r, nil
}

// seconds rounds d up to whole seconds, as the headers carry them.
func seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// SetHeaders writes the RateLimit-Policy and RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers (structured-field lists: q quota,
// w window in seconds; r remaining, t seconds until the quota is full
// again), and Retry-After on a refusal.
func (r Result) SetHeaders(h http.Header) {
	name := strconv.Quote(r.Policy.Name)
	h.Set("RateLimit-Policy", fmt.Sprintf("%s;q=%d;w=%d", name, r.Policy.Quota, seconds(r.Policy.Window)))
	h.Set("RateLimit", fmt.Sprintf("%s;r=%d;t=%d", name, r.Remaining, seconds(r.Reset)))
	if !r.Allowed {
		h.Set("Retry-After", strconv.FormatInt(seconds(r.RetryAfter), 10))
	}
}

// Handler limits h per bucket(r) under p: the hook for public pages that
// take input from anyone (web forms, the chat widget), which limit per
// client address. Every answer carries the RateLimit headers; over the
// limit refuse answers (after the headers and Retry-After are set). A
// failing limiter lets requests through rather than take the page down.
func (l *Limiter) Handler(p Policy, bucket func(*http.Request) string, refuse http.HandlerFunc, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := l.Take(r.Context(), bucket(r), p)
		if err != nil {
			h.ServeHTTP(w, r)
			return
		}
		res.SetHeaders(w.Header())
		if !res.Allowed {
			refuse(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Cleanup deletes full buckets, for the periodic clean-up job: a bucket
// whose theoretical arrival time has passed is full, so deleting it
// changes no answer.
func Cleanup(ctx context.Context, d *db.DB, now time.Time) (int64, error) {
	res, err := d.W.ExecContext(ctx, `DELETE FROM rate_limits WHERE tat < $1`, now.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("ratelimit: clean up: %w", err)
	}
	return res.RowsAffected()
}
