// Command rapport runs the Rapport CRM: web app, API, jobs and tools in one binary.
package main

import (
	"context"
	"os"

	"github.com/rapportcrm/rapport/internal/app"
)

func main() {
	os.Exit(app.Main(context.Background(), os.Args[1:], app.OSEnv()))
}
