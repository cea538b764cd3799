package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/ratelimit"
	"github.com/rapportcrm/rapport/internal/setting"
)

// Settings that tune the rate limits, in requests per minute.
const (
	// SettingKeyRate limits each API key.
	SettingKeyRate = "api_rate_limit_per_key"
	// SettingAddressRate limits each client address making
	// unauthenticated requests.
	SettingAddressRate = "api_rate_limit_per_address"
)

// Default rate limits, requests per minute.
const (
	DefaultKeyRate     = 600
	DefaultAddressRate = 120
)

// keyCtx carries the API key a request authenticated with.
type keyCtx struct{}

// keyFrom returns the API key of the request, if it used one.
func keyFrom(ctx context.Context) (apikey.Key, bool) {
	k, ok := ctx.Value(keyCtx{}).(apikey.Key)
	return k, ok
}

// gate authenticates a request to /api/ and counts it against its rate
// limit. A bearer API key wins over a session; a request with neither is
// limited per client address and, for /api/v1, refused with 401. It
// answers itself and returns false when the request goes no further.
func (a *API) gate(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	ctx := r.Context()
	v1 := strings.HasPrefix(r.URL.Path, Prefix+"/")
	if h := r.Header.Get("Authorization"); h != "" && a.o.Keys != nil {
		k, actor, err := a.bearer(ctx, h)
		if err != nil {
			// Failed attempts count against the address, which slows
			// anyone guessing keys.
			if !a.limit(w, r, "addr:"+clientAddr(r), a.policy(ctx, "address", SettingAddressRate, DefaultAddressRate)) {
				return nil, false
			}
			if errors.Is(err, errNotBearer) || errors.Is(err, apikey.ErrMalformed) || errors.Is(err, apikey.ErrUnknown) ||
				errors.Is(err, apikey.ErrExpired) || errors.Is(err, apikey.ErrDisabled) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="rapport", error="invalid_token"`)
				writeProblem(w, newProblem(http.StatusUnauthorized, keyRefusal(err)))
				return nil, false
			}
			a.logger.ErrorContext(ctx, "api: authenticate key", "err", err)
			writeProblem(w, newProblem(http.StatusInternalServerError, "Something went wrong on our side; the error was logged."))
			return nil, false
		}
		if !a.limit(w, r, "key:"+k.ID, a.policy(ctx, "key", SettingKeyRate, DefaultKeyRate)) {
			return nil, false
		}
		actor.Address, actor.UserAgent = clientAddr(r), r.UserAgent()
		ctx = context.WithValue(access.WithActor(ctx, actor), keyCtx{}, k)
	} else if _, ok := access.ActorFrom(ctx); !ok {
		if a.o.Limiter != nil && !a.limit(w, r, "addr:"+clientAddr(r), a.policy(ctx, "address", SettingAddressRate, DefaultAddressRate)) {
			return nil, false
		}
		if v1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="rapport"`)
			writeProblem(w, unauthorized())
			return nil, false
		}
	}
	if v1 {
		ctx = context.WithValue(ctx, routeKey{}, r.Method+" "+r.URL.Path)
	}
	return r.WithContext(ctx), true
}

var errNotBearer = errors.New("api: authorization is not a bearer key")

func (a *API) bearer(ctx context.Context, h string) (apikey.Key, access.Actor, error) {
	scheme, secret, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return apikey.Key{}, access.Actor{}, errNotBearer
	}
	return a.o.Keys.Authenticate(ctx, strings.TrimSpace(secret))
}

// keyRefusal says why a key was refused without telling a revoked key
// from one that never existed.
func keyRefusal(err error) string {
	switch {
	case errors.Is(err, errNotBearer):
		return "Send an API key as Authorization: Bearer rk_live_…, or sign in."
	case errors.Is(err, apikey.ErrMalformed):
		return "The API key is malformed: a key is rk_live_ followed by 52 letters and digits, copied whole."
	case errors.Is(err, apikey.ErrExpired):
		return "The API key has expired; create a new one in Settings → API keys."
	case errors.Is(err, apikey.ErrDisabled):
		return "The API key belongs to a deactivated user."
	}
	return "The API key is unknown or revoked."
}

