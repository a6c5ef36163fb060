package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/campfire-go/campfire/internal/config"
)

// LOG_FORMAT=json writes one JSON object per line, naming the instance;
// text writes key=value.
func TestLogFormat(t *testing.T) {
	cfg := config.Default()
	cfg.InstanceID = "i-1"
	cfg.LogFormat = "json"
	var buf bytes.Buffer
	newLogger(cfg, &buf).Info("hello", "n", 1)
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil || m["msg"] != "hello" || m["instance"] != "i-1" || m["n"] != 1.0 {
		t.Fatalf("json line %q: %v %v", buf.String(), m, err)
	}
	buf.Reset()
	cfg.LogFormat = "text"
	newLogger(cfg, &buf).Info("hello", "n", 1)
	if !strings.Contains(buf.String(), "msg=hello instance=i-1 n=1") {
		t.Fatalf("text line %q", buf.String())
	}
}
