package task_test

import (
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestTaskPermissions checks each built-in role: what it may do to tasks,
// and which tasks it sees (the assignee is the owner the scope looks at).
func TestTaskPermissions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		octx, owner := fixture.User(t, d, "owner")
		svc := task.NewService(d, user.NewService(d))
		ownersTask, err := svc.Create(octx, task.Input{Title: p("Owner's task")})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			role                      string
			create, update, del, sees bool
		}{
			{"admin", true, true, true, true},
			{"manager", true, true, true, false}, // team scope, not in the owner's team
			{"member", true, true, true, false},  // own scope
			{"viewer", false, false, false, true},
		}
		for _, tt := range tests {
			t.Run(tt.role, func(t *testing.T) {
				ctx, u := fixture.User(t, d, tt.role)
				mine, err := svc.Create(ctx, task.Input{Title: p("Mine")})
				if tt.create != (err == nil) {
					t.Errorf("create: %v, want allowed=%v", err, tt.create)
				}
				if err != nil && !errors.Is(err, apperr.ErrForbidden) {
					t.Errorf("create refused with %v, want forbidden", err)
				}
				if tt.create && mine.AssigneeID != u.ID {
					t.Errorf("assignee %s, want the creator", mine.AssigneeID)
				}
				if !tt.create {
					// The owner gives the viewer a task to look at.
					if mine, err = svc.Create(octx, task.Input{Title: p("For the viewer"), AssigneeID: p(u.ID)}); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := svc.ByID(ctx, mine.ID); err != nil {
					t.Errorf("reading own task: %v", err)
				}
				_, err = svc.ByID(ctx, ownersTask.ID)
				if tt.sees != (err == nil) || err != nil && !errors.Is(err, apperr.ErrNotFound) {
					t.Errorf("reading the owner's task: %v, want visible=%v", err, tt.sees)
				}
				page, err := svc.List(ctx, task.Filter{AssigneeID: owner.ID})
				if err != nil || (len(page.Tasks) > 0) != tt.sees {
					t.Errorf("listing the owner's tasks: %d, %v; want visible=%v", len(page.Tasks), err, tt.sees)
				}
				_, err = svc.Update(ctx, mine.ID, task.Input{Notes: p("more")})
				if tt.update != (err == nil) {
					t.Errorf("update: %v, want allowed=%v", err, tt.update)
				}
				_, _, err = svc.Complete(ctx, mine.ID)
				if tt.update != (err == nil) {
					t.Errorf("complete: %v, want allowed=%v", err, tt.update)
				}
				if !tt.sees {
					if _, _, err := svc.Complete(ctx, ownersTask.ID); !errors.Is(err, apperr.ErrNotFound) {
						t.Errorf("completing a task out of scope: %v, want not found", err)
					}
				}
				err = svc.Delete(ctx, mine.ID)
				if tt.del != (err == nil) {
					t.Errorf("delete: %v, want allowed=%v", err, tt.del)
				}
			})
		}
	})
}

// TestTransferAssignee moves a deactivated user's open tasks to another
// user through the user service's transfer, leaving done ones alone.
func TestTransferAssignee(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		octx, owner := fixture.User(t, d, "owner")
		_, leaver := fixture.User(t, d, "member")
		users := user.NewService(d)
		svc := task.NewService(d, users)
		users.OnTransfer("tasks", svc.TransferAssignee)
		open, _ := svc.Create(octx, task.Input{Title: p("Open"), AssigneeID: p(leaver.ID)})
		done, _ := svc.Create(octx, task.Input{Title: p("Done"), AssigneeID: p(leaver.ID)})
		if _, _, err := svc.Complete(octx, done.ID); err != nil {
			t.Fatal(err)
		}
		res, err := users.TransferRecords(octx, leaver.ID, owner.ID)
		if err != nil {
			t.Fatal(err)
		}
		moved := 0
		for _, m := range res.Moved {
			if m.Object == "tasks" {
				moved = m.Count
			}
		}
		got, _ := svc.ByID(octx, open.ID)
		kept, _ := svc.ByID(octx, done.ID)
		if moved != 1 || got.AssigneeID != owner.ID || kept.AssigneeID != leaver.ID {
			t.Errorf("moved %d; open task with %s, done task with %s", moved, got.AssigneeName, kept.AssigneeName)
		}
	})
}
