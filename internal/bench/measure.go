package bench

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Sample is a set of latencies with the throughput they were taken at.
type Sample struct {
	N        int
	Elapsed  time.Duration
	Errors   int
	P50, P95 time.Duration
	P99      time.Duration
}

// PerSecond is the throughput of the sample.
func (s Sample) PerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.N) / s.Elapsed.Seconds()
}

// Limits bound every measurement loop in count and in time.
type Limits struct {
	Clients  int
	Duration time.Duration
	MaxOps   int
	Warmup   int
}

// minSamples is the fewest measured calls run makes even when one call
// outlasts the duration: a percentile needs more than one sample.
const minSamples = 2

// run calls op from clients goroutines until the duration or the operation
// count is used up, after warmup calls that are not measured. The duration
// stops new calls, never one under way: on a slow machine a call longer
// than the duration is still measured, not cancelled and lost.
func run(ctx context.Context, l Limits, op func(ctx context.Context, worker, i int) error) Sample {
	if l.Clients < 1 {
		l.Clients = 1
	}
	for i := range l.Warmup {
		_ = op(ctx, 0, i)
	}
	var count, errs atomic.Int64
	lat := make([][]time.Duration, l.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(l.Duration)
	for w := range l.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(count.Add(1))
				if l.MaxOps > 0 && i > l.MaxOps || i > minSamples && time.Now().After(deadline) {
					return
				}
				t := time.Now()
				if err := op(ctx, w, i); err != nil {
					if ctx.Err() != nil {
						return
					}
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	s := Sample{N: len(all), Elapsed: elapsed, Errors: int(errs.Load())}
	if len(all) > 0 {
		q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
		s.P50, s.P95, s.P99 = q(0.50), q(0.95), q(0.99)
	}
	return s
}
