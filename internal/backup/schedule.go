package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/setting"
)

// Setting keys of the backup schedule.
const (
	KeyEvery = "backup.every"
	KeyKeep  = "backup.keep"
	// KeyLast holds the outcome of the latest backup into the folder.
	KeyLast = "backup.last"
)

// Frequencies of scheduled backups.
const (
	Off    = "off"
	Hourly = "hourly"
	Daily  = "daily"
	Weekly = "weekly"
)

// Defaults and limits of the schedule.
const (
	DefaultEvery = Off
	DefaultKeep  = 7
	MaxKeep      = 1000
)

// Frequencies lists the choices of Schedule.Every in order.
var Frequencies = []string{Off, Hourly, Daily, Weekly}

var intervals = map[string]time.Duration{Hourly: time.Hour, Daily: 24 * time.Hour, Weekly: 7 * 24 * time.Hour}

// CheckEvery is how often the periodic job asks whether a backup is due.
const CheckEvery = 15 * time.Minute

// Schedule is how often backups are written to the backup folder and how
// many of them are kept.
type Schedule struct {
	Every string
	Keep  int
}

// ParseSchedule reads a schedule as typed into a form and checks it.
func ParseSchedule(every, keep string) (Schedule, error) {
	s := Schedule{Every: strings.TrimSpace(every)}
	var v apperr.Validation
	k, err := strconv.Atoi(strings.TrimSpace(keep))
	if err != nil {
		v.Add("keep", fmt.Sprintf("Enter a whole number from 1 to %d.", MaxKeep))
	} else {
		s.Keep = k
	}
	v.Merge(s.validate())
	return s, v.Err()
}

func (s Schedule) validate() error {
	var v apperr.Validation
	if _, ok := intervals[s.Every]; !ok && s.Every != Off {
		v.Add("every", "Choose off, hourly, daily or weekly.")
	}
	if s.Keep < 1 || s.Keep > MaxKeep {
		v.Add("keep", fmt.Sprintf("Keep at least 1 and at most %d backups.", MaxKeep))
	}
	return v.Err()
}

// Schedule returns the backup schedule; only those who may change settings
// may see it.
func (s *Service) Schedule(ctx context.Context) (Schedule, error) {
	if _, err := access.Check(ctx, access.Settings, access.Update); err != nil {
		return Schedule{}, err
	}
	return s.schedule(ctx, s.db.R)
}

func (s *Service) schedule(ctx context.Context, q db.Querier) (Schedule, error) {
	every, err := setting.Get(ctx, q, KeyEvery, DefaultEvery)
	if err != nil {
		return Schedule{}, err
	}
	keep, err := setting.Get(ctx, q, KeyKeep, strconv.Itoa(DefaultKeep))
	if err != nil {
		return Schedule{}, err
	}
	sc := Schedule{Every: every, Keep: DefaultKeep}
	if k, err := strconv.Atoi(keep); err == nil && k >= 1 {
		sc.Keep = k
	}
	if _, ok := intervals[every]; !ok {
		sc.Every = Off
	}
	return sc, nil
}

// SetSchedule checks and stores the schedule, recording the change.
func (s *Service) SetSchedule(ctx context.Context, in Schedule) (Schedule, error) {
	actor, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return Schedule{}, err
	}
	if err := in.validate(); err != nil {
		return Schedule{}, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		before, err := s.schedule(ctx, tx)
		if err != nil {
			return err
		}
		if before == in {
			return nil
		}
		if err := setting.Set(ctx, tx, KeyEvery, in.Every); err != nil {
			return err
		}
		if err := setting.Set(ctx, tx, KeyKeep, strconv.Itoa(in.Keep)); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "setting.changed", ActorID: actor.UserID,
			SubjectType: "setting", SubjectID: settingsSubject,
			Data: map[string]any{"key": "backup", "before": before, "after": in}})
		return err
	})
	if err != nil {
		return Schedule{}, fmt.Errorf("backup: save schedule: %w", err)
	}
	return in, nil
}

// settingsSubject is the subject id of setting events: the organisation's
// settings as a whole.
const settingsSubject = "00000000-0000-0000-0000-000000000000"

