package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	outbox "github.com/rapportcrm/rapport/internal/mail"
)

// InviteTTL is how long an invitation link works.
const InviteTTL = 7 * 24 * time.Hour

// Refusals of an invitation link. Each is recorded in the audit log.
var (
	// ErrInviteUnknown: no invitation has this token (mistyped, or made up).
	ErrInviteUnknown = fmt.Errorf("invitation link is not known: %w", apperr.ErrNotFound)
	// ErrInviteExpired: the link is older than InviteTTL.
	ErrInviteExpired = errors.New("invitation link has expired")
	// ErrInviteUsed: someone already accepted the invitation.
	ErrInviteUsed = errors.New("invitation link has already been used")
	// ErrInviteRevoked: an owner or admin withdrew (or replaced) it.
	ErrInviteRevoked = errors.New("invitation was withdrawn")
)

// InviteStatus is where an invitation stands.
type InviteStatus string

// Invitation statuses.
const (
	InvitePending  InviteStatus = "pending"
	InviteExpired  InviteStatus = "expired"
	InviteAccepted InviteStatus = "accepted"
	InviteRevoked  InviteStatus = "revoked"
)

// Invite is an invitation to join as a user.
type Invite struct {
	ID    string
	Email string
	// Role is the role the new user gets; RoleLabel its name as shown.
	Role      string
	RoleLabel string
	// TeamIDs are the teams the new user joins.
	TeamIDs        []string
	CreatedAt      time.Time
	ExpiresAt      time.Time
	CreatedBy      string
	CreatedByName  string
	AcceptedAt     time.Time
	AcceptedUserID string
	RevokedAt      time.Time
	// MailID is the invitation email in the outbox.
	MailID string
	Status InviteStatus
	// Link is the single-use link. Only the Invite that Invite returns has
	// it: the token is not stored, only its hash.
	Link string
}

const inviteColumns = `i.id, i.email, i.role, COALESCE(r.label, i.role), i.created_at, i.expires_at, i.created_by,
	COALESCE(u.name, ''), i.accepted_at, i.accepted_user_id, i.revoked_at, i.mail_id`

const inviteFrom = ` FROM invites i LEFT JOIN roles r ON r.name = i.role LEFT JOIN users u ON u.id = i.created_by`

func (s *Service) scanInvite(row interface{ Scan(...any) error }) (Invite, error) {
	var in Invite
	var created, expires, accepted, revoked db.Time
	var by, acceptedBy, mailID sql.NullString
	err := row.Scan(&in.ID, &in.Email, &in.Role, &in.RoleLabel, &created, &expires, &by, &in.CreatedByName,
		&accepted, &acceptedBy, &revoked, &mailID)
	if errors.Is(err, sql.ErrNoRows) {
		return in, apperr.ErrNotFound
	}
	if err != nil {
		return in, err
	}
	in.CreatedAt, in.ExpiresAt, in.AcceptedAt, in.RevokedAt = created.Time, expires.Time, accepted.Time, revoked.Time
	in.CreatedBy, in.AcceptedUserID, in.MailID = by.String, acceptedBy.String, mailID.String
	switch {
	case !in.AcceptedAt.IsZero():
		in.Status = InviteAccepted
	case !in.RevokedAt.IsZero():
		in.Status = InviteRevoked
	case !s.now().Before(in.ExpiresAt):
		in.Status = InviteExpired
	default:
		in.Status = InvitePending
	}
	return in, nil
}

// inviteTeams fills in the teams of each invitation.
func inviteTeams(ctx context.Context, q db.Querier, invites []Invite) error {
	for i := range invites {
		rows, err := q.QueryContext(ctx, `SELECT it.team_id FROM invite_teams it JOIN teams t ON t.id = it.team_id
			WHERE it.invite_id = $1 ORDER BY lower(t.name)`, invites[i].ID)
		if err != nil {
			return fmt.Errorf("user: invitation teams: %w", err)
		}
		invites[i].TeamIDs = []string{}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return err
			}
			invites[i].TeamIDs = append(invites[i].TeamIDs, t)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) queryInvites(ctx context.Context, q db.Querier, where string, args ...any) ([]Invite, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+inviteColumns+inviteFrom+where, args...)
	if err != nil {
		return nil, fmt.Errorf("user: invitations: %w", err)
	}
	var out []Invite
	for rows.Next() {
		in, err := s.scanInvite(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, in)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, inviteTeams(ctx, q, out)
}

