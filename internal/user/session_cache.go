package user

import (
	"context"
	"sync"
	"time"

	"github.com/rapportcrm/rapport/internal/revision"
)

// signedInCache keeps each session's SignedIn between requests while the
// counters of what it was read from stand still: revision.Definitions
// (users, roles) and revision.Sessions (ended sessions, passkeys,
// settings). A signed-in request reads those counters with its session
// anyway (revision.Column), so a current entry spares it a query. Entries
// are shared by the requests of a session: a SignedIn, its role's
// permissions included, is read-only.
type signedInCache struct {
	mu      sync.Mutex
	entries map[string]signedInEntry
}

type signedInEntry struct {
	definitions, sessions int64
	in                    SignedIn
}

// signedInCacheMax bounds the cache: past it the cache starts again empty,
// which costs each active session one query.
const signedInCacheMax = 10000

// sessionCounters reads the two counters a cached SignedIn depends on.
func (s *Service) sessionCounters(ctx context.Context) (definitions, sessions int64, err error) {
	if definitions, err = revision.Read(ctx, s.db.R, revision.Definitions); err != nil {
		return 0, 0, err
	}
	sessions, err = revision.Read(ctx, s.db.R, revision.Sessions)
	return definitions, sessions, err
}

// get returns the entry of sessionID for userID if it was read at these
// counters.
func (c *signedInCache) get(sessionID, userID string, definitions, sessions int64) (SignedIn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[sessionID]
	if !ok || e.definitions != definitions || e.sessions != sessions || e.in.Session.UserID != userID {
		return SignedIn{}, false
	}
	return e.in, true
}

// put keeps in, read at the given counters (read before the query, so a
// change that lands meanwhile at worst costs one more query).
func (c *signedInCache) put(in SignedIn, definitions, sessions int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= signedInCacheMax {
		c.entries = make(map[string]signedInEntry)
	}
	c.entries[in.Session.ID] = signedInEntry{definitions: definitions, sessions: sessions, in: in}
}

// touched records a touch of sessionID in its entry, so that the entry does
// not ask for another touch on every request.
func (c *signedInCache) touched(sessionID string, at time.Time, address, userAgent string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[sessionID]; ok {
		e.in.Session.LastSeenAt, e.in.Session.Address, e.in.Session.UserAgent = at, address, userAgent
		c.entries[sessionID] = e
	}
}
