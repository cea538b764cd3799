package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/user"
)

// runUserCreate creates a user from the shell. A password piped on stdin
// is used as is; otherwise one is generated and printed once.
func runUserCreate(ctx context.Context, args []string, env Env) int {
	var email, role, name string
	cfg, code := parseFlags("user create", args, env, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "the user's email address (required)")
		fs.StringVar(&role, "role", "", "owner, admin, manager, member or viewer (required)")
		fs.StringVar(&name, "name", "", "the user's name (default: the part of the email before @)")
	})
	if code >= 0 {
		return code
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	password, generated := "", false
	if env.StdinIsTerminal {
		password, generated = user.GeneratePassword(), true
	} else {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		password = strings.TrimRight(line, "\r\n")
		if password == "" && err != nil {
			password, generated = user.GeneratePassword(), true
		}
	}
	d, _, ok := openDB(ctx, "user create", cfg, env)
	if !ok {
		return exitError
	}
	defer d.Close()
	u, err := user.NewService(d).Create(ctx, "", user.NewUser{Email: email, Name: name, Role: role, Password: password})
	if v := apperr.AsValidation(err); v != nil {
		for _, f := range v.Fields {
			flagName := "--" + f.Field
			if f.Field == "password" {
				flagName = "password (stdin)"
			}
			fmt.Fprintf(env.Stderr, "rapport user create: %s: %s\n", flagName, f.Message)
		}
		return exitUsage
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "rapport user create: %v\n", err)
		return exitError
	}
	fmt.Fprintf(env.Stdout, "Created %s <%s> as %s.\n", u.Name, u.Email, u.Role)
	if generated {
		fmt.Fprintf(env.Stdout, "Password (shown once): %s\n", password)
	}
	return exitOK
}
