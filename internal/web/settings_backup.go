package web

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/db"
)

// backupRoutes registers Settings → Backups, for owners and admins.
func (s *Server) backupRoutes(page func(pattern string, h http.HandlerFunc)) {
	if s.backups == nil {
		return
	}
	p := func(pattern string, h http.HandlerFunc) { page(pattern, s.requireUser(h)) }
	p("GET /settings/backups", s.backupsPage)
	p("POST /settings/backups", s.backupsSave)
	p("POST /settings/backups/run", s.backupsRun)
}

// backupChoice is one option of the schedule select.
type backupChoice struct{ Value, Label string }

var backupChoices = []backupChoice{
	{backup.Off, "Off"}, {backup.Hourly, "Every hour"}, {backup.Daily, "Every day"}, {backup.Weekly, "Every week"},
}

// backupFile is one row of the list of backups.
type backupFile struct {
	Name string
	Time time.Time
	Size string
}

type backupsView struct {
	page
	// Every and Keep are the schedule as shown in the form (as typed when
	// it is re-rendered with errors).
	Every   string
	Keep    string
	Choices []backupChoice
	MaxKeep int
	Folder  string
	Files   []backupFile
	// Writing is true while a backup is being written; the list then
	// refreshes itself.
	Writing  bool
	Last     backup.LastRun
	LastSize string
	Engine   string
	Errors   *apperr.Validation
}

func (s *Server) backupsView(r *http.Request, every, keep string, verr *apperr.Validation) (backupsView, error) {
	v := backupsView{page: s.page(r, "Backups"), Every: every, Keep: keep, Choices: backupChoices,
		MaxKeep: backup.MaxKeep, Errors: verr, Engine: "SQLite"}
	if s.db.Engine == db.Postgres {
		v.Engine = "PostgreSQL"
	}
	folder, err := s.backups.Files(r.Context())
	if err != nil {
		return v, err
	}
	v.Folder, v.Writing = folder.Dir, folder.Writing || r.URL.Query().Get("started") != ""
	for _, f := range folder.Files {
		v.Files = append(v.Files, backupFile{Name: f.Name, Time: f.Time, Size: backup.FormatSize(f.Size)})
	}
	if v.Last, err = s.backups.Last(r.Context()); err != nil {
		return v, err
	}
	v.LastSize = backup.FormatSize(v.Last.Size)
	return v, nil
}

func (s *Server) backupsPage(w http.ResponseWriter, r *http.Request) {
	sc, err := s.backups.Schedule(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.backupsView(r, sc.Every, strconv.Itoa(sc.Keep), nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "settings_backup", v)
}

func (s *Server) backupsSave(w http.ResponseWriter, r *http.Request) {
	if !allowed(r, access.Settings, access.Update) {
		s.forbidden(w, r)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	every, keep := r.PostFormValue("every"), r.PostFormValue("keep")
	sc, err := backup.ParseSchedule(every, keep)
	if err == nil {
		sc, err = s.backups.SetSchedule(r.Context(), sc)
	}
	if verr, err := formError(err); verr != nil {
		v, err := s.backupsView(r, every, keep, verr)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusUnprocessableEntity, "settings_backup", v)
		return
	} else if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := "Scheduled backups are off."
	if sc.Every != backup.Off {
		for _, c := range backupChoices {
			if c.Value == sc.Every {
				msg = c.Label + " a backup is written; the newest " + strconv.Itoa(sc.Keep) + " are kept."
			}
		}
	}
	s.redirect(w, r, "/settings/backups", msg)
}

// backupsRun answers "Back up now": through the job queue when the server
// runs one (the list shows the file when it is done), else at once.
func (s *Server) backupsRun(w http.ResponseWriter, r *http.Request) {
	if !allowed(r, access.Settings, access.Update) {
		s.forbidden(w, r)
		return
	}
	if s.jobs != nil {
		if err := s.backups.Start(r.Context(), s.jobs); err != nil {
			s.fail(w, r, err)
			return
		}
		s.redirect(w, r, "/settings/backups?started=1", "Backup started. It appears in the list when it is done.")
		return
	}
	// The backup finishes even if the browser gives up waiting.
	res, err := s.backups.Now(context.WithoutCancel(r.Context()))
	switch {
	case errors.Is(err, backup.ErrBusy):
		s.redirect(w, r, "/settings/backups", "A backup is being written already; it appears in the list when it is done.")
	case errors.Is(err, apperr.ErrForbidden):
		s.fail(w, r, err)
	case err != nil:
		s.log(r).Error("backup failed", "err", err)
		s.redirect(w, r, "/settings/backups", "The backup failed: "+err.Error())
	default:
		s.redirect(w, r, "/settings/backups", "Backup written: "+filepath.Base(res.Path)+" ("+backup.FormatSize(res.Size)+") in "+
			res.Duration.Round(10*time.Millisecond).String()+".")
	}
}
