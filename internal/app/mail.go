package app

import (
	"net/url"

	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
)

// configureMail puts cfg.BaseURL into the links of invitation emails and,
// when cfg.SMTP names a mail server, has the outbox send through it with
// jobs on q. Without one, mail stays in the outbox (Settings → Outbox).
func (s *services) configureMail(cfg config.Config, q *jobs.Queue) error {
	s.users.UseMail(s.mail, cfg.BaseURL)
	s.tasks.UseMail(s.mail, cfg.BaseURL)
	s.webhooks.UseMail(s.mail, cfg.BaseURL)
	if cfg.SMTP == "" {
		return nil
	}
	return s.mail.Deliver(mail.Server{URL: cfg.SMTP, From: defaultSender(cfg.BaseURL)}, q)
}

// defaultSender is the From address when --smtp names none (its "from"
// parameter): rapport@ the host of the base URL.
func defaultSender(baseURL string) string {
	host := "localhost"
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "Rapport <rapport@" + host + ">"
}
