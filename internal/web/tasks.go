package web

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/task"
)

// The "My tasks" page, the task form, and the task events' sentences on
// the timelines of the records a task links to.

func init() {
	registerSentence("task.created", func(t eventText) string {
		s := t.Actor + " added the task “" + t.Str("title") + "”"
		if d := t.Str("due_date"); d != "" {
			s += ", due " + d
		}
		return s
	})
	registerSentence("task.completed", func(t eventText) string {
		s := t.Actor + " completed the task “" + t.Str("title") + "”"
		if d := t.Str("next_due_date"); d != "" {
			s += "; it comes back on " + d
		}
		return s
	})
	registerSentence("task.reopened", func(t eventText) string {
		return t.Actor + " reopened the task “" + t.Str("title") + "”"
	})
	registerSentence("task.updated", func(t eventText) string {
		return t.Actor + " changed the task “" + t.Str("title") + "”"
	})
	registerSentence("task.deleted", func(t eventText) string {
		return t.Actor + " deleted the task “" + t.Str("title") + "”"
	})
}

func (s *Server) taskRoutes(page func(pattern string, h http.HandlerFunc)) {
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /tasks", s.tasksPage)
	p("GET /tasks/new", s.taskNew)
	p("POST /tasks", s.taskCreate)
	p("POST /tasks/timezone", s.taskTimeZone)
	p("GET /tasks/suggest", s.taskSuggest)
	p("GET /tasks/{id}", s.taskEdit)
	p("POST /tasks/{id}", s.taskUpdate)
	p("POST /tasks/{id}/complete", s.taskComplete)
	p("POST /tasks/{id}/reopen", s.taskReopen)
	p("POST /tasks/{id}/delete", s.taskDelete)
	p("GET /tasks/of/{kind}/{id}", s.recordTasks)
	s.notificationRoutes(p)
}

// taskForm is the task form's values as typed, with its errors.
type taskForm struct {
	ID, Action, Return                   string
	Title, Notes, DueDate, DueTime, Zone string
	Priority, AssigneeID                 string
	ContactID, ContactName               string
	CompanyID, CompanyName, DealID       string
	DealName, Frequency, Interval, Until string
	RemindAt                             string
	Version                              int
	Done                                 bool
	Errors                               *apperr.Validation
	Users                                []ownerOption
	Priorities, Frequencies              []string
}

type tasksView struct {
	page
	Board     task.Board
	Groups    []taskGroup
	Quick     taskForm
	CanCreate bool
	// Done says what a completion from the board just did; it shows in
	// the redrawn board (the page's flash shows after a reload).
	Done string
}

// taskGroup is one section of the board.
type taskGroup struct {
	Key, Label string
	Rows       []taskRow
}

// taskRow is a task as the board shows it.
type taskRow struct {
	task.Task
	Due     string
	Overdue bool
}

// taskBoardView groups b for the page; empty groups are left out, except that
// Today is always shown so a new task has a place to land.
func taskBoardView(p page, b task.Board) tasksView {
	v := tasksView{page: p, Board: b}
	add := func(key, label string, list []task.Task, always bool) {
		if len(list) == 0 && !always {
			return
		}
		g := taskGroup{Key: key, Label: label}
		for _, t := range list {
			g.Rows = append(g.Rows, taskRow{Task: t, Due: v.Due(t), Overdue: !t.Done() && t.DueDate != "" && t.DueDate < b.Today})
		}
		v.Groups = append(v.Groups, g)
	}
	add("overdue", "Overdue", b.Overdue, false)
	add("today", "Today", b.DueToday, b.Open() > 0)
	add("upcoming", "Upcoming", b.Upcoming, false)
	add("nodate", "No due date", b.NoDate, false)
	add("done", "Done recently", b.Done, false)
	return v
}

type taskFormView struct {
	page
	Form taskForm
}

func (s *Server) tasksPage(w http.ResponseWriter, r *http.Request) {
	s.renderTasks(w, r, http.StatusOK, taskForm{})
}

