package user

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// Team is a group of users; a manager sees the records its teams' members own.
type Team struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// Members are the member users' IDs, by name.
	Members []string
}

// Teams returns every team by name with its members.
func (s *Service) Teams(ctx context.Context) ([]Team, error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return nil, err
	}
	return listTeams(ctx, s.db.R, "", nil)
}

// TeamsOf returns the teams userID belongs to. Anyone signed in may ask
// about themselves.
func (s *Service) TeamsOf(ctx context.Context, userID string) ([]Team, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok || a.UserID != userID {
		if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
			return nil, err
		}
	}
	return listTeams(ctx, s.db.R, ` WHERE t.id IN (SELECT team_id FROM team_members WHERE user_id = $1)`, []any{userID})
}

// Team returns one team, or an error wrapping apperr.ErrNotFound.
func (s *Service) Team(ctx context.Context, teamID string) (Team, error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return Team{}, err
	}
	if !id.Valid(teamID) {
		return Team{}, fmt.Errorf("team %q: %w", teamID, apperr.ErrNotFound)
	}
	ts, err := listTeams(ctx, s.db.R, ` WHERE t.id = $1`, []any{teamID})
	if err != nil {
		return Team{}, err
	}
	if len(ts) == 0 {
		return Team{}, fmt.Errorf("team %s: %w", teamID, apperr.ErrNotFound)
	}
	return ts[0], nil
}

func listTeams(ctx context.Context, q db.Querier, where string, args []any) ([]Team, error) {
	rows, err := q.QueryContext(ctx, `SELECT t.id, t.name, t.created_at, m.user_id FROM teams t
		LEFT JOIN team_members m ON m.team_id = t.id LEFT JOIN users u ON u.id = m.user_id`+where+`
		ORDER BY lower(t.name), t.id, u.name`, args...)
	if err != nil {
		return nil, fmt.Errorf("user: teams: %w", err)
	}
	defer rows.Close()
	var out []Team
	for rows.Next() {
		var t Team
		var at db.Time
		var member *string
		if err := rows.Scan(&t.ID, &t.Name, &at, &member); err != nil {
			return nil, err
		}
		if n := len(out); n == 0 || out[n-1].ID != t.ID {
			t.CreatedAt, t.Members = at.Time, []string{}
			out = append(out, t)
		}
		if member != nil {
			last := &out[len(out)-1]
			last.Members = append(last.Members, *member)
		}
	}
	return out, rows.Err()
}

func validTeamName(name string) (string, error) {
	name = strings.TrimSpace(name)
	var v apperr.Validation
	switch {
	case name == "":
		v.Add("name", "Enter a name for the team.")
	case utf8.RuneCountInString(name) > 100:
		v.Add("name", "A team's name has at most 100 characters.")
	}
	return name, v.Err()
}

func teamNameTaken(err error) error {
	if db.IsUniqueViolation(err) {
		v := &apperr.Validation{Conflict: true}
		v.Add("name", "A team with this name already exists.")
		return v
	}
	return err
}

// CreateTeam adds a team with the given members.
func (s *Service) CreateTeam(ctx context.Context, name string, members []string) (Team, error) {
	actor, err := access.Check(ctx, access.Users, access.Create)
	if err != nil {
		return Team{}, err
	}
	name, err = validTeamName(name)
	if err != nil {
		return Team{}, err
	}
	now := db.Now()
	t := Team{ID: id.New(), Name: name, CreatedAt: now, Members: []string{}}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO teams (id, name, created_at, updated_at, created_by) VALUES ($1, $2, $3, $3, $4)`,
			t.ID, t.Name, db.T(now), db.NullString(actor.UserID))
		if err != nil {
			return teamNameTaken(err)
		}
		if _, err := event.Record(ctx, tx, event.Event{Kind: "team.created", ActorID: actor.UserID, SubjectType: "team",
			SubjectID: t.ID, Data: map[string]string{"name": t.Name}}); err != nil {
			return err
		}
		t.Members, err = setMembers(ctx, tx, actor, t, members)
		return err
	})
	return t, err
}

// UpdateTeam renames a team and sets its members.
func (s *Service) UpdateTeam(ctx context.Context, teamID, name string, members []string) (Team, error) {
	actor, err := access.Check(ctx, access.Users, access.Update)
	if err != nil {
		return Team{}, err
	}
	old, err := s.Team(ctx, teamID)
	if err != nil {
		return old, err
	}
	name, err = validTeamName(name)
	if err != nil {
		return old, err
	}
	t := old
	t.Name = name
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if name != old.Name {
			if _, err := tx.ExecContext(ctx, `UPDATE teams SET name = $1, updated_at = $2 WHERE id = $3`,
				name, db.T(db.Now()), t.ID); err != nil {
				return teamNameTaken(err)
			}
			if _, err := event.Record(ctx, tx, event.Event{Kind: "team.renamed", ActorID: actor.UserID, SubjectType: "team",
				SubjectID: t.ID, Data: map[string]string{"before": old.Name, "after": name}}); err != nil {
				return err
			}
		}
		t.Members, err = setMembers(ctx, tx, actor, t, members)
		return err
	})
	return t, err
}

// setMembers makes members the team's members and records who joined and
// who left.
func setMembers(ctx context.Context, tx *db.Tx, actor access.Actor, t Team, members []string) ([]string, error) {
	var v apperr.Validation
	want := []string{}
	for _, m := range members {
		if slices.Contains(want, m) {
			continue
		}
		var n int
		if !id.Valid(m) {
			v.Add("members", "Choose members from the list of users.")
			continue
		}
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1`, m).Scan(&n); err != nil {
			return nil, err
		}
		if n == 0 {
			v.Add("members", "Choose members from the list of users.")
			continue
		}
		want = append(want, m)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var added, removed []string
	for _, m := range want {
		if !slices.Contains(t.Members, m) {
			added = append(added, m)
			if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, t.ID, m); err != nil {
				return nil, fmt.Errorf("user: add team member: %w", err)
			}
		}
	}
	for _, m := range t.Members {
		if !slices.Contains(want, m) {
			removed = append(removed, m)
			if _, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = $1 AND user_id = $2`, t.ID, m); err != nil {
				return nil, fmt.Errorf("user: remove team member: %w", err)
			}
		}
	}
	if len(added)+len(removed) > 0 {
		if _, err := event.Record(ctx, tx, event.Event{Kind: "team.members_changed", ActorID: actor.UserID, SubjectType: "team",
			SubjectID: t.ID, Data: map[string]any{"name": t.Name, "added": added, "removed": removed}}); err != nil {
			return nil, err
		}
	}
	return want, nil
}

// DeleteTeam removes a team; its members keep their records.
func (s *Service) DeleteTeam(ctx context.Context, teamID string) error {
	actor, err := access.Check(ctx, access.Users, access.Delete)
	if err != nil {
		return err
	}
	t, err := s.Team(ctx, teamID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE id = $1`, t.ID); err != nil {
			return fmt.Errorf("user: delete team: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "team.deleted", ActorID: actor.UserID, SubjectType: "team",
			SubjectID: t.ID, Data: map[string]any{"name": t.Name, "members": t.Members}})
		return err
	})
}