// Due reports whether a backup is due at now on the schedule every, given
// the time of the newest backup (zero when there is none). Half a check
// interval of slack keeps "hourly" from drifting by one check each hour.
func Due(every string, newest, now time.Time) bool {
	iv, ok := intervals[every]
	if !ok {
		return false
	}
	return newest.IsZero() || !now.Before(newest.Add(iv-CheckEvery/2))
}

// File is a backup in the backup folder.
type File struct {
	Name string
	Path string
	Size int64
	// Time is when the backup was taken, from its name.
	Time time.Time
	// seq orders backups taken in the same second: 1, 2, ...
	seq int
}

// fileName matches backups the folder's owner wrote: rapport-YYYYMMDD-HHMMSS.db
// (SQLite) or .dump (PostgreSQL), with a counter when two share a second.
var fileName = regexp.MustCompile(`^rapport-(\d{8}-\d{6})(?:-(\d+))?\.(db|dump)$`)

const stampLayout = "20060102-150405"

// Folder is the state of the backup folder.
type Folder struct {
	Dir string
	// Files are the backups, newest first.
	Files []File
	// Writing is true while a backup is being written into the folder.
	Writing bool
}

// Files lists the backups in the backup folder, newest first.
func (s *Service) Files(ctx context.Context) (Folder, error) {
	if _, err := access.Check(ctx, access.Settings, access.Update); err != nil {
		return Folder{}, err
	}
	return s.folder()
}

func (s *Service) folder() (Folder, error) {
	f := Folder{Dir: s.dir}
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("backup: list %s: %w", s.dir, err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if strings.Contains(e.Name(), tmpMarker) {
			f.Writing = f.Writing || time.Since(info.ModTime()) < writingWindow
			continue
		}
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		t, err := time.ParseInLocation(stampLayout, m[1], time.UTC)
		if err != nil {
			continue
		}
		seq := 1
		if m[2] != "" {
			seq, _ = strconv.Atoi(m[2])
		}
		f.Files = append(f.Files, File{Name: e.Name(), Path: filepath.Join(s.dir, e.Name()), Size: info.Size(), Time: t, seq: seq})
	}
	sort.Slice(f.Files, func(i, j int) bool {
		if !f.Files[i].Time.Equal(f.Files[j].Time) {
			return f.Files[i].Time.After(f.Files[j].Time)
		}
		return f.Files[i].seq > f.Files[j].seq
	})
	return f, nil
}

// writingWindow: a temporary file changed this recently belongs to a backup
// still being written; an older one was left by a crash.
const writingWindow = 10 * time.Minute

// prune deletes the oldest backups in the folder beyond the newest keep,
// and temporary files a crash left behind. It returns the names deleted.
func (s *Service) prune(keep int) ([]string, error) {
	f, err := s.folder()
	if err != nil {
		return nil, err
	}
	var deleted []string
	for i, file := range f.Files {
		if i < keep {
			continue
		}
		if err := os.Remove(file.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return deleted, fmt.Errorf("backup: delete %s: %w", file.Name, err)
		}
		deleted = append(deleted, file.Name)
	}
	entries, _ := os.ReadDir(s.dir)
	for _, e := range entries {
		if info, err := e.Info(); err == nil && strings.Contains(e.Name(), tmpMarker) && time.Since(info.ModTime()) > 24*time.Hour {
			os.Remove(filepath.Join(s.dir, e.Name()))
		}
	}
	return deleted, nil
}

// LastRun is the outcome of the latest backup into the folder.
type LastRun struct {
	At    time.Time `json:"at"`
	File  string    `json:"file,omitempty"`
	Size  int64     `json:"size,omitempty"`
	Error string    `json:"error,omitempty"`
}

// Last returns the outcome of the latest backup into the folder, zero when
// there was none.
func (s *Service) Last(ctx context.Context) (LastRun, error) {
	if _, err := access.Check(ctx, access.Settings, access.Update); err != nil {
		return LastRun{}, err
	}
	v, err := setting.Get(ctx, s.db.R, KeyLast, "")
	if err != nil || v == "" {
		return LastRun{}, err
	}
	var l LastRun
	if err := json.Unmarshal([]byte(v), &l); err != nil {
		return LastRun{}, nil
	}
	return l, nil
}

