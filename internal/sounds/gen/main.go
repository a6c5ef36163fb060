// Command gen writes the /play sounds into internal/sounds/files. Run it
// with `go generate ./internal/sounds`; the files it writes are committed
// and embedded, and a test fails when they differ from what it would write.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/campfire-go/campfire/internal/sounds/synth"
)

func main() {
	dir := "files"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, s := range synth.All() {
		if err := os.WriteFile(filepath.Join(dir, s.Name+".wav"), s.WAV, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
