package company_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func TestNameKey(t *testing.T) {
	cases := map[string]string{
		"Acme Inc.":               "acme",
		"ACME, Ltd":               "acme",
		"Acmé GmbH":               "acme",
		"Acme L.L.C.":             "acme",
		"acme":                    "acme",
		"Smith & Co":              "smith",
		"Smith and Sons Ltd":      "smith and sons",
		"Black & Decker":          "black and decker",
		"Müller GmbH & Co. KG":    "muller",
		"O'Reilly Media, Inc.":    "oreilly media",
		"Acme Corp Holdings":      "acme corp holdings",
		"Ltd":                     "ltd",
		"  ":                      "",
		"Société Générale S.A.":   "societe generale",
		"Initech Incorporated":    "initech",
		"Pied Piper Limited, LLP": "pied piper",
	}
	for in, want := range cases {
		if got := company.NameKey(in); got != want {
			t.Errorf("NameKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompanyDuplicates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newMergeEnv(t, d)
		acme1 := e.company(company.Input{Name: str("Acme Inc."), Domain: str("acme.com")})
		acme2 := e.company(company.Input{Name: str("ACME Ltd"), Domain: str("acme.co.uk")})
		acme3 := e.company(company.Input{Name: str("Acmé GmbH")})
		globex1 := e.company(company.Input{Name: str("Globex S.A.")})
		globex2 := e.company(company.Input{Name: str("Globex")})
		e.company(company.Input{Name: str("Acme Rockets")})
		e.company(company.Input{Name: str("Initech")})
		deleted := e.company(company.Input{Name: str("Initech LLC")})
		if err := e.companies.Delete(e.ctx, deleted.ID); err != nil {
			t.Fatal(err)
		}

		viewerCtx, _ := fixture.User(t, d, "viewer")
		groups, err := e.companies.Duplicates(viewerCtx, 50)
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{acme1.ID, acme2.ID, acme3.ID}, {globex2.ID, globex1.ID}}
		if len(groups) != len(want) {
			t.Fatalf("%d groups, want %d: %+v", len(groups), len(want), groups)
		}
		for i, g := range groups {
			if len(g.Reasons) != 1 || g.Reasons[0] != company.ReasonName {
				t.Errorf("group %d reasons = %v", i, g.Reasons)
			}
			got := map[string]bool{}
			for _, c := range g.Companies {
				got[c.ID] = true
			}
			for _, id := range want[i] {
				if !got[id] || len(got) != len(want[i]) {
					t.Errorf("group %d = %+v, want ids %v", i, g.Companies, want[i])
					break
				}
			}
		}

		if groups, err := e.companies.Duplicates(e.ctx, 1); err != nil || len(groups) != 1 {
			t.Errorf("limit 1: %d groups, %v", len(groups), err)
		}
		if _, err := e.companies.Duplicates(context.Background(), 50); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("no actor: err = %v, want forbidden", err)
		}
	})
}
