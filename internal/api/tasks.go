package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/task"
)

// TaskRecurrence repeats a task from its first due date.
type TaskRecurrence struct {
	Frequency string `json:"frequency,omitempty" example:"monthly" doc:"daily, weekly, monthly or yearly; \"\" does not repeat. Monthly on the 31st falls on the last day of shorter months; yearly on 29 February on 28 February in other years."`
	Interval  int    `json:"interval,omitempty" example:"2" doc:"Every how many days, weeks, months or years (1 to 999; default 1)."`
	Until     string `json:"until,omitempty" example:"2027-12-31" doc:"Last date an occurrence may fall on (YYYY-MM-DD)."`
}

// Task is a follow-up with a due date, assignee and reminder.
type Task struct {
	ID           string         `json:"id" format:"uuid"`
	Title        string         `json:"title" example:"Call back about the offer"`
	Notes        string         `json:"notes"`
	DueDate      string         `json:"due_date,omitempty" example:"2026-03-31" doc:"YYYY-MM-DD in time_zone."`
	DueTime      string         `json:"due_time,omitempty" example:"09:30" doc:"HH:MM in time_zone; absent for all day."`
	TimeZone     string         `json:"time_zone" example:"Europe/Berlin"`
	DueAt        *time.Time     `json:"due_at,omitempty" doc:"The UTC instant the task falls due (the end of the day without a time)."`
	Priority     string         `json:"priority" enum:"low,normal,high"`
	AssigneeID   string         `json:"assignee_id,omitempty" format:"uuid"`
	AssigneeName string         `json:"assignee_name,omitempty"`
	ContactID    string         `json:"contact_id,omitempty" format:"uuid"`
	ContactName  string         `json:"contact_name,omitempty"`
	CompanyID    string         `json:"company_id,omitempty" format:"uuid"`
	CompanyName  string         `json:"company_name,omitempty"`
	DealID       string         `json:"deal_id,omitempty" format:"uuid"`
	DealName     string         `json:"deal_name,omitempty"`
	Recurrence   TaskRecurrence `json:"recurrence"`
	PreviousID   string         `json:"previous_id,omitempty" format:"uuid" doc:"The occurrence whose completion made this one."`
	RemindAt     *time.Time     `json:"remind_at,omitempty"`
	Done         bool           `json:"done"`
	DoneAt       *time.Time     `json:"done_at,omitempty"`
	DoneBy       string         `json:"done_by,omitempty" format:"uuid"`
	Version      int            `json:"version" doc:"Send it back in a PATCH to refuse overwriting someone else's change."`
	CreatedAt    time.Time      `json:"created_at"`
	UpdatedAt    time.Time      `json:"updated_at"`
	CreatedBy    string         `json:"created_by,omitempty" format:"uuid"`
	UpdatedBy    string         `json:"updated_by,omitempty" format:"uuid"`
}

// TaskInput creates a task (POST) or changes one (PATCH). A field left out
// stays as it is; "" clears an optional one.
type TaskInput struct {
	Title      *string         `json:"title,omitempty" example:"Send the renewal offer" doc:"Required for a new task."`
	Notes      *string         `json:"notes,omitempty"`
	DueDate    *string         `json:"due_date,omitempty" example:"2026-03-31"`
	DueTime    *string         `json:"due_time,omitempty" example:"09:30"`
	TimeZone   *string         `json:"time_zone,omitempty" example:"Europe/Berlin" doc:"IANA zone; a new task takes its assignee's."`
	Priority   *string         `json:"priority,omitempty" example:"high" doc:"low, normal (default) or high."`
	AssigneeID *string         `json:"assignee_id,omitempty" doc:"An active user; a new task defaults to the caller."`
	ContactID  *string         `json:"contact_id,omitempty"`
	CompanyID  *string         `json:"company_id,omitempty"`
	DealID     *string         `json:"deal_id,omitempty"`
	Recurrence *TaskRecurrence `json:"recurrence,omitempty"`
	RemindAt   *string         `json:"remind_at,omitempty" example:"2026-03-31T08:00:00Z" doc:"RFC 3339, or YYYY-MM-DDTHH:MM in the task's time zone; \"\" removes the reminder."`
	Version    *int            `json:"version,omitempty" doc:"The version read; a PATCH on a task changed since answers 409."`
}