// renderTasks renders "My tasks" with the quick-add form quick (its values
// and errors after a failed add).
func (s *Server) renderTasks(w http.ResponseWriter, r *http.Request, status int, quick taskForm) {
	b, err := s.tasks.MyTasks(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if quick.DueDate == "" && quick.Errors == nil {
		quick.DueDate = b.Today
	}
	quick.Action, quick.Return = "/tasks", "/tasks"
	v := taskBoardView(s.page(r, "My tasks"), b)
	v.Quick, v.CanCreate = quick, allowed(r, task.Object, access.Create)
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "task-board" {
		s.taskFragment(w, r, status, "tasks-board", v)
		return
	}
	s.render(w, r, status, "tasks", v)
}

// taskFragment renders a block of the tasks page's template set.
func (s *Server) taskFragment(w http.ResponseWriter, r *http.Request, status int, name string, view any) {
	var buf bytes.Buffer
	if err := s.r.pages["tasks"].ExecuteTemplate(&buf, name, view); err != nil {
		s.log(r).Error("render fragment", slog.String("fragment", name), slog.Any("err", err))
		http.Error(w, "Internal server error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func (s *Server) taskNew(w http.ResponseWriter, r *http.Request) {
	if !allowed(r, task.Object, access.Create) {
		s.forbidden(w, r)
		return
	}
	q := r.URL.Query()
	f := taskForm{Action: "/tasks", Return: taskReturn(q.Get("return")), AssigneeID: me(r).ID,
		ContactID: q.Get("contact_id"), CompanyID: q.Get("company_id"), DealID: q.Get("deal_id"),
		DueDate: q.Get("due_date"), Priority: task.Normal}
	s.linkNames(r, &f)
	s.renderTaskForm(w, r, http.StatusOK, "New task", f)
}

// linkNames names the records a new task's form arrives linked to (from a
// contact's, company's or deal's tasks panel), so the form says what the
// task will be about rather than showing a bare id. A record the user
// cannot read stays unnamed; saving reports it.
func (s *Server) linkNames(r *http.Request, f *taskForm) {
	ctx := r.Context()
	if f.ContactID != "" && s.contacts != nil {
		if c, err := s.contacts.ByID(ctx, f.ContactID); err == nil {
			f.ContactName = c.DisplayName
		}
	}
	if f.CompanyID != "" && s.companies != nil {
		if c, err := s.companies.ByID(ctx, f.CompanyID); err == nil {
			f.CompanyName = c.Name
		}
	}
	if f.DealID != "" && s.deals != nil {
		if d, err := s.deals.ByID(ctx, f.DealID); err == nil {
			f.DealName = d.Name
		}
	}
}

func (s *Server) taskEdit(w http.ResponseWriter, r *http.Request) {
	t, err := s.tasks.ByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f := formOfTask(t)
	f.Return = taskReturn(r.URL.Query().Get("return"))
	s.renderTaskForm(w, r, http.StatusOK, t.Title, f)
}

func formOfTask(t task.Task) taskForm {
	f := taskForm{ID: t.ID, Action: "/tasks/" + t.ID, Title: t.Title, Notes: t.Notes, DueDate: t.DueDate,
		DueTime: t.DueTime, Zone: t.TimeZone, Priority: t.Priority, AssigneeID: t.AssigneeID,
		ContactID: t.ContactID, ContactName: t.ContactName, CompanyID: t.CompanyID, CompanyName: t.CompanyName,
		DealID: t.DealID, DealName: t.DealName, Frequency: t.Recurrence.Frequency, Until: t.Recurrence.Until,
		Version: t.Version, Done: t.Done()}
	if t.Recurrence.Interval > 1 {
		f.Interval = strconv.Itoa(t.Recurrence.Interval)
	}
	if !t.RemindAt.IsZero() {
		loc, err := time.LoadLocation(t.TimeZone)
		if err != nil {
			loc = time.UTC
		}
		f.RemindAt = t.RemindAt.In(loc).Format("2006-01-02T15:04")
	}
	return f
}

func (s *Server) renderTaskForm(w http.ResponseWriter, r *http.Request, status int, title string, f taskForm) {
	users, err := s.owners(r, f.AssigneeID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f.Users, f.Priorities, f.Frequencies = users, task.Priorities, task.Frequencies
	s.render(w, r, status, "task_form", taskFormView{page: s.page(r, title), Form: f})
}

// postedTask reads a task form; fields the form does not have stay nil.
func postedTask(r *http.Request) (task.Input, taskForm) {
	f := taskForm{}
	in := task.Input{}
	str := func(name string, dst *string, field **string) {
		vals, ok := r.PostForm[name]
		if !ok {
			return
		}
		*dst = strings.TrimSpace(vals[0])
		v := *dst
		*field = &v
	}
	str("title", &f.Title, &in.Title)
	str("notes", &f.Notes, &in.Notes)
	str("due_date", &f.DueDate, &in.DueDate)
	str("due_time", &f.DueTime, &in.DueTime)
	str("priority", &f.Priority, &in.Priority)
	str("assignee_id", &f.AssigneeID, &in.AssigneeID)
	str("contact_id", &f.ContactID, &in.ContactID)
	str("company_id", &f.CompanyID, &in.CompanyID)
	str("deal_id", &f.DealID, &in.DealID)
	str("remind_at", &f.RemindAt, &in.RemindAt)
	str("time_zone", &f.Zone, &in.TimeZone)
	if f.Zone == "" {
		in.TimeZone = nil
	}
	f.ContactName, f.CompanyName = r.PostFormValue("contact_name"), r.PostFormValue("company_name")
	if _, ok := r.PostForm["frequency"]; ok {
		f.Frequency, f.Interval, f.Until = r.PostFormValue("frequency"), r.PostFormValue("interval"), r.PostFormValue("until")
		rule := task.Rule{Frequency: f.Frequency, Until: f.Until}
		if f.Interval != "" {
			n, err := strconv.Atoi(strings.TrimSpace(f.Interval))
			if err != nil {
				n = -1
			}
			rule.Interval = n
		}
		in.Recurrence = &rule
	}
	if v, err := strconv.Atoi(r.PostFormValue("version")); err == nil {
		f.Version = v
		in.Version = &v
	}
	return in, f
}

func (s *Server) taskCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in, f := postedTask(r)
	quick := r.PostFormValue("quick") == "1"
	f.Return = taskReturn(r.PostFormValue("return"))
	t, err := s.tasks.Create(r.Context(), in)
	if v := apperr.AsValidation(err); v != nil {
		f.Errors = v
		if quick {
			s.renderTasks(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		f.Action = "/tasks"
		s.renderTaskForm(w, r, http.StatusUnprocessableEntity, "New task", f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Added the task “%s”.", t.Title))
	http.Redirect(w, r, f.Return, http.StatusSeeOther)
}

func (s *Server) taskUpdate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, err)
		return
	}
	in, f := postedTask(r)
	f.ID, f.Action = r.PathValue("id"), "/tasks/"+r.PathValue("id")
	f.Return = taskReturn(r.PostFormValue("return"))
	t, err := s.tasks.Update(r.Context(), f.ID, in)
	if errors.Is(err, apperr.ErrConflict) && apperr.AsValidation(err) == nil {
		var v apperr.Validation
		v.Add("version", "Someone else changed this task while you were editing it. Reload the page to see their change, then make yours again.")
		err = v.Err()
	}
	if v := apperr.AsValidation(err); v != nil {
		f.Errors = v
		s.renderTaskForm(w, r, http.StatusUnprocessableEntity, "Edit task", f)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Saved the task “%s”.", t.Title))
	http.Redirect(w, r, f.Return, http.StatusSeeOther)
}

func (s *Server) taskDelete(w http.ResponseWriter, r *http.Request) {
	t, err := s.tasks.ByID(r.Context(), r.PathValue("id"))
	if err == nil {
		err = s.tasks.Delete(r.Context(), t.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Deleted the task “%s”.", t.Title))
	http.Redirect(w, r, taskReturn(r.PostFormValue("return")), http.StatusSeeOther)
}

// taskComplete ticks a task off. From the board (htmx) it answers with the
// board redrawn; otherwise it goes back where the form came from.
func (s *Server) taskComplete(w http.ResponseWriter, r *http.Request) {
	t, next, err := s.tasks.Complete(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := fmt.Sprintf("Completed “%s”.", t.Title)
	if next != nil {
		msg += " It comes back on " + next.DueDate + "."
	}
	s.afterToggle(w, r, msg)
}

func (s *Server) taskReopen(w http.ResponseWriter, r *http.Request) {
	t, err := s.tasks.Reopen(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.afterToggle(w, r, fmt.Sprintf("Reopened “%s”.", t.Title))
}

func (s *Server) afterToggle(w http.ResponseWriter, r *http.Request, msg string) {
	if r.Header.Get("HX-Request") == "true" {
		b, err := s.tasks.MyTasks(r.Context())
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v := taskBoardView(s.page(r, "My tasks"), b)
		v.Done = msg
		s.taskFragment(w, r, http.StatusOK, "tasks-board", v)
		return
	}
	s.sessions.Put(r.Context(), "flash", msg)
	http.Redirect(w, r, taskReturn(r.PostFormValue("return")), http.StatusSeeOther)
}

// taskTimeZone stores the browser's time zone as the user's, so "today"
// on the board is the user's today.
func (s *Server) taskTimeZone(w http.ResponseWriter, r *http.Request) {
	zone := r.PostFormValue("time_zone")
	if err := s.tasks.SetTimeZone(r.Context(), zone); err != nil {
		if apperr.AsValidation(err) == nil {
			s.fail(w, r, err)
			return
		}
		s.sessions.Put(r.Context(), "flash", fmt.Sprintf("Rapport does not know your browser's time zone “%s”; your days keep the time zone they had.", zone))
	}
	http.Redirect(w, r, "/tasks", http.StatusSeeOther)
}

type taskSuggestion struct {
	Kind, ID, Title, Subtitle string
}

type taskSuggestions struct {
	Query string
	Hits  []taskSuggestion
}

// taskSuggest offers contacts and companies matching what was typed into
// the task form's link picker.
func (s *Server) taskSuggest(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("link_q"))
	v := taskSuggestions{Query: q}
	if q != "" {
		var kinds []string
		if allowed(r, access.Contacts, access.Read) {
			kinds = append(kinds, search.KindContact)
		}
		if allowed(r, access.Companies, access.Read) {
			kinds = append(kinds, search.KindCompany)
		}
		if len(kinds) > 0 {
			actor, _ := access.ActorFrom(r.Context())
			groups, err := search.Query(r.Context(), s.db.R, s.db.Engine, q, search.Options{Kinds: kinds, Limit: 5, Reader: &actor})
			if err != nil {
				s.fail(w, r, err)
				return
			}
			for _, g := range groups {
				for _, h := range g.Hits {
					v.Hits = append(v.Hits, taskSuggestion{Kind: h.Kind, ID: h.ID, Title: h.Title, Subtitle: h.Subtitle})
				}
			}
		}
	}
	s.taskFragment(w, r, http.StatusOK, "task-suggestions", v)
}

// Due says when t is due in words for the board.
func (v tasksView) Due(t task.Task) string {
	today := v.Board.Today
	if t.DueDate == "" {
		return ""
	}
	d := t.DueDate
	if day, err := time.Parse("2006-01-02", t.DueDate); err == nil {
		now, _ := time.Parse("2006-01-02", today)
		switch int(day.Sub(now).Hours() / 24) {
		case 0:
			d = "Today"
		case 1:
			d = "Tomorrow"
		case -1:
			d = "Yesterday"
		default:
			d = day.Format("Mon 2 Jan 2006")
		}
	}
	if t.DueTime != "" {
		d += " " + t.DueTime
	}
	return d
}

type recordTasksView struct {
	Tasks     []task.Task
	Open      int
	Return    string
	NewURL    string
	CanCreate bool
}

// recordTasks is the tasks panel of a contact's, company's or deal's page.
func (s *Server) recordTasks(w http.ResponseWriter, r *http.Request) {
	kind, recordID := r.PathValue("kind"), r.PathValue("id")
	if kind != "contact" && kind != "company" && kind != "deal" {
		s.notFound(w, r)
		return
	}
	if kind == "deal" {
		if s.deals == nil {
			s.notFound(w, r)
			return
		}
		// The deal must exist and be visible (the other kinds' pages
		// check their own records).
		if _, err := s.deals.ByID(r.Context(), recordID); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	list, err := s.tasks.ForRecord(r.Context(), kind, recordID)
	if errors.Is(err, apperr.ErrForbidden) {
		// A role without tasks sees no panel.
		w.WriteHeader(http.StatusOK)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	path := map[string]string{"contact": "/contacts/", "company": "/companies/", "deal": "/deals/"}[kind]
	v := recordTasksView{Tasks: list, Return: path + recordID, CanCreate: allowed(r, task.Object, access.Create),
		NewURL: "/tasks/new?" + url.Values{kind + "_id": {recordID}, "return": {path + recordID}}.Encode()}
	for _, t := range list {
		if !t.Done() {
			v.Open++
		}
	}
	if r.Header.Get("HX-Request") != "true" {
		// Without htmx the panel's link leads to "My tasks".
		http.Redirect(w, r, "/tasks", http.StatusSeeOther)
		return
	}
	s.taskFragment(w, r, http.StatusOK, "record-tasks", v)
}

// taskReturn is where a task form goes back to: a path on this site, or
// "My tasks".
func taskReturn(next string) string {
	if next == "" {
		return "/tasks"
	}
	return safeNext(next)
}
