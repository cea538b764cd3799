package app

import (
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
)

// services are the domain services of one database, wired together once
// for serve, demo and bench alike.
type services struct {
	users      *user.Service
	contacts   *contact.Service
	companies  *company.Service
	activities *activity.Service
	fields     *customfield.Service
	views      *view.Service
	// bulk works bulk jobs; it has no queue (the web server starts them).
	bulk *bulk.Service
}

func newServices(d *db.DB) *services {
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	companies.OnMerge(contacts.ReindexCompany)
	return &services{
		users:      users,
		contacts:   contacts,
		companies:  companies,
		activities: activity.NewService(d, contacts, companies),
		fields:     customfield.NewService(d),
		views:      view.NewService(d),
		bulk:       bulk.NewService(bulk.Options{DB: d, Contacts: contacts, Companies: companies, Users: users}),
	}
}
