package jobs

import (
	"testing"

	"github.com/riverqueue/river"
)

// TestQueuesOption: further queues get their own workers beside the
// default queue; the default queue or a queue without workers is refused.
func TestQueuesOption(t *testing.T) {
	ws := river.NewWorkers()
	cfg, err := config(Options{Workers: ws, MaxWorkers: 3, Queues: map[string]int{"webhooks": 40}})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Queues[river.QueueDefault].MaxWorkers != 3 || cfg.Queues["webhooks"].MaxWorkers != 40 {
		t.Errorf("queues %+v", cfg.Queues)
	}
	for _, bad := range []map[string]int{{river.QueueDefault: 5}, {"webhooks": 0}} {
		if _, err := config(Options{Workers: ws, Queues: bad}); err == nil {
			t.Errorf("Queues %v accepted", bad)
		}
	}
}