// Invites returns the open invitations (pending or expired, neither
// accepted nor withdrawn), newest first.
func (s *Service) Invites(ctx context.Context) ([]Invite, error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return nil, err
	}
	out, err := s.queryInvites(ctx, s.db.R, ` WHERE i.accepted_at IS NULL AND i.revoked_at IS NULL ORDER BY i.created_at DESC, i.id DESC`)
	if out == nil {
		out = []Invite{}
	}
	return out, err
}

// InviteByID returns one invitation, or an error wrapping apperr.ErrNotFound.
func (s *Service) InviteByID(ctx context.Context, inviteID string) (Invite, error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return Invite{}, err
	}
	return s.inviteByID(ctx, s.db.R, inviteID)
}

func (s *Service) inviteByID(ctx context.Context, q db.Querier, inviteID string) (Invite, error) {
	if !id.Valid(inviteID) {
		return Invite{}, fmt.Errorf("invitation %q: %w", inviteID, apperr.ErrNotFound)
	}
	out, err := s.queryInvites(ctx, q, ` WHERE i.id = $1`, inviteID)
	if err != nil {
		return Invite{}, err
	}
	if len(out) == 0 {
		return Invite{}, fmt.Errorf("invitation %s: %w", inviteID, apperr.ErrNotFound)
	}
	return out[0], nil
}

// emailProblem explains what is wrong with a normalised address, or "".
func emailProblem(email string) string {
	switch {
	case email == "":
		return "Enter an email address."
	case len(email) > 254:
		return "An email address has at most 254 characters."
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email[strings.LastIndex(email, "@"):], ".") {
		return "Enter an email address like name@example.com."
	}
	return ""
}

// newToken returns a random link token (32 bytes, URL-safe base64) and the
// hash that is stored for it.
func newToken() (token, hash string) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// tokenLen is the length of a token newToken makes.
const tokenLen = 43

func wellFormedToken(token string) bool {
	if len(token) != tokenLen {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil
}

// Invite invites email to join with role and the teams teamIDs: it queues
// an email with a single-use link that expires after InviteTTL, and returns
// the invitation with the link (shown once; only its hash is stored). An
// open invitation for the same address is replaced. Only owners invite
// owners.
func (s *Service) Invite(ctx context.Context, email, role string, teamIDs []string) (Invite, error) {
	actor, err := s.check(ctx, access.Create, "invite.send", "invite", "")
	if err != nil {
		return Invite{}, err
	}
	email = NormaliseEmail(email)
	var v apperr.Validation
	if p := emailProblem(email); p != "" {
		v.Add("email", p)
	}
	r, err := s.Role(ctx, role)
	if errors.Is(err, apperr.ErrNotFound) {
		v.Add("role", "Choose one of the roles.")
	} else if err != nil {
		return Invite{}, err
	}
	teams, err := s.knownTeams(ctx, teamIDs, &v)
	if err != nil {
		return Invite{}, err
	}
	if v.For("email") == "" {
		if _, _, err := userByEmail(ctx, s.db.R, email); err == nil {
			v.Add("email", email+" is already a user.")
		} else if !errors.Is(err, apperr.ErrNotFound) {
			return Invite{}, err
		}
	}
	if err := v.Err(); err != nil {
		return Invite{}, err
	}
	if role == RoleOwner && !mayManageOwner(actor) {
		return Invite{}, s.refuse(ctx, "invite.send", "invite", "",
			fmt.Errorf("user: only an owner invites an owner: %w", apperr.ErrForbidden))
	}
	token, hash := newToken()
	now := s.now()
	in := Invite{ID: id.New(), Email: email, Role: r.Name, RoleLabel: r.Label, TeamIDs: teams, CreatedAt: now,
		ExpiresAt: now.Add(InviteTTL), CreatedBy: actor.UserID, CreatedByName: actor.Name, Status: InvitePending,
		Link: strings.TrimSuffix(s.life.baseURL, "/") + "/invite/" + token}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := s.closeOpenInvites(ctx, tx, actor, email, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO invites (id, email, role, token_hash, created_at, expires_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			in.ID, in.Email, in.Role, hash, db.T(in.CreatedAt), db.T(in.ExpiresAt), db.NullString(actor.UserID)); err != nil {
			return fmt.Errorf("user: invite: %w", err)
		}
		for _, t := range teams {
			if _, err := tx.ExecContext(ctx, `INSERT INTO invite_teams (invite_id, team_id) VALUES ($1, $2)`, in.ID, t); err != nil {
				return fmt.Errorf("user: invite teams: %w", err)
			}
		}
		msgID, err := s.mailer().Queue(ctx, tx, inviteMessage(in, actor))
		if err != nil {
			return err
		}
		in.MailID = msgID
		if _, err := tx.ExecContext(ctx, `UPDATE invites SET mail_id = $1 WHERE id = $2`, msgID, in.ID); err != nil {
			return fmt.Errorf("user: invite: %w", err)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "invite.sent", ActorID: actor.UserID, SubjectType: "invite",
			SubjectID: in.ID, Data: map[string]any{"email": in.Email, "role": in.Role, "teams": in.TeamIDs,
				"expires_at": in.ExpiresAt.Format(time.RFC3339)}})
		return err
	})
	if err != nil {
		return Invite{}, err
	}
	return in, nil
}

