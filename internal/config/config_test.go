package config_test

import (
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/config"
)

func parse(t *testing.T, env map[string]string, args ...string) (config.Config, error) {
	t.Helper()
	c := config.Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.Register(fs, func(k string) string { return env[k] })
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestPrecedence(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil || c.Addr != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.Source.Path != "rapport.db" {
		t.Errorf("defaults: %+v, %v", c, err)
	}
	env := map[string]string{"RAPPORT_ADDR": ":9000", "RAPPORT_DB": "postgres://u@h/db", "RAPPORT_LOG_FORMAT": "json"}
	c, err = parse(t, env)
	if err != nil || c.Addr != ":9000" || c.BaseURL != "http://localhost:9000" || c.Source.URL != "postgres://u@h/db" {
		t.Errorf("env: %+v, %v", c, err)
	}
	c, err = parse(t, env, "--addr", "127.0.0.1:7000", "--base-url", "https://crm.example.com/")
	if err != nil || c.Addr != "127.0.0.1:7000" || c.BaseURL != "https://crm.example.com" || !c.Secure() {
		t.Errorf("flags over env: %+v, %v", c, err)
	}
}

func TestValidateNamesTheFlag(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--db", "mysql://x"}, []string{"--db", "sqlite:PATH", "postgres://"}},
		{[]string{"--addr", "nonsense"}, []string{"--addr", "host:port"}},
		{[]string{"--addr", ":99999"}, []string{"--addr", "65535"}},
		{[]string{"--base-url", "ftp://x"}, []string{"--base-url", "http"}},
		{[]string{"--smtp", "mail.example.com"}, []string{"--smtp", "smtp://"}},
		{[]string{"--log-format", "xml"}, []string{"--log-format", "text or json"}},
		{[]string{"--db", "oracle:x", "--log-format", "xml"}, []string{"--db", "--log-format"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			_, err := parse(t, nil, c.args...)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