// Now writes a backup into the folder at once, recording who asked, and
// prunes the folder to the schedule's number of backups to keep.
func (s *Service) Now(ctx context.Context) (Result, error) {
	actor, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return Result{}, err
	}
	if err := s.db.WithTx(ctx, func(tx *db.Tx) error { return s.requested(ctx, tx, actor) }); err != nil {
		return Result{}, fmt.Errorf("backup: %w", err)
	}
	return s.intoFolder(ctx)
}

// RunScheduled writes a backup into the folder when the schedule says one
// is due, and prunes. It reports whether it wrote one. Another backup
// being written at the same time makes it write none.
func (s *Service) RunScheduled(ctx context.Context, now time.Time) (Result, bool, error) {
	sc, err := s.schedule(ctx, s.db.R)
	if err != nil {
		return Result{}, false, err
	}
	if sc.Every == Off {
		return Result{}, false, nil
	}
	f, err := s.folder()
	if err != nil {
		return Result{}, false, err
	}
	var newest time.Time
	if len(f.Files) > 0 {
		newest = f.Files[0].Time
	}
	if !Due(sc.Every, newest, now) {
		return Result{}, false, nil
	}
	res, err := s.intoFolder(ctx)
	if errors.Is(err, ErrBusy) {
		return Result{}, false, nil
	}
	return res, err == nil, err
}

// intoFolder writes a backup named after the current time into the folder,
// one at a time (across processes on PostgreSQL), prunes, and records the
// outcome.
func (s *Service) intoFolder(ctx context.Context) (Result, error) {
	unlock, err := s.lock(ctx)
	if err != nil {
		return Result{}, err
	}
	defer unlock()
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return Result{}, fmt.Errorf("backup: create folder %s: %w", s.dir, err)
	}
	res, err := s.write(ctx, s.nextName(time.Now()))
	last := LastRun{At: db.Now()}
	if err != nil {
		last.Error = err.Error()
	} else {
		last.File, last.Size = filepath.Base(res.Path), res.Size
		sc, serr := s.schedule(ctx, s.db.R)
		if serr == nil {
			var deleted []string
			deleted, err = s.prune(sc.Keep)
			for _, n := range deleted {
				s.logger.Info("old backup deleted", "file", n, "keep", sc.Keep)
			}
		} else {
			err = serr
		}
	}
	if rerr := s.record(context.WithoutCancel(ctx), last); rerr != nil && err == nil {
		err = rerr
	}
	return res, err
}

// nextName is the path of a new backup taken at t; a counter keeps two
// backups of the same second apart.
func (s *Service) nextName(t time.Time) string {
	ext := ".db"
	if s.db.Engine == db.Postgres {
		ext = ".dump"
	}
	base := "rapport-" + t.UTC().Format(stampLayout)
	p := filepath.Join(s.dir, base+ext)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = filepath.Join(s.dir, fmt.Sprintf("%s-%d%s", base, i, ext))
	}
}

func (s *Service) record(ctx context.Context, last LastRun) error {
	b, err := json.Marshal(last)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error { return setting.Set(ctx, tx, KeyLast, string(b)) })
}

// lock lets one backup into the folder run at a time: in this process, and
// on PostgreSQL across every process sharing the schema (a session
// advisory lock on a connection held until unlock).
func (s *Service) lock(ctx context.Context) (func(), error) {
	if !s.running.TryLock() {
		return nil, ErrBusy
	}
	if s.db.Engine != db.Postgres {
		return s.running.Unlock, nil
	}
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		s.running.Unlock()
		return nil, err
	}
	var schema string
	var got bool
	err = conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema)
	h := fnv.New64a()
	h.Write([]byte("rapport-backup:" + schema))
	key := int64(h.Sum64())
	if err == nil {
		err = conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&got)
	}
	if err != nil || !got {
		conn.Release()
		s.running.Unlock()
		if err != nil {
			return nil, err
		}
		return nil, ErrBusy
	}
	return func() {
		conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key)
		conn.Release()
		s.running.Unlock()
	}, nil
}
