// Command campfire runs the Campfire chat server. See `campfire help`.
package main

import (
	"os"

	"github.com/campfire-go/campfire/internal/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}