// limit counts the request against bucket and sets the RateLimit
// headers; over the limit it answers 429 and returns false. Without a
// limiter every request passes.
func (a *API) limit(w http.ResponseWriter, r *http.Request, bucket string, p ratelimit.Policy) bool {
	if a.o.Limiter == nil {
		return true
	}
	res, err := a.o.Limiter.Take(r.Context(), bucket, p)
	if err != nil {
		// A broken limiter should not take the API down with it.
		a.logger.ErrorContext(r.Context(), "api: rate limit", "err", err)
		return true
	}
	res.SetHeaders(w.Header())
	if !res.Allowed {
		writeProblem(w, newProblem(http.StatusTooManyRequests, fmt.Sprintf(
			"Too many requests: the limit is %d per %s. Try again in %s seconds.",
			p.Quota, window(p.Window), w.Header().Get("Retry-After"))))
		return false
	}
	return true
}

func window(d time.Duration) string {
	if d == time.Minute {
		return "minute"
	}
	return d.String()
}

// policy returns the per-minute policy named name, its quota read from
// the setting (cached for a little while: it is read on every request).
func (a *API) policy(ctx context.Context, name, key string, def int) ratelimit.Policy {
	return ratelimit.Policy{Name: name, Quota: a.quotas.get(ctx, a, key, def), Window: time.Minute}
}

// quotaCache keeps the rate-limit settings for quotaTTL.
type quotaCache struct {
	mu     sync.Mutex
	values map[string]int
	read   time.Time
}

const quotaTTL = 30 * time.Second

func (c *quotaCache) get(ctx context.Context, a *API, key string, def int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.read) > quotaTTL {
		c.values, c.read = map[string]int{}, time.Now()
	}
	if v, ok := c.values[key]; ok {
		return v
	}
	v := def
	if a.o.DB != nil {
		s, err := setting.Get(ctx, a.o.DB.R, key, "")
		if err != nil {
			a.logger.WarnContext(ctx, "api: rate-limit setting", "key", key, "err", err)
		} else if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
			v = n
		}
	}
	c.values[key] = v
	return v
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limited describes in op what the gate and the idempotency middleware
// add to every operation: 429 with the RateLimit headers, and for a POST
// the Idempotency-Key header with its 409.
func limited(op *huma.Operation) {
	op.Errors = append(op.Errors, http.StatusTooManyRequests)
	if op.Method == http.MethodPost {
		if !slices.Contains(op.Errors, http.StatusConflict) {
			op.Errors = append(op.Errors, http.StatusConflict)
		}
		if !slices.Contains(op.Errors, http.StatusUnprocessableEntity) {
			op.Errors = append(op.Errors, http.StatusUnprocessableEntity)
		}
		op.Parameters = append(op.Parameters, &huma.Param{Name: IdempotencyHeader, In: "header",
			Description: "Any unique string up to 255 characters (a UUID is a good choice). A retry with the same key and body " +
				"returns the first answer (with Idempotent-Replayed: true) and changes nothing; the same key with another " +
				"body is refused with 422; while the first request runs, a retry gets 409. Keys are remembered for 24 hours.",
			Schema: &huma.Schema{Type: "string", MaxLength: &maxKeyLen}, Example: "7f1d2c1e-3b0a-4c55-9f5e-0c9b8f4e2a11"})
	}
}

var maxKeyLen = maxIdempotencyKey

// Authenticated wraps h in what every /api/v1 request goes through before
// its route: authentication (session or bearer key) and the rate limit.
// The benchmark measures the API against an empty handler behind it.
func (a *API) Authenticated(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r, ok := a.gate(w, r)
		if !ok {
			return
		}
		h.ServeHTTP(w, r)
	})
}