// knownTeams returns teamIDs without repeats, reporting on v any that is
// not a team.
func (s *Service) knownTeams(ctx context.Context, teamIDs []string, v *apperr.Validation) ([]string, error) {
	out := []string{}
	for _, t := range teamIDs {
		if t == "" || slices.Contains(out, t) {
			continue
		}
		var n int
		if id.Valid(t) {
			if err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM teams WHERE id = $1`, t).Scan(&n); err != nil {
				return nil, err
			}
		}
		if n == 0 {
			v.Add("teams", "Choose teams from the list of teams.")
			continue
		}
		out = append(out, t)
	}
	return out, nil
}

// closeOpenInvites withdraws the open invitations for email: a new
// invitation replaces them.
func (s *Service) closeOpenInvites(ctx context.Context, tx *db.Tx, actor access.Actor, email string, now time.Time) error {
	open, err := s.queryInvites(ctx, tx, ` WHERE i.email = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL`, email)
	if err != nil {
		return err
	}
	for _, old := range open {
		if err := s.withdraw(ctx, tx, actor, old, now, "replaced"); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) withdraw(ctx context.Context, tx *db.Tx, actor access.Actor, in Invite, now time.Time, reason string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE invites SET revoked_at = $1, revoked_by = $2 WHERE id = $3`,
		db.T(now), db.NullString(actor.UserID), in.ID); err != nil {
		return fmt.Errorf("user: withdraw invitation: %w", err)
	}
	if err := s.mailer().Redact(ctx, tx, in.MailID); err != nil {
		return err
	}
	_, err := event.Record(ctx, tx, event.Event{Kind: "invite.revoked", ActorID: actor.UserID, SubjectType: "invite",
		SubjectID: in.ID, Data: map[string]any{"email": in.Email, "role": in.Role, "reason": reason}})
	return err
}

func inviteMessage(in Invite, actor access.Actor) outbox.Message {
	inviter := actor.Name
	if inviter == "" || actor.System {
		inviter = "Rapport"
	}
	text := fmt.Sprintf(`Hello,

%s invited you to join Rapport as %s.

Open this link to choose your name and password and sign in:

%s

The link works once and expires on %s UTC. If you did not expect this
invitation, you can ignore this email.
`, inviter, in.RoleLabel, in.Link, in.ExpiresAt.Format("Monday, 2 January 2006 at 15:04"))
	return outbox.Message{To: in.Email, Kind: "invite", Subject: inviter + " invited you to Rapport",
		Text: text, Secrets: []string{in.Link}}
}

// Revoke withdraws an open invitation: its link stops working. Only
// owners withdraw invitations to the owner role.
func (s *Service) Revoke(ctx context.Context, inviteID string) error {
	actor, err := s.check(ctx, access.Delete, "invite.revoke", "invite", inviteID)
	if err != nil {
		return err
	}
	in, err := s.inviteByID(ctx, s.db.R, inviteID)
	if err != nil {
		return err
	}
	switch in.Status {
	case InviteRevoked:
		return nil
	case InviteAccepted:
		return conflict("invite", "This invitation was already accepted; deactivate the user instead.")
	}
	if in.Role == RoleOwner && !mayManageOwner(actor) {
		return s.refuse(ctx, "invite.revoke", "invite", in.ID,
			fmt.Errorf("user: only an owner withdraws an invitation to the owner role: %w", apperr.ErrForbidden))
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		return s.withdraw(ctx, tx, actor, in, s.now(), "revoked")
	})
}

// InviteByToken returns the invitation a link's token belongs to, while it
// can be accepted. A link that is unknown (ErrInviteUnknown), expired,
// used or withdrawn is refused and the attempt recorded in the audit log.
// No one needs to be signed in.
func (s *Service) InviteByToken(ctx context.Context, token string) (Invite, error) {
	return s.openInvite(ctx, s.db.R, token)
}

