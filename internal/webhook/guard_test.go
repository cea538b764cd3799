package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
)

// fakeResolver answers from a table, like a DNS server under the tester's
// control (a rebinding attacker's, say).
type fakeResolver map[string][]string

func (f fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	var out []netip.Addr
	for _, a := range f[host] {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

// TestCheckURL is the SSRF table at save time, with private addresses not
// allowed (and the same URLs allowed when they are).
func TestCheckURL(t *testing.T) {
	r := fakeResolver{
		"hooks.example.com":  {"93.184.215.14"},
		"loopback.evil.test": {"127.0.0.1"},
		"mixed.evil.test":    {"93.184.215.14", "10.0.0.5"},
		"v6local.evil.test":  {"::1"},
	}
	cases := []struct {
		url, want string // want: a piece of the message, "" for accepted
		private   bool
	}{
		{"https://hooks.example.com/in", "", false},
		{"http://93.184.215.14:8080/in", "", false},
		{"http://127.0.0.1:8080/", "inside the network", true},
		{"http://10.1.2.3/", "inside the network", true},
		{"http://172.16.0.1/", "inside the network", true},
		{"http://192.168.1.1/", "inside the network", true},
		{"http://100.64.0.1/", "inside the network", true},
		{"http://169.254.169.254/latest/meta-data/", "inside the network", true},
		{"http://[::1]:8080/", "inside the network", true},
		{"http://[fd00:ec2::254]/", "inside the network", true},
		{"http://[fe80::1]/", "inside the network", true},
		{"http://[fe80::1%25eth0]/", "inside the network", true},
		{"http://[::ffff:127.0.0.1]/", "inside the network", true},
		{"http://0.0.0.0/", "inside the network", true},
		{"http://224.0.0.1/", "inside the network", true},
		{"http://loopback.evil.test/", "resolves to an address inside the network (127.0.0.1)", true},
		{"http://mixed.evil.test/", "resolves to an address inside the network (10.0.0.5)", true},
		{"http://v6local.evil.test/", "inside the network", true},
		{"http://nowhere.invalid/", "does not resolve", false},
		{"ftp://hooks.example.com/in", "Only http and https", false},
		{"javascript:alert(1)", "full URL", false},
		{"not a url", "full URL", false},
		{"/relative/path", "full URL", false},
		{"https://user:pw@hooks.example.com/", "user names and passwords", false},
	}
	for _, c := range cases {
		got := CheckURL(context.Background(), r, c.url, false)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("CheckURL(%q) = %q, want %q", c.url, got, c.want)
		}
		if c.private {
			if got := CheckURL(context.Background(), r, c.url, true); got != "" {
				t.Errorf("CheckURL(%q) with private addresses allowed = %q, want accepted", c.url, got)
			}
		}
	}
}

// TestGuardControl is the dial-time check on the addresses a connection
// would actually use.
func TestGuardControl(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1:80": true, "10.0.0.1:443": true, "169.254.169.254:80": true, "[::1]:80": true,
		"[fe80::1%eth0]:80": true, "[::ffff:192.168.0.1]:80": true, "100.100.100.200:80": true,
		"93.184.215.14:443": false, "[2606:2800:220:1:248:1893:25c8:1946]:443": false,
	} {
		err := guardControl("tcp", addr, nil)
		if (err != nil) != refused {
			t.Errorf("guardControl(%s) = %v, want refused %v", addr, err, refused)
		}
	}
	if got := excerpt([]byte("ok\x00\xffdone")); got != "ok\ufffddone" {
		t.Errorf("excerpt = %q", got)
	}
}

// TestSSRFRefusedAtSaveAndDial: with the setting off, a loopback URL is a
// field error at save time; a subscription saved while it was on is
// refused when dialling once it is off (so DNS rebinding, which changes
// the address after the save, cannot get through either), and the
// receiver never hears a thing.
func TestSSRFRefusedAtSaveAndDial(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond})
		rc := newReceiver(t, nil)
		_, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"contact.created"}})
		v := apperr.AsValidation(err)
		if v == nil || !strings.Contains(v.For("url"), "inside the network") {
			t.Fatalf("create with a loopback URL: %v, want a url field error", err)
		}
		allowPrivate(t, ctx, s, true)
		sub, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"contact.created"}})
		if err != nil {
			t.Fatal(err)
		}
		allowPrivate(t, ctx, s, false)
		recordEvents(t, d, "contact.created")
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		del := deliveriesOf(t, d, sub.ID)[0]
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: del.ID, Attempt: 1}, nil); err != nil {
			t.Fatal(err)
		}
		_, as, _ := s.Delivery(ctx, del.ID)
		if len(as) != 1 || !strings.Contains(as[0].Error, "Refused") || !strings.Contains(as[0].Error, "127.0.0.1") {
			t.Errorf("attempt log %+v, want a refusal naming 127.0.0.1", as)
		}
		if n := len(rc.requests()); n != 0 {
			t.Errorf("the loopback receiver got %d requests with private addresses refused", n)
		}
		// The dial-time check alone, as after a rebinding: the client refuses.
		req, _ := http.NewRequest(http.MethodPost, rc.URL, nil)
		if _, err := s.strict.Do(req); err == nil || !strings.Contains(err.Error(), "inside the network") {
			t.Errorf("strict client to loopback: %v, want refused", err)
		}
	})
}

