package web_test

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/user"
)

func noSidewaysScroll(ctx context.Context, t *testing.T, page string) {
	t.Helper()
	if !recEval[bool](ctx, t, `document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the %s page scrolls sideways", page)
	}
}

func checked(ctx context.Context, t *testing.T, value string) bool {
	t.Helper()
	return recEval[bool](ctx, t, `document.querySelector('input[name="perm"][value="`+value+`"]').checked`)
}

// An owner opens Settings → Roles, reads a built-in role's permissions,
// makes a custom role with the keyboard (ticking a right ticks read), then
// makes a team, at desktop and phone widths.
func TestBrowserTeamsAndRoles(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			ctx := recBrowser(t, size.width, size.height)
			u := s.srv.URL
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")
			rs := recServices(t, d)
			if _, err := rs.users.Create(rs.ctx, rs.olga.ID, user.NewUser{Email: "mo@example.com", Name: "Mo Member", Role: "member", Password: "a long enough secret"}); err != nil {
				t.Fatal(err)
			}

			recRun(ctx, t, "roles by keyboard",
				chromedp.Navigate(u+"/settings"),
				chromedp.Focus(`//a[@href="/settings/roles"]`),
				chromedp.KeyEvent(kb.Enter),
				chromedp.WaitVisible(`//h2[.="Built-in roles"]`),
				chromedp.Focus(`#role-member summary`),
				chromedp.KeyEvent(kb.Enter),
				chromedp.WaitVisible(`#role-member .perm-matrix`),
			)
			recShot(ctx, t, "roles-"+size.name)
			noSidewaysScroll(ctx, t, "roles")
			// Phones read one line per object; wide screens the grid.
			summaryShown := recEval[bool](ctx, t, `getComputedStyle(document.querySelector("#role-member .perm-summary")).display !== "none"`)
			if summaryShown != (size.width < 640) {
				t.Errorf("summary column shown = %v at %d px", summaryShown, size.width)
			}

			recRun(ctx, t, "new role",
				chromedp.Click(`//a[@href="/settings/roles/new"]`),
				chromedp.WaitVisible(chromedp.ID("label")),
				chromedp.SendKeys(chromedp.ID("label"), "Sales rep"),
				// Space on a focused box ticks it, as a keyboard user does.
				chromedp.SendKeys(`input[name="scope"][value="team"]`, " "),
				chromedp.SendKeys(`input[name="perm"][value="companies:update"]`, " "),
			)
			if !checked(ctx, t, "companies:update") || !checked(ctx, t, "companies:read") {
				t.Error("ticking update did not tick read")
			}
			recRun(ctx, t, "untick read", chromedp.SendKeys(`input[name="perm"][value="companies:read"]`, " "))
			if checked(ctx, t, "companies:update") || checked(ctx, t, "companies:read") {
				t.Error("unticking read left update ticked")
			}
			recRun(ctx, t, "export contacts", chromedp.SendKeys(`input[name="perm"][value="contacts:export"]`, " "))
			recShot(ctx, t, "role-form-"+size.name)
			noSidewaysScroll(ctx, t, "role form")
			recRun(ctx, t, "save role",
				chromedp.SendKeys(chromedp.ID("label"), kb.Enter),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Role “Sales rep” created.")]`),
				chromedp.WaitVisible(`#role-sales_rep`),
			)
			role, err := rs.users.Role(rs.ctx, "sales_rep")
			if err != nil || role.Scope != access.ScopeTeam || !role.Perms.Allows(access.Contacts, access.Export) ||
				!role.Perms.Allows(access.Contacts, access.Read) || len(role.Perms[access.Companies]) != 0 {
				t.Errorf("saved %+v, %v", role, err)
			}

			recRun(ctx, t, "new team",
				chromedp.Navigate(u+"/settings/teams"),
				chromedp.WaitVisible(`//h2[.="No teams yet"]`),
				chromedp.Focus(`//a[.="Create the first team"]`),
				chromedp.KeyEvent(kb.Enter),
				chromedp.WaitVisible(chromedp.ID("name")),
				chromedp.SendKeys(chromedp.ID("name"), "Field sales"),
				chromedp.SendKeys(`//label[contains(., "Mo Member")]/input`, " "),
			)
			recShot(ctx, t, "team-form-"+size.name)
			noSidewaysScroll(ctx, t, "team form")
			recRun(ctx, t, "save team",
				chromedp.SendKeys(chromedp.ID("name"), kb.Enter),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Team “Field sales” created.")]`),
				chromedp.WaitVisible(`//li[contains(@class,"team-item")][contains(., "1 member: Mo Member")]`),
			)
			recShot(ctx, t, "teams-"+size.name)
			noSidewaysScroll(ctx, t, "teams")
		})
	}
}
