package app

import (
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/api"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/backup"
	"github.com/rapportcrm/rapport/internal/bulk"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/forecast"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/importer"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/notify"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/webhook"
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
	audit      *audit.Service
	consent    *consent.Service
	// gdpr exports and erases people; domains that keep data about a
	// person register their part with it here.
	gdpr *gdpr.Service
	// bulk works bulk jobs; it has no queue (the web server starts them).
	bulk *bulk.Service
	// backups writes backups into the data folder; serve sets it, as it
	// needs the configuration.
	backups *backup.Service
	// imports runs CSV and vCard imports; serve sets it, as its files
	// live in the data folder, and gives it the job queue.
	imports *importer.Service
	// mail is the outbox; it keeps mail until serve gives it a mail server
	// (configureMail).
	mail *mail.Outbox
	// tasks keeps tasks; serve gives it the job queue for reminders and
	// the outbox for their emails and the daily digest.
	tasks  *task.Service
	notify *notify.Service
	// orders serves products, orders and the products on deals; its
	// PlaceForWonDeal is what a won deal calls. forecast reads the deals.
	orders   *order.Service
	forecast *forecast.Service
	// deals are pipelines and deals; a won deal places its order (OnWon).
	deals *deal.Service
	// webhooks keeps subscriptions; serve gives it the job queue that
	// dispatches and delivers, and the outbox for "disabled" emails.
	webhooks *webhook.Service
}

func newServices(d *db.DB) *services {
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	companies.OnMerge(contacts.ReindexCompany)
	outbox := mail.New(d)
	users.UseMail(outbox, "")
	users.OnTransfer("contacts", contacts.TransferOwner)
	users.OnTransfer("companies", companies.TransferOwner)
	tasks := task.NewService(d, users)
	users.OnTransfer("tasks", tasks.TransferAssignee)
	deals := deal.NewService(d, users, contacts, companies)
	contacts.OnMerge(deals.MergeContacts)
	companies.OnMerge(deals.MergeCompanies)
	users.OnTransfer("deals", deals.TransferOwner)
	privacy := gdpr.New(d, contacts)
	privacy.Register(importer.PrivacyPart())
	privacy.Register(task.PrivacyPart())
	orders := order.NewService(d, users)
	privacy.Register(orders.PrivacyPart())
	users.OnTransfer("orders", orders.TransferOwner)
	// A deal won with products on it places its order in the same transaction.
	deals.OnWon = orders.PlaceForWonDeal
	privacy.Register(api.IdempotencyPrivacyPart())
	privacy.Register(webhook.PrivacyPart())
	return &services{
		mail:       outbox,
		users:      users,
		contacts:   contacts,
		companies:  companies,
		activities: activity.NewService(d, contacts, companies),
		fields:     customfield.NewService(d),
		views:      view.NewService(d),
		audit:      audit.NewService(d),
		consent:    consent.NewService(d, contacts),
		gdpr:       privacy,
		bulk:       bulk.NewService(bulk.Options{DB: d, Contacts: contacts, Companies: companies, Users: users}),
		tasks:      tasks,
		notify:     notify.New(d),
		orders:     orders,
		forecast:   forecast.NewService(d),
		deals:      deals,
		webhooks:   webhook.New(webhook.Options{DB: d, Outbox: outbox}),
	}
}
