package app_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/app"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/user"
)

// run runs the command line with the given stdin and returns the exit code
// and what it printed.
func run(t *testing.T, stdin string, terminal bool, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := app.Main(context.Background(), args, app.Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut,
		Getenv: func(string) string { return "" }, StdinIsTerminal: terminal,
	})
	return code, out.String(), errOut.String()
}

func dbFlag(src db.Source) string {
	if src.Engine == db.SQLite {
		return "sqlite:" + src.Path
	}
	return src.URL
}

func TestBadInputExitsClearly(t *testing.T) {
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	os.Mkdir(readOnly, 0o555)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no command", nil, 2, "Usage:"},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"mysql db", []string{"serve", "--db", "mysql://x"}, 2, "--db: \"mysql://x\" is not a database: accepted forms are sqlite:PATH and postgres://"},
		{"bad addr", []string{"migrate", "--addr", "nope"}, 2, "--addr"},
		{"unknown flag", []string{"migrate", "--colour", "red"}, 2, "flag provided but not defined: -colour"},
		{"missing folder", []string{"migrate", "--db", "sqlite:" + filepath.Join(dir, "no", "such", "x.db")}, 1, "does not exist"},
		{"unreachable postgres", []string{"migrate", "--db", "postgres://rapport@127.0.0.1:1/rapport"}, 1, "cannot open database postgres://rapport@127.0.0.1:1/rapport: connect to 127.0.0.1:1"},
		{"user without role", []string{"user", "create", "--email", "a@example.com", "--db", "sqlite:" + filepath.Join(dir, "u.db")}, 2, "--role: Choose one of the roles"},
		{"user bad sub-command", []string{"user", "delete"}, 2, "only sub-command is 'create'"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases, struct {
			name string
			args []string
			code int
			want string
		}{"read-only folder", []string{"migrate", "--db", "sqlite:" + filepath.Join(readOnly, "x.db")}, 1, "cannot write in folder"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(t, "", false, c.args...)
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, c.code, c.want)
			}
			if first, _, _ := strings.Cut(stderr, "\n"); strings.Contains(stderr, "goroutine ") || !strings.Contains(first, c.want) && c.code != 2 {
				t.Errorf("stderr is not one clear message: %q", stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Error("a folder was created for a bad --db")
	}
}

func TestMigrateAndUserCreate(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbtest.Source(t, e)
			flag := dbFlag(src)
			code, out, stderr := run(t, "", false, "migrate", "--db", flag)
			if code != 0 || !strings.Contains(out, "applied 00001_foundation.sql") {
				t.Fatalf("migrate: exit %d, %q %q", code, out, stderr)
			}
			if code, out, _ = run(t, "", false, "migrate", "--db", flag); code != 0 || !strings.Contains(out, "up to date") {
				t.Errorf("second migrate: exit %d, %q", code, out)
			}
			// A password piped on stdin is used and never printed.
			code, out, stderr = run(t, "piped password 123\n", false, "user", "create", "--email", "Pia@Example.com", "--role", "admin", "--db", flag)
			if code != 0 || !strings.Contains(out, "Created Pia <pia@example.com> as admin.") || strings.Contains(out, "piped password") {
				t.Fatalf("user create: exit %d, %q %q", code, out, stderr)
			}
			// From a terminal, a password is generated and printed once.
			code, out, _ = run(t, "", true, "user", "create", "--email", "tom@example.com", "--name", "Tom T", "--role", "viewer", "--db", flag)
			i := strings.Index(out, "Password (shown once): ")
			if code != 0 || i < 0 {
				t.Fatalf("user create from a terminal: exit %d, %q", code, out)
			}
			generated := strings.TrimSpace(out[i+len("Password (shown once): "):])
			d := dbtest.OpenUnmigrated(t, src)
			users := user.NewService(d)
			ctx := context.Background()
			if _, err := users.Authenticate(ctx, "pia@example.com", "piped password 123"); err != nil {
				t.Errorf("piped password does not sign in: %v", err)
			}
			if u, err := users.Authenticate(ctx, "tom@example.com", generated); err != nil || u.Name != "Tom T" || u.Role != "viewer" {
				t.Errorf("generated password does not sign in: %+v %v", u, err)
			}
			// A duplicate is refused and names the flag.
			code, _, stderr = run(t, "another password\n", false, "user", "create", "--email", "pia@example.com", "--role", "member", "--db", flag)
			if code != 2 || !strings.Contains(stderr, "--email: A user with this email already exists.") {
				t.Errorf("duplicate user: exit %d, %q", code, stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", false, "version")
	if code != 0 || !strings.HasPrefix(out, "rapport ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
}

// server runs `rapport serve` in-process on a free port until stop is called.
type server struct {
	URL  string
	stop func() int
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var code int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = app.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...), app.Env{
			Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard,
			Getenv: func(string) string { return "" },
		})
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	go io.Copy(io.Discard, pr)
	if err != nil || !strings.HasPrefix(line, "Rapport is running at ") {
		cancel()
		wg.Wait()
		t.Fatalf("serve printed %q (%v), exit %d", line, err, code)
	}
	s := &server{URL: strings.TrimSpace(strings.TrimPrefix(line, "Rapport is running at "))}
	var once sync.Once
	s.stop = func() int {
		once.Do(func() { cancel(); wg.Wait() })
		return code
	}
	t.Cleanup(func() { s.stop() })
	return s
}

func TestServeStartsAndStopsGracefully(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbtest.Source(t, e)
			s := startServer(t, "--db", dbFlag(src))
			res, err := http.Get(s.URL + "/readyz")
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("readyz: %v %v", res, err)
			}
			res.Body.Close()
			// A request in flight when the stop comes still gets its answer.
			conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// Headers sent, body not yet: the handler is waiting for it.
			body := "email=a%40example.com&password=wrong+password"
			fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nSec-Fetch-Site: same-origin\r\n\r\n",
				strings.TrimPrefix(s.URL, "http://"), len(body))
			time.Sleep(100 * time.Millisecond)
			done := make(chan int)
			start := time.Now()
			go func() { done <- s.stop() }()
			time.Sleep(200 * time.Millisecond)
			conn.Write([]byte(body))
			reply, _ := bufio.NewReader(conn).ReadString('\n')
			if !strings.Contains(reply, "HTTP/1.1 401") {
				t.Errorf("in-flight request got %q", reply)
			}
			select {
			case code := <-done:
				if code != 0 {
					t.Errorf("serve exited %d after stop, want 0", code)
				}
				if took := time.Since(start); took > 10*time.Second {
					t.Errorf("stop took %v, want within 10 s", took)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("serve did not stop within 15 s")
			}
		})
	}
}