// TestMatchesAndValidation covers event-type patterns and the field errors
// of a bad subscription.
func TestMatchesAndValidation(t *testing.T) {
	sub := Subscription{EventTypes: []string{"contact.*", "deal.won"}}
	for kind, want := range map[string]bool{"contact.created": true, "contact.merged": true, "deal.won": true,
		"deal.lost": false, "contacts.created": false, "company.created": false} {
		if got := sub.Matches(kind); got != want {
			t.Errorf("Matches(%q) = %v, want %v", kind, got, want)
		}
	}
	if !(Subscription{EventTypes: []string{"*"}}).Matches("anything.at_all") {
		t.Error(`"*" does not match everything`)
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Resolver: fakeResolver{"hooks.example.com": {"93.184.215.14"}}})
		cases := []struct {
			in    Input
			field string
		}{
			{Input{URL: "", EventTypes: []string{"*"}}, "url"},
			{Input{URL: "ftp://hooks.example.com", EventTypes: []string{"*"}}, "url"},
			{Input{URL: "https://hooks.example.com", EventTypes: nil}, "event_types"},
			{Input{URL: "https://hooks.example.com", EventTypes: []string{"Contact Created"}}, "event_types"},
			{Input{URL: "https://hooks.example.com", EventTypes: []string{"contact"}}, "event_types"},
			{Input{URL: "https://hooks.example.com", EventTypes: []string{"*"}, Description: strings.Repeat("x", 501)}, "description"},
		}
		for _, c := range cases {
			_, err := s.Create(ctx, c.in)
			if v := apperr.AsValidation(err); v == nil || v.For(c.field) == "" {
				t.Errorf("Create(%+v) = %v, want an error on %s", c.in, err, c.field)
			}
		}
		sub, err := s.Create(ctx, Input{URL: " https://hooks.example.com/in ", EventTypes: []string{"deal.*", "contact.created", "deal.*"}})
		if err != nil {
			t.Fatal(err)
		}
		if sub.URL != "https://hooks.example.com/in" || strings.Join(sub.EventTypes, ",") != "contact.created,deal.*" || !sub.Enabled {
			t.Errorf("created %+v", sub)
		}
		rotated, err := s.RotateSecret(ctx, sub.ID)
		if err != nil || rotated.Secret == sub.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
			t.Errorf("rotate: %q (was %q), %v", rotated.Secret, sub.Secret, err)
		}
		kinds, err := s.Kinds(ctx)
		if err != nil || !contains(kinds, "webhook.created") || !contains(kinds, "contact.created") {
			t.Errorf("kinds %v, %v; want recorded and registered kinds", kinds, err)
		}
		if ds := Domains([]string{"contact.created", "contact.updated", "deal.won"}); strings.Join(ds, ",") != "contact.*,deal.*" {
			t.Errorf("Domains = %v", ds)
		}
	})
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestFutureEventID: an event whose id lies in the future (as demo data
// can make) neither carries the cursor past the events recorded now nor
// is lost: it is dispatched once its time has come.
func TestFutureEventID(t *testing.T) {
	if got := idBound(time.UnixMilli(0x01a20afad912)); got != "01a20afa-d912-ffff-ffff-ffffffffffff" {
		t.Errorf("idBound = %s", got)
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Resolver: fakeResolver{"hooks.example.com": {"93.184.215.14"}}})
		future := time.Now().Add(3 * time.Second)
		ms := future.UnixMilli()
		futureID := fmt.Sprintf("%08x-%04x-7abc-8def-0123456789ab", ms>>16, ms&0xffff)
		sub, err := s.Create(ctx, Input{URL: "https://hooks.example.com/in", EventTypes: []string{"contact.*"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Exec(`INSERT INTO events (id, occurred_at, kind, subject_type, subject_id, data)
			VALUES ($1, $2, 'contact.created', 'contact', $3, '{}')`, futureID, db.T(time.Now()), id.New()); err != nil {
			t.Fatal(err)
		}
		now := recordEvents(t, d, "contact.updated")
		deadline := time.Now().Add(time.Second)
		for len(deliveriesOf(t, d, sub.ID)) == 0 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			if _, err := s.Dispatch(ctx); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]bool{}
		for _, x := range deliveriesOf(t, d, sub.ID) {
			got[x.EventID] = true
		}
		if !got[now[0]] || got[futureID] {
			t.Fatalf("deliveries of %v; want the present event and not yet the future one", got)
		}
		time.Sleep(time.Until(future.Add(idSkew)) + 50*time.Millisecond)
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		for _, x := range deliveriesOf(t, d, sub.ID) {
			got[x.EventID] = true
		}
		if !got[futureID] {
			t.Error("the event with a future id was never dispatched")
		}
	})
}

// TestCopiesNotPublished: a deal's event copied onto a contact's timeline
// (data copy_of) is not sent again; the original is.
func TestCopiesNotPublished(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Resolver: fakeResolver{"hooks.example.com": {"93.184.215.14"}}})
		sub, err := s.Create(ctx, Input{URL: "https://hooks.example.com/in", EventTypes: []string{"deal.*"}})
		if err != nil {
			t.Fatal(err)
		}
		main, deal := id.New(), id.New()
		for _, row := range [][]any{
			{main, "deal.won", deal, `{"name":"Big one"}`},
			{id.New(), "deal.won", deal, `{"copy_of":"` + main + `"}`},
		} {
			if _, err := d.W.Exec(`INSERT INTO events (id, occurred_at, kind, subject_type, subject_id, data)
				VALUES ($1, $2, $3, 'deal', $4, $5)`, row[0], db.T(time.Now()), row[1], row[2], row[3]); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		got := deliveriesOf(t, d, sub.ID)
		if len(got) != 1 || got[0].EventID != main {
			t.Errorf("deliveries %+v; want one, of the original event", got)
		}
	})
}
