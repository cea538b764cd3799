package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// A person opens a contact, records their SMS consent in the side panel
// (loaded and submitted with htmx under the strict CSP), then erases them
// by typing their name.
func TestBrowserConsentAndErasure(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	s := newSite(t, d, "http://127.0.0.1:8080")
	ctx := recBrowser(t, 1280, 900)
	u := s.srv.URL
	recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")
	rs := recServices(t, d)
	ada, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"),
		Emails: &[]contact.Email{{Address: "ada@lovelace.example"}}})
	if err != nil {
		t.Fatal(err)
	}

	recRun(ctx, t, "the panel loads on the contact page",
		chromedp.Navigate(u+"/contacts/"+ada.ID),
		chromedp.WaitVisible(chromedp.CSS("#privacy-panel .consent-now")),
		browsertest.Settled(),
		chromedp.Click(chromedp.CSS(".consent-change summary")),
		chromedp.SetValue(chromedp.ID("consent-channel"), "sms"),
		chromedp.SetValue(chromedp.ID("consent-source"), "form"),
		chromedp.SendKeys(chromedp.ID("consent-detail"), "Signed up at the stand"),
		chromedp.Click(chromedp.CSS(`.consent-change button[type="submit"]`)),
		chromedp.WaitVisible(`//section[@id="privacy-panel"]//p[contains(., "Consent recorded.")]`),
	)
	if got := recEval[string](ctx, t, `document.querySelector(".consent-now").innerText`); !strings.Contains(got, "Text messages (SMS)\nGiven") {
		t.Errorf("consent panel reads %q", got)
	}
	if got := recEval[string](ctx, t, `location.pathname`); got != "/contacts/"+ada.ID {
		t.Errorf("the page moved to %s; the panel should have been swapped in place", got)
	}
	recShot(ctx, t, "contact-consent")

	recRun(ctx, t, "erase",
		chromedp.Click(chromedp.CSS(`a[href$="/erase"]`)),
		chromedp.WaitVisible(chromedp.ID("erase-name")),
		chromedp.SendKeys(chromedp.ID("erase-name"), "Ada Lovelace"),
		chromedp.Click(chromedp.CSS(`.erase-card button[type="submit"]`)),
		chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "The person was erased.")]`),
	)
	if got := recEval[string](ctx, t, `location.pathname`); got != "/contacts" {
		t.Errorf("after the erasure the browser is at %s", got)
	}
	if _, err := rs.contacts.ByID(rs.ctx, ada.ID); err == nil {
		t.Error("the contact is still there")
	}
}
