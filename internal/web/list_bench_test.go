package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/bench"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/demo"
	"github.com/rapportcrm/rapport/internal/query"
)

// benchList is the list rapport bench reads: a filter and a sort, 50 rows.
var benchList = query.Request{
	Filter: query.Group{Conditions: []query.Condition{{Field: "lifecycle_stage", Op: query.IsNot, Value: "other"}}},
	Sort:   query.Sort{Field: "name"},
	Limit:  50,
}.Values().Encode()

// benchSite is a signed-in site over demo data (RAPPORT_BENCH_CONTACTS
// contacts, 2,000 by default, or the existing demo database
// RAPPORT_BENCH_DB names as rapport demo --db takes it), for profiling the
// list handlers with go test -bench -cpuprofile.
func benchSite(b *testing.B) *site {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("RAPPORT_BENCH_CONTACTS")); err == nil && v > 0 {
		n = v
	}
	d, ok := dbtest.Existing(b)
	if !ok {
		d = dbtest.Open(b, db.SQLite)
		if _, err := demo.Generate(context.Background(), d, demo.Options{Contacts: n, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	s := &site{db: d, srv: newTestServer(b, d, ""), client: newClient()}
	s.client.Transport = &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}
	res, err := s.client.PostForm(s.srv.URL+"/login", url.Values{"email": {demo.OwnerEmail}, "password": {demo.OwnerPassword}})
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode >= 400 {
		b.Fatalf("sign in: %s", res.Status)
	}
	return s
}

func benchGet(b *testing.B, s *site, path string) {
	b.Helper()
	// 32 goroutines per CPU: about the 64 connections of rapport bench.
	b.SetParallelism(32)
	before := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := s.client.Get(s.srv.URL + path)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				b.Errorf("GET %s: %s", path, res.Status)
				return
			}
		}
	})
	// Process CPU per request (server and client together) is steadier
	// than the rate on a shared machine.
	b.ReportMetric(float64((cpuTime()-before).Microseconds())/float64(b.N), "cpu-µs/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchBare serves the benchmark's baseline, the same rows by plain SQL,
// over the same data as benchSite.
func benchBare(b *testing.B) *site {
	s := benchSite(b)
	bare := httptest.NewServer(bench.BareHandler(s.db, ""))
	b.Cleanup(bare.Close)
	s.srv = bare
	return s
}

func BenchmarkContactListBareHTML(b *testing.B) { benchGet(b, benchBare(b), "/html") }

func BenchmarkContactListBareJSON(b *testing.B) { benchGet(b, benchBare(b), "/json") }

func BenchmarkContactListHTML(b *testing.B) { benchGet(b, benchSite(b), "/contacts?"+benchList) }

func BenchmarkContactListJSON(b *testing.B) { benchGet(b, benchSite(b), "/api/v1/contacts?"+benchList) }
