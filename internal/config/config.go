// Package config reads Rapport's settings: defaults, then RAPPORT_<FLAG>
// environment variables, then command-line flags, which win.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
)

// Config is every setting shared by the sub-commands.
type Config struct {
	Addr      string
	DB        string
	BaseURL   string
	DataDir   string
	SMTP      string
	LogFormat string

	// Source is DB parsed by Validate.
	Source db.Source
}

// Default returns the settings used when nothing is given.
func Default() Config {
	return Config{
		Addr:    "127.0.0.1:8080",
		DB:      "sqlite:rapport.db",
		DataDir: "./data",
	}
}

// Flag describes one setting for help text and the README table.
type Flag struct {
	Name, Env, Default, Usage string
}

// Flags lists the settings in the order they are documented.
func Flags() []Flag {
	d := Default()
	return []Flag{
		{"addr", "RAPPORT_ADDR", d.Addr, "address to listen on (host:port)"},
		{"db", "RAPPORT_DB", d.DB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB"},
		{"base-url", "RAPPORT_BASE_URL", "http://<addr>", "public URL, used in emails, tracking links and DAV discovery"},
		{"data-dir", "RAPPORT_DATA_DIR", d.DataDir, "folder for attachments and backups"},
		{"smtp", "RAPPORT_SMTP", "", "outgoing mail server smtp://user:pass@host:port; empty keeps mail in the outbox"},
		{"log-format", "RAPPORT_LOG_FORMAT", "text on a terminal, json otherwise", "log format: text or json"},
	}
}

// Register adds the shared flags to fs, bound to c, with values from the
// environment (read through getenv) as their defaults so that flags win.
func (c *Config) Register(fs *flag.FlagSet, getenv func(string) string) {
	ptr := map[string]*string{
		"addr": &c.Addr, "db": &c.DB, "base-url": &c.BaseURL,
		"data-dir": &c.DataDir, "smtp": &c.SMTP, "log-format": &c.LogFormat,
	}
	for _, f := range Flags() {
		p := ptr[f.Name]
		if v := getenv(f.Env); v != "" {
			*p = v
		}
		fs.StringVar(p, f.Name, *p, f.Usage+" (env "+f.Env+")")
	}
}

// Validate checks every setting, fills in derived ones and returns one
// error naming each bad flag and what it accepts.
func (c *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s: %s", flag, fmt.Sprintf(format, args...)))
	}
	src, err := db.ParseSource(c.DB)
	if err != nil {
		bad("db", "%q is not a database: %v", c.DB, err)
	}
	c.Source = src
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		bad("addr", "%q is not host:port, e.g. 127.0.0.1:8080 or :8080", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("addr", "port %q must be a number from 0 to 65535", port)
	}
	if c.BaseURL == "" && err == nil {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("base-url", "%q must be an absolute http:// or https:// URL", c.BaseURL)
	} else {
		c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	if c.SMTP != "" {
		if u, err := url.Parse(c.SMTP); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("smtp", "must look like smtp://user:pass@host:port or smtps://host:465")
		}
	}
	switch c.LogFormat {
	case "":
		c.LogFormat = "json"
		if isTerminal(os.Stderr) {
			c.LogFormat = "text"
		}
	case "text", "json":
	default:
		bad("log-format", "%q must be text or json", c.LogFormat)
	}
	return errors.Join(errs...)
}

// Secure reports whether the site is served over https, which makes the
// session cookie Secure.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