func (s *Service) openInvite(ctx context.Context, q db.Querier, token string) (Invite, error) {
	if !wellFormedToken(token) {
		return Invite{}, s.refuse(ctx, "invite.accept", "invite", "", ErrInviteUnknown)
	}
	out, err := s.queryInvites(ctx, q, ` WHERE i.token_hash = $1`, hashToken(token))
	if err != nil {
		return Invite{}, err
	}
	if len(out) == 0 {
		return Invite{}, s.refuse(ctx, "invite.accept", "invite", "", ErrInviteUnknown)
	}
	in := out[0]
	switch in.Status {
	case InviteExpired:
		return in, s.refuse(ctx, "invite.accept", "invite", in.ID, ErrInviteExpired)
	case InviteAccepted:
		return in, s.refuse(ctx, "invite.accept", "invite", in.ID, ErrInviteUsed)
	case InviteRevoked:
		return in, s.refuse(ctx, "invite.accept", "invite", in.ID, ErrInviteRevoked)
	}
	return in, nil
}

// Accept turns the invitation of token into a user called name with
// password, with the invitation's role and teams, and uses the link up.
// The caller signs the new user in.
func (s *Service) Accept(ctx context.Context, token, name, password string) (User, error) {
	in, err := s.openInvite(ctx, s.db.R, token)
	if err != nil {
		return User{}, err
	}
	roles, err := s.Roles(ctx)
	if err != nil {
		return User{}, err
	}
	known := make(map[string]bool, len(roles))
	for _, r := range roles {
		known[r.Name] = true
	}
	if !known[in.Role] {
		return User{}, s.refuse(ctx, "invite.accept", "invite", in.ID,
			fmt.Errorf("the invitation's role %q no longer exists: %w", in.Role, ErrInviteRevoked))
	}
	nu := NewUser{Email: in.Email, Name: name, Role: in.Role, Password: password}
	if err := nu.validate(known); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now()
	var u User
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		u = User{ID: id.New(), Email: nu.Email, Name: nu.Name, Role: nu.Role, CreatedAt: now, UpdatedAt: now}
		if err := insertUser(ctx, tx, u, hash, in.CreatedBy); err != nil {
			if db.IsUniqueViolation(err) {
				return conflict("email", "A user with this email already exists; sign in instead.")
			}
			return fmt.Errorf("user: accept invitation: %w", err)
		}
		// The link is used up here, once: a second acceptance racing this
		// one finds no open invitation left.
		res, err := tx.ExecContext(ctx, `UPDATE invites SET accepted_at = $1, accepted_user_id = $2
			WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1`, db.T(now), u.ID, in.ID)
		if err != nil {
			return fmt.Errorf("user: accept invitation: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrInviteUsed
		}
		if err := s.joinInvitedTeams(ctx, tx, in, u); err != nil {
			return err
		}
		if err := s.mailer().Redact(ctx, tx, in.MailID); err != nil {
			return err
		}
		if _, err := event.Record(ctx, tx, event.Event{Kind: "user.created", ActorID: u.ID, SubjectType: "user",
			SubjectID: u.ID, Data: map[string]string{"email": u.Email, "role": u.Role, "invite": in.ID}}); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "invite.accepted", ActorID: u.ID, SubjectType: "invite",
			SubjectID: in.ID, Data: map[string]any{"email": u.Email, "role": u.Role, "user": u.ID, "teams": in.TeamIDs}})
		if err != nil {
			return err
		}
		u, err = userByID(ctx, tx, u.ID)
		return err
	})
	if errors.Is(err, ErrInviteUsed) {
		return User{}, s.refuse(ctx, "invite.accept", "invite", in.ID, ErrInviteUsed)
	}
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// joinInvitedTeams adds the new user u to the invitation's teams that
// still exist, recording each change like a team edit does.
func (s *Service) joinInvitedTeams(ctx context.Context, tx *db.Tx, in Invite, u User) error {
	for _, t := range in.TeamIDs {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM teams WHERE id = $1`, t).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, t, u.ID); err != nil {
			return fmt.Errorf("user: join team: %w", err)
		}
		if _, err := event.Record(ctx, tx, event.Event{Kind: "team.members_changed", ActorID: u.ID, SubjectType: "team",
			SubjectID: t, Data: map[string]any{"name": name, "added": []string{u.ID}, "removed": []string{}, "invite": in.ID}}); err != nil {
			return err
		}
	}
	return nil
}
