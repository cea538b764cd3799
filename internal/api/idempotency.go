package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// Idempotency (draft-ietf-httpapi-idempotency-key-header): a POST with an
// Idempotency-Key is done once. Its first answer is stored before it is
// sent and replayed to a retry with the same key and body for
// IdempotencyTTL; the same key with another body is refused with 422, and
// a retry while the first request is still running gets 409.
const (
	IdempotencyHeader = "Idempotency-Key"
	// ReplayedHeader marks an answer replayed from an earlier request.
	ReplayedHeader = "Idempotent-Replayed"
	// IdempotencyTTL is how long a key is remembered; the periodic
	// clean-up deletes older records and a key may then be used again.
	IdempotencyTTL = 24 * time.Hour
	// idempotencyLock is how long a request in flight holds its key. A
	// process that died mid-request leaves its key free again after it.
	idempotencyLock   = time.Minute
	maxIdempotencyKey = 255
)

// keptHeaders are the headers of a first answer that a replay repeats.
var keptHeaders = []string{"Content-Type", "Location"}

// idempotent runs next once per (caller, Idempotency-Key).
func (a *API) idempotent(w http.ResponseWriter, r *http.Request, next http.Handler) {
	if a.o.DB == nil {
		next.ServeHTTP(w, r)
		return
	}
	ctx := r.Context()
	key, ok := parseIdempotencyKey(r.Header.Get(IdempotencyHeader))
	if !ok {
		writeProblem(w, newProblem(http.StatusBadRequest, "The Idempotency-Key header must be 1 to 255 visible characters, such as a UUID.",
			FieldError{Field: IdempotencyHeader, Message: "Use 1 to 255 visible characters, such as a UUID."}))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeProblem(w, newProblem(http.StatusRequestEntityTooLarge, fmt.Sprintf("The request body is larger than %d MB.", maxBody>>20)))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(body)
	rec := idemRecord{scope: idempotencyScope(r), key: key, request: r.Method + " " + r.URL.Path, bodyHash: hex.EncodeToString(sum[:])}
	now := db.Now()
	claimed, stored, err := a.claim(r, rec, now)
	if err != nil {
		a.logger.ErrorContext(ctx, "api: idempotency", "err", err)
		writeProblem(w, newProblem(http.StatusInternalServerError, "Something went wrong on our side; the error was logged."))
		return
	}
	if !claimed {
		a.answerStored(w, rec, stored, now)
		return
	}
	cw := &captureWriter{header: http.Header{}}
	for k, v := range w.Header() {
		cw.header[k] = v
	}
	next.ServeHTTP(cw, r)
	if cw.status == 0 {
		cw.status = http.StatusOK
	}
	if err := a.store(r, rec, cw); err != nil {
		a.logger.ErrorContext(ctx, "api: idempotency store", "err", err)
	}
	for k, v := range cw.header {
		w.Header()[k] = v
	}
	w.WriteHeader(cw.status)
	w.Write(cw.body.Bytes())
}

// idempotencyScope is whose keys a key is among: the API key's, or the
// signed-in user's.
func idempotencyScope(r *http.Request) string {
	if k, ok := keyFrom(r.Context()); ok {
		return "key:" + k.ID
	}
	a, _ := access.ActorFrom(r.Context())
	return "user:" + a.UserID
}

// parseIdempotencyKey accepts the draft's structured-field string
// ("...") and, leniently, the bare value.
func parseIdempotencyKey(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	if v == "" || len(v) > maxIdempotencyKey {
		return "", false
	}
	for _, c := range v {
		if c < 0x21 || c > 0x7e {
			return "", false
		}
	}
	return v, true
}

type idemRecord struct {
	scope, key, request, bodyHash string
}

type storedAnswer struct {
	request, bodyHash string
	status            int
	headers           string
	body              []byte
	createdAt, locked db.Time
}

// claim takes the key for this request (true), or returns what is stored
// under it. A record older than IdempotencyTTL, or in flight past its
// lock (its process died), is taken over.
func (a *API) claim(r *http.Request, rec idemRecord, now time.Time) (bool, storedAnswer, error) {
	ctx := r.Context()
	lock := db.T(now.Add(idempotencyLock))
	res, err := a.o.DB.W.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request, body_hash, status, headers, created_at, locked_until)
		VALUES ($1, $2, $3, $4, 0, '{}', $5, $6) ON CONFLICT (scope, key) DO NOTHING`,
		rec.scope, rec.key, rec.request, rec.bodyHash, db.T(now), lock)
	if err != nil {
		return false, storedAnswer{}, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, storedAnswer{}, nil
	}
	var s storedAnswer
	err = a.o.DB.W.QueryRowContext(ctx, `SELECT request, body_hash, status, headers, body, created_at, locked_until
		FROM idempotency_keys WHERE scope = $1 AND key = $2`, rec.scope, rec.key).
		Scan(&s.request, &s.bodyHash, &s.status, &s.headers, &s.body, &s.createdAt, &s.locked)
	if errors.Is(err, sql.ErrNoRows) {
		// Cleaned up in between: try once more.
		return a.claim(r, rec, now)
	}
	if err != nil {
		return false, s, fmt.Errorf("read idempotency key: %w", err)
	}
	expired := s.createdAt.Before(now.Add(-IdempotencyTTL))
	abandoned := s.status == 0 && s.locked.Before(now) && s.request == rec.request && s.bodyHash == rec.bodyHash
	if !expired && !abandoned {
		return false, s, nil
	}
	// Take it over only if nobody else did meanwhile.
	res, err = a.o.DB.W.ExecContext(ctx, `UPDATE idempotency_keys SET request = $3, body_hash = $4, status = 0, headers = '{}', body = NULL,
		created_at = $5, locked_until = $6 WHERE scope = $1 AND key = $2 AND created_at = $7 AND status = $8`,
		rec.scope, rec.key, rec.request, rec.bodyHash, db.T(now), lock, s.createdAt, s.status)
	if err != nil {
		return false, s, fmt.Errorf("take over idempotency key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, s, nil
	}
	s.status, s.locked = 0, lock
	s.request, s.bodyHash = rec.request, rec.bodyHash
	return false, s, nil
}

// answerStored answers a retry from what the first request left.
func (a *API) answerStored(w http.ResponseWriter, rec idemRecord, s storedAnswer, now time.Time) {
	switch {
	case s.request != rec.request || s.bodyHash != rec.bodyHash:
		writeProblem(w, newProblem(http.StatusUnprocessableEntity,
			"This Idempotency-Key was already used with a different request; use a new key for a new request.",
			FieldError{Field: IdempotencyHeader, Message: "Already used with a different request body or endpoint."}))
	case s.status == 0:
		writeProblem(w, newProblem(http.StatusConflict,
			"A request with this Idempotency-Key is still being processed; retry in a moment to get its result."))
	default:
		var h map[string]string
		json.Unmarshal([]byte(s.headers), &h)
		for k, v := range h {
			w.Header().Set(k, v)
		}
		w.Header().Set(ReplayedHeader, "true")
		w.WriteHeader(s.status)
		w.Write(s.body)
	}
}

// store keeps the answer for retries. A server error is not kept: the
// request did not happen, so a retry should try again.
func (a *API) store(r *http.Request, rec idemRecord, cw *captureWriter) error {
	ctx := r.Context()
	if cw.status >= 500 {
		_, err := a.o.DB.W.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND status = 0`, rec.scope, rec.key)
		return err
	}
	h := map[string]string{}
	for _, k := range keptHeaders {
		if v := cw.header.Get(k); v != "" {
			h[k] = v
		}
	}
	hj, _ := json.Marshal(h)
	_, err := a.o.DB.W.ExecContext(ctx, `UPDATE idempotency_keys SET status = $3, headers = $4, body = $5, locked_until = NULL
		WHERE scope = $1 AND key = $2 AND status = 0`, rec.scope, rec.key, cw.status, string(hj), cw.body.Bytes())
	return err
}

