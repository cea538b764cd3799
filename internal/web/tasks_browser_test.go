package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/web"
)

// taskSite is a server whose tasks fire reminders through a running job
// queue and whose bell polls every second.
func taskSite(t *testing.T, d *db.DB) (*httptest.Server, *task.Service) {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	users := user.NewService(d)
	tasks := task.NewService(d, users)
	ws := river.NewWorkers()
	river.AddWorker(ws, task.NewReminderWorker(tasks))
	q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	tasks.UseQueue(q)
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: users, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Tasks: tasks, BellEvery: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv, tasks
}

// A person adds a task due today, sees it under Today, completes it with
// a click and another with the keyboard, and sees the bell count a
// reminder the moment it fires, without reloading: at desktop and phone
// widths.
func TestBrowserTasks(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			octx, owner := fixture.User(t, d, "owner")
			srv, tasks := taskSite(t, d)
			ctx := recBrowser(t, size.width, size.height)
			u := srv.URL
			recRun(ctx, t, "sign in",
				chromedp.Navigate(u+"/login"),
				chromedp.SendKeys(chromedp.ID("email"), owner.Email),
				chromedp.SendKeys(chromedp.ID("password"), fixture.Password),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
				chromedp.Navigate(u+"/tasks"),
				chromedp.WaitVisible(`//div[contains(@class,"empty-state")][contains(., "Nothing to do")]`),
			)
			for _, title := range []string{"Call Ada about the offer", "Write the proposal"} {
				recRun(ctx, t, "add "+title,
					chromedp.WaitVisible(chromedp.ID("quick-title")),
					chromedp.SendKeys(chromedp.ID("quick-title"), title),
					chromedp.Click(chromedp.CSS(`.task-quick button[type="submit"]`)),
					chromedp.WaitVisible(`//section[@data-group="today"]//a[@class="task-title"][.="`+title+`"]`),
				)
			}
			if due := recEval[string](ctx, t, `document.querySelector('[data-group="today"] .task-due').textContent`); due != "Today" {
				t.Errorf("due shown as %q, want Today", due)
			}
			recShot(ctx, t, "tasks-"+size.name)
			if w := recEval[bool](ctx, t, `document.documentElement.scrollWidth <= window.innerWidth`); !w {
				t.Errorf("the tasks page scrolls sideways: %s", recEval[string](ctx, t, `Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map(e => e.tagName + "." + e.className + ":" + Math.round(e.getBoundingClientRect().right)).join(" ")`))
			}
			// The page is not reloaded from here on: a marker survives.
			recEval[bool](ctx, t, `window.rapportNoReload = true`)

			recRun(ctx, t, "complete with a click",
				chromedp.Click(`//li[.//a[.="Call Ada about the offer"]]//button[@data-task-toggle]`),
				chromedp.WaitVisible(`//section[@data-group="done"]//a[.="Call Ada about the offer"]`),
			)
			if !recEval[bool](ctx, t, `window.rapportNoReload === true`) {
				t.Error("completing a task reloaded the page")
			}
			if n := recEval[int](ctx, t, `document.querySelectorAll('[data-group="today"] [data-task]').length`); n != 1 {
				t.Errorf("%d tasks left under Today, want 1", n)
			}
			recRun(ctx, t, "complete with the keyboard",
				chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`),
				chromedp.KeyEvent("j"),
				chromedp.Poll[chromedp.Void](`document.activeElement.matches('[data-task]') && document.activeElement.textContent.includes("Write the proposal")`,
					chromedp.WithPollingTimeout(5*time.Second)),
				chromedp.KeyEvent("x"),
				chromedp.WaitVisible(`//section[@data-group="done"]//a[.="Write the proposal"]`),
			)
			if !recEval[bool](ctx, t, `window.rapportNoReload === true`) {
				t.Error("completing a task with a key reloaded the page")
			}
			if n := recEval[int](ctx, t, `document.querySelectorAll('[data-group="done"] [data-task]').length`); n != 2 {
				t.Errorf("%d tasks under Done, want 2", n)
			}
			if recEval[bool](ctx, t, `!!document.querySelector('[data-bell-count]')`) {
				t.Fatal("the bell counts before any reminder")
			}

			remind := time.Now().Add(2 * time.Second).UTC().Format(time.RFC3339)
			if _, err := tasks.Create(octx, task.Input{Title: fixture.Ptr("Send the contract"), RemindAt: &remind}); err != nil {
				t.Fatal(err)
			}
			recRun(ctx, t, "bell counts the reminder",
				chromedp.Poll[chromedp.Void](`(document.querySelector('[data-bell-count]') || {}).textContent === "1"`,
					chromedp.WithPollingTimeout(20*time.Second)),
			)
			if !recEval[bool](ctx, t, `window.rapportNoReload === true`) {
				t.Errorf("the page reloaded to update the bell: now at %s", recEval[string](ctx, t, `location.href + " " + document.title`))
			}
			recRun(ctx, t, "open the notifications",
				chromedp.Click(chromedp.CSS("#bell")),
				chromedp.WaitVisible(`//li[contains(@class,"notification")][contains(., "Send the contract")]`),
				chromedp.Click(`//button[normalize-space()="Mark all read"]`),
				chromedp.WaitVisible(`//p[contains(., "Everything is read.")]`),
			)
			if recEval[bool](ctx, t, `!!document.querySelector('[data-bell-count]')`) {
				t.Error("the bell still counts after marking all read")
			}
			recShot(ctx, t, "notifications-"+size.name)

			// The full form: link a contact picked from the suggestions,
			// repeat every 2 weeks.
			ada, err := contact.NewService(d, user.NewService(d)).Create(octx, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace")})
			if err != nil {
				t.Fatal(err)
			}
			recRun(ctx, t, "full form",
				chromedp.Navigate(u+"/tasks/new"),
				chromedp.SendKeys(chromedp.ID("task-title"), "Check in with Ada"),
				chromedp.SetValue(chromedp.ID("task-due"), "2030-01-07"),
				chromedp.SendKeys(chromedp.ID("task-link-q"), "Lovel"),
				chromedp.WaitVisible(chromedp.CSS(`[data-link-id="`+ada.ID+`"]`)),
				chromedp.Click(chromedp.CSS(`[data-link-id="`+ada.ID+`"]`)),
			)
			if got := recEval[string](ctx, t, `document.getElementById("task-contact").value`); got != ada.ID {
				t.Fatalf("picking Ada set contact id %q", got)
			}
			recRun(ctx, t, "submit the form",
				chromedp.SetValue(chromedp.ID("task-frequency"), "weekly"),
				chromedp.SendKeys(chromedp.ID("task-interval"), "2"),
				chromedp.Click(chromedp.CSS(`#task-form button[type="submit"]`)),
				chromedp.WaitVisible(`//section[@data-group="upcoming"]//li[.//a[.="Check in with Ada"]][contains(., "Every 2 weeks")][.//a[.="Ada Lovelace"]]`),
			)
		})
	}
}