func (in TaskInput) service() task.Input {
	out := task.Input{Title: in.Title, Notes: in.Notes, DueDate: in.DueDate, DueTime: in.DueTime,
		TimeZone: in.TimeZone, Priority: in.Priority, AssigneeID: in.AssigneeID, ContactID: in.ContactID,
		CompanyID: in.CompanyID, DealID: in.DealID, RemindAt: in.RemindAt, Version: in.Version}
	if r := in.Recurrence; r != nil {
		out.Recurrence = &task.Rule{Frequency: r.Frequency, Interval: r.Interval, Until: r.Until}
	}
	return out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toTask(t task.Task) Task {
	return Task{ID: t.ID, Title: t.Title, Notes: t.Notes, DueDate: t.DueDate, DueTime: t.DueTime,
		TimeZone: t.TimeZone, DueAt: timePtr(t.DueAt), Priority: t.Priority, AssigneeID: t.AssigneeID,
		AssigneeName: t.AssigneeName, ContactID: t.ContactID, ContactName: t.ContactName, CompanyID: t.CompanyID,
		CompanyName: t.CompanyName, DealID: t.DealID, DealName: t.DealName,
		Recurrence: TaskRecurrence{Frequency: t.Recurrence.Frequency, Interval: t.Recurrence.Interval, Until: t.Recurrence.Until},
		PreviousID: t.PreviousID, RemindAt: timePtr(t.RemindAt), Done: t.Done(), DoneAt: timePtr(t.DoneAt),
		DoneBy: t.DoneBy, Version: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
		CreatedBy: t.CreatedBy, UpdatedBy: t.UpdatedBy}
}

// TaskPage is one page of tasks, in the order they were created.
type TaskPage struct {
	Data       []Task `json:"data"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

// TaskCompleted is a completed task and, for a repeating one, the next
// occurrence its completion created.
type TaskCompleted struct {
	Task Task  `json:"task"`
	Next *Task `json:"next,omitempty" doc:"The next occurrence of a repeating task, created by this completion."`
}

type taskListParams struct {
	AssigneeID string `query:"assignee_id" doc:"A user's id, or \"me\"."`
	Status     string `query:"status" doc:"open or done; both when absent."`
	DueBefore  string `query:"due_before" doc:"Due on or before this date (YYYY-MM-DD)."`
	DueAfter   string `query:"due_after" doc:"Due on or after this date (YYYY-MM-DD)."`
	ContactID  string `query:"contact_id"`
	CompanyID  string `query:"company_id"`
	DealID     string `query:"deal_id"`
	Cursor     string `query:"cursor" doc:"next_cursor of the page before."`
	Limit      int    `query:"limit" doc:"Page size, 1 to 200 (default 50)."`
}

type taskInput struct{ Body TaskInput }
type taskPatch struct {
	IDPath
	Body TaskInput
}
type taskOut struct{ Body Task }
type taskCreated struct {
	Location string `header:"Location" doc:"The new task's URL."`
	Body     Task
}
type taskPageOut struct{ Body TaskPage }
type taskCompletedOut struct{ Body TaskCompleted }

func (a *API) taskRoutes() {
	tags := []string{"Tasks"}
	p := Prefix + "/tasks"
	register(a, huma.Operation{OperationID: "list-tasks", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List tasks", Errors: []int{http.StatusUnprocessableEntity}}, a.listTasks)
	register(a, huma.Operation{OperationID: "create-task", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a task", DefaultStatus: http.StatusCreated}, a.createTask)
	register(a, huma.Operation{OperationID: "get-task", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a task", Errors: []int{http.StatusNotFound}}, a.getTask)
	register(a, huma.Operation{OperationID: "update-task", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a task", Description: "Only the fields sent change. With version, a task changed since answers 409.",
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateTask)
	register(a, huma.Operation{OperationID: "delete-task", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a task", DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteTask)
	register(a, huma.Operation{OperationID: "complete-task", Method: http.MethodPost, Path: p + "/{id}/complete", Tags: tags,
		Summary:     "Complete a task",
		Description: "Marks the task done. A repeating task gets its next occurrence in the same transaction. Completing a done task changes nothing.",
		Errors:      []int{http.StatusNotFound, http.StatusConflict}}, a.completeTask)
	register(a, huma.Operation{OperationID: "reopen-task", Method: http.MethodPost, Path: p + "/{id}/reopen", Tags: tags,
		Summary: "Reopen a task", Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.reopenTask)
}

func (a *API) listTasks(ctx context.Context, in *taskListParams) (*taskPageOut, error) {
	assignee := in.AssigneeID
	if assignee == "me" {
		actor, _ := access.ActorFrom(ctx)
		assignee = actor.UserID
	}
	page, err := a.o.Tasks.List(ctx, task.Filter{AssigneeID: assignee, Status: in.Status, DueBefore: in.DueBefore,
		DueAfter: in.DueAfter, ContactID: in.ContactID, CompanyID: in.CompanyID, DealID: in.DealID,
		Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &taskPageOut{Body: TaskPage{Data: make([]Task, len(page.Tasks)), NextCursor: page.Next}}
	for i, t := range page.Tasks {
		out.Body.Data[i] = toTask(t)
	}
	return out, nil
}

func (a *API) createTask(ctx context.Context, in *taskInput) (*taskCreated, error) {
	t, err := a.o.Tasks.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &taskCreated{Location: Prefix + "/tasks/" + t.ID, Body: toTask(t)}, nil
}

func (a *API) getTask(ctx context.Context, in *IDPath) (*taskOut, error) {
	t, err := a.o.Tasks.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &taskOut{Body: toTask(t)}, nil
}

func (a *API) updateTask(ctx context.Context, in *taskPatch) (*taskOut, error) {
	t, err := a.o.Tasks.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &taskOut{Body: toTask(t)}, nil
}

func (a *API) deleteTask(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Tasks.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) completeTask(ctx context.Context, in *IDPath) (*taskCompletedOut, error) {
	t, next, err := a.o.Tasks.Complete(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &taskCompletedOut{Body: TaskCompleted{Task: toTask(t)}}
	if next != nil {
		n := toTask(*next)
		out.Body.Next = &n
	}
	return out, nil
}

func (a *API) reopenTask(ctx context.Context, in *IDPath) (*taskOut, error) {
	t, err := a.o.Tasks.Reopen(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &taskOut{Body: toTask(t)}, nil
}