// captureWriter holds an answer until it is stored.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}
func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

// IdempotencyPrivacyPart makes a person's erasure also delete the stored
// answers that mention their contact (a created contact's JSON, say),
// which would otherwise keep their data for up to a day. A retry of such
// a request afterwards runs again.
func IdempotencyPrivacyPart() gdpr.Part {
	return gdpr.Part{Name: "idempotency", Erase: func(ctx context.Context, tx *db.Tx, contactID string) error {
		q := `DELETE FROM idempotency_keys WHERE instr(CAST(body AS TEXT), $1) > 0`
		if tx.Engine == db.Postgres {
			q = `DELETE FROM idempotency_keys WHERE position(convert_to($1, 'UTF8') in body) > 0`
		}
		if _, err := tx.ExecContext(ctx, q, contactID); err != nil {
			return fmt.Errorf("erase idempotent answers: %w", err)
		}
		return nil
	}}
}

// CleanupIdempotency deletes answers older than IdempotencyTTL, for the
// periodic clean-up job; their keys may then be used again.
func CleanupIdempotency(ctx context.Context, d *db.DB, now time.Time) (int64, error) {
	res, err := d.W.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, db.T(now.Add(-IdempotencyTTL)))
	if err != nil {
		return 0, fmt.Errorf("api: clean up idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
