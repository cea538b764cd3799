package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// leftHeld marks a mouse event as made with the left button down, as a
// real drag's moves are.
func leftHeld(p *input.DispatchMouseEventParams) {
	p.Button, p.Buttons = input.MouseButtonLeft, 1
}

type rect struct{ X, Y, W, H float64 }

func boxOf(ctx context.Context, t *testing.T, selector string) rect {
	t.Helper()
	return recEval[rect](ctx, t, fmt.Sprintf(`(function(){ var r = document.querySelector(%q).getBoundingClientRect();
		return {X: r.left, Y: r.top, W: r.width, H: r.height}; })()`, selector))
}

// drag moves the mouse from the middle of the element from into the list
// to, in small steps, with the button held: SortableJS's pointer fallback
// sees what a person's drag would make.
func drag(ctx context.Context, t *testing.T, from, to string) {
	t.Helper()
	a, b := boxOf(ctx, t, from), boxOf(ctx, t, to)
	x0, y0 := a.X+a.W/2, a.Y+a.H/2
	x1, y1 := b.X+b.W/2, b.Y+12
	actions := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, leftHeld, chromedp.ClickCount(1))}
	const steps = 12
	for i := 1; i <= steps; i++ {
		f := float64(i) / steps
		actions = append(actions, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, leftHeld), chromedp.Sleep(30*time.Millisecond))
	}
	actions = append(actions, chromedp.Sleep(100*time.Millisecond),
		chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, leftHeld, chromedp.ClickCount(1)))
	recRun(ctx, t, "drag "+from+" to "+to, actions...)
}

