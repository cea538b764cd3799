package memo

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestDoLoadsOncePerRequest(t *testing.T) {
	ctx := With(context.Background())
	calls := 0
	load := func() (int, error) { calls++; return 42, nil }
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := Do(ctx, "answer", load); v != 42 || err != nil {
				t.Errorf("Do = %d, %v; want 42, nil", v, err)
			}
		}()
	}
	wg.Wait()
	if calls != 1 {
		t.Errorf("load ran %d times in one request, want 1", calls)
	}
	if v, _ := Do(ctx, "other", func() (int, error) { return 7, nil }); v != 7 {
		t.Errorf("another key got %d, want 7", v)
	}
	// A new request loads again: nothing is kept across requests.
	if _, err := Do(With(context.Background()), "answer", load); err != nil || calls != 2 {
		t.Errorf("a new request: calls %d, err %v; want 2 calls", calls, err)
	}
}

func TestDoWithoutMemoAlwaysLoads(t *testing.T) {
	calls := 0
	for range 3 {
		Do(context.Background(), "k", func() (string, error) { calls++; return "", nil })
	}
	if calls != 3 {
		t.Errorf("load ran %d times without a memo, want 3", calls)
	}
}

func TestDoRemembersErrors(t *testing.T) {
	ctx := With(context.Background())
	boom := errors.New("boom")
	calls := 0
	for range 2 {
		if _, err := Do(ctx, "k", func() ([]int, error) { calls++; return nil, boom }); !errors.Is(err, boom) {
			t.Errorf("err = %v, want boom", err)
		}
	}
	if calls != 1 {
		t.Errorf("failing load ran %d times, want 1", calls)
	}
}

func TestPutGet(t *testing.T) {
	ctx := With(context.Background())
	if _, ok := Get[string](ctx, "k"); ok {
		t.Error("Get found a value nobody put")
	}
	Put(ctx, "k", "v")
	if v, ok := Get[string](ctx, "k"); !ok || v != "v" {
		t.Errorf("Get = %q, %v; want v, true", v, ok)
	}
	if _, ok := Get[int](ctx, "k"); ok {
		t.Error("Get of another type found the value")
	}
	Put(context.Background(), "k", "v") // no memo: nothing to do, no panic
	if _, ok := Get[string](context.Background(), "k"); ok {
		t.Error("Get without a memo found a value")
	}
}