// A new user creates a pipeline in Settings, adds a deal to it, moves it
// across two stages on the board (by dragging at desktop width, with the
// card's Move menu and the keyboard on a phone), marks it won and reads
// its time in each stage.
func TestBrowserDealBoard(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
		drag          bool
	}{{"desktop", 1280, 900, true}, {"phone", 375, 740, false}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			ctx := recBrowser(t, size.width, size.height)
			u := s.srv.URL
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")
			recRun(ctx, t, "create a pipeline",
				chromedp.Navigate(u+"/settings/pipelines"),
				chromedp.SendKeys(chromedp.ID("pipeline-name"), "Enterprise"),
				chromedp.SetValue(chromedp.ID("pipeline-stages"), "Discovery, 10\nDemo, 40\nProposal, 70"),
				chromedp.Click(chromedp.CSS(`.pipeline-new button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Pipeline Enterprise created.")]`),
			)
			stage := func(name string) string {
				return recEval[string](ctx, t, fmt.Sprintf(`Array.from(document.querySelectorAll("optgroup[label=Enterprise] option")).find(o => o.textContent.startsWith(%q)).value`, name))
			}
			recRun(ctx, t, "open the new deal form", chromedp.Navigate(u+"/deals/new"), chromedp.WaitVisible(chromedp.ID("stage_id")))
			discovery, demo, proposal := stage("Discovery"), stage("Demo"), stage("Proposal")
			recRun(ctx, t, "add a deal",
				chromedp.SendKeys(chromedp.ID("name"), "Babbage expansion"),
				chromedp.SetValue(chromedp.ID("stage_id"), discovery),
				chromedp.SendKeys(chromedp.ID("amount"), "48,000"),
				chromedp.SendKeys(chromedp.ID("close_date"), "06302026"),
				chromedp.Click(chromedp.CSS(`form.record-form button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Deal created.")]`),
				chromedp.WaitVisible(`//p[@class="record-sub"][contains(., "Open in Discovery")]`),
			)
			recRun(ctx, t, "open the board", chromedp.Navigate(u+"/deals"), chromedp.WaitVisible(chromedp.ID("board-pipeline")))
			enterprise := recEval[string](ctx, t, `Array.from(document.querySelectorAll("#board-pipeline option")).find(o => o.textContent === "Enterprise").value`)
			recRun(ctx, t, "switch to the Enterprise pipeline",
				chromedp.Evaluate[chromedp.Void](`(function(){ var s = document.getElementById("board-pipeline"); s.value = "`+enterprise+`";
					s.dispatchEvent(new Event("change", {bubbles: true})); })()`),
				chromedp.WaitVisible(`//section[contains(@class,"board-col")]//h2[contains(., "Discovery")]`),
				chromedp.WaitVisible(chromedp.CSS(`.board-cards[data-stage-id="`+discovery+`"] .deal-card`)),
			)
			if got := recEval[string](ctx, t, `document.querySelector('[data-column="`+discovery+`"] [data-col-total]').textContent`); got != "€48,000.00" {
				t.Errorf("Discovery total %q, want €48,000.00", got)
			}
			recShot(ctx, t, "deal-board-"+size.name)
			card := `.deal-card[data-deal-id]`
			for _, to := range []struct{ id, name string }{{demo, "Demo"}, {proposal, "Proposal"}} {
				if size.drag {
					drag(ctx, t, card+" .deal-card-amount", `.board-cards[data-stage-id="`+to.id+`"]`)
				} else {
					// The keyboard way: focus the card's Move button, open
					// the menu with Enter, arrow to the next stage (the
					// menu starts on the first stage the card is not in).
					recRun(ctx, t, "open the move menu",
						chromedp.Focus(chromedp.CSS(card+" [data-move-open]")),
						chromedp.KeyEvent(kb.Enter),
						chromedp.WaitVisible(chromedp.CSS("[data-move-menu]")),
					)
					for recEval[string](ctx, t, `document.activeElement.getAttribute("data-move-to") || ""`) != to.id {
						if recEval[string](ctx, t, `document.activeElement.getAttribute("data-move-to") || ""`) == "" {
							t.Fatal("the move menu did not take the focus")
						}
						recRun(ctx, t, "arrow down", chromedp.KeyEvent(kb.ArrowDown))
					}
					recRun(ctx, t, "choose "+to.name, chromedp.KeyEvent(kb.Enter))
				}
				recRun(ctx, t, "card and totals in "+to.name,
					chromedp.Poll[chromedp.Void](`document.querySelector('.board-cards[data-stage-id="`+to.id+`"] .deal-card') !== null &&
						document.querySelector('[data-column="`+to.id+`"] [data-col-count]').textContent === "1 deal"`,
						chromedp.WithPollingTimeout(10*time.Second)),
					chromedp.WaitVisible(`//p[@data-board-status][contains(., "moved to `+to.name+`")]`),
				)
				var n int
				d.R.QueryRow(`SELECT COUNT(*) FROM deals d JOIN pipeline_stages s ON s.id = d.stage_id WHERE s.name = $1`, to.name).Scan(&n)
				if n != 1 {
					t.Fatalf("after moving to %s the database has %d deals there", to.name, n)
				}
			}
			if got := recEval[string](ctx, t, `document.querySelector('[data-column="`+discovery+`"] [data-col-count]').textContent`); got != "0 deals" {
				t.Errorf("Discovery count %q after the moves, want 0 deals", got)
			}
			recRun(ctx, t, "mark it won",
				chromedp.Click(chromedp.CSS(card+" .deal-card-name")),
				chromedp.WaitVisible(chromedp.CSS(".deal-won")),
				chromedp.Click(chromedp.CSS(".deal-won")),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Marked won.")]`),
				chromedp.WaitVisible(`//span[@data-deal-status][.="Won"]`),
			)
			stays := recEval[[]string](ctx, t, `Array.from(document.querySelectorAll(".stage-history .stage-name")).map(e => e.textContent)`)
			if fmt.Sprint(stays) != "[Discovery Demo Proposal]" {
				t.Errorf("stage history %v, want Discovery, Demo, Proposal", stays)
			}
			timeline := recEval[string](ctx, t, `document.getElementById("timeline-list").textContent`)
			for _, want := range []string{"marked this deal won", "moved this deal from Demo to Proposal", "moved this deal from Discovery to Demo"} {
				if !strings.Contains(timeline, want) {
					t.Errorf("timeline lacks %q: %s", want, timeline)
				}
			}
			recShot(ctx, t, "deal-page-"+size.name)
		})
	}
}
