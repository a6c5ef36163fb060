package check

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// TestRealScrape runs the shipped Prometheus configuration and rules in a
// real Prometheus (CAMPFIRE_PROMETHEUS: Debian's /usr/bin/prometheus) against
// a real campfire on SQLite, with only the addresses changed, and asks
// Prometheus's HTTP API what it scraped: up{job="campfire"} == 1, the
// campfire_active_connections gauge, and every alert rule loaded and
// evaluated without error.
//
// campfire is CAMPFIRE_BIN when set (CI builds it once for this and the
// container check), else built from this checkout.
func TestRealScrape(t *testing.T) {
	promBin := envBinary(t, "CAMPFIRE_PROMETHEUS", "the path of a prometheus binary (Debian: apt-get install prometheus; CAMPFIRE_PROMETHEUS=/usr/bin/prometheus)")
	dir := t.TempDir()
	campfireBin := os.Getenv("CAMPFIRE_BIN")
	if campfireBin == "" {
		campfireBin = filepath.Join(dir, "campfire")
		build := exec.Command("go", "build", "-o", campfireBin, "./cmd/campfire")
		build.Dir = filepath.Dir(deployDir(t))
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build ./cmd/campfire: %v\n%s", err, out)
		}
	}

	// campfire on a free port, its SQLite database and storage in dir.
	cport := freePort(t)
	storage := filepath.Join(dir, "storage")
	start(t, "campfire", campfireBin, []string{"serve"}, filepath.Join(dir, "campfire.log"),
		"PORT="+strconv.Itoa(cport), "BIND=127.0.0.1", "STORAGE_PATH="+storage,
		"DATABASE_URL=sqlite://"+filepath.Join(storage, "campfire.db"), "BCRYPT_COST=4")
	base := "http://127.0.0.1:" + strconv.Itoa(cport)
	waitFor(t, 60*time.Second, "campfire GET /up", func() error { return get(base+"/up", nil) })

	// The shipped configuration with the targets pointed at this machine's
	// ports, the rules file beside it as shipped.
	pport := freePort(t)
	conf := adaptConfig(t, readDeploy(t, "prometheus/prometheus.yml"), map[string]string{
		"campfire":   "127.0.0.1:" + strconv.Itoa(cport),
		"prometheus": "127.0.0.1:" + strconv.Itoa(pport),
	})
	promDir := filepath.Join(dir, "prometheus")
	if err := os.MkdirAll(promDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(promDir, "prometheus.yml"), conf)
	write(t, filepath.Join(promDir, "campfire_rules.yml"), readDeploy(t, "prometheus/campfire_rules.yml"))
	start(t, "prometheus", promBin, []string{
		"--config.file=" + filepath.Join(promDir, "prometheus.yml"),
		"--storage.tsdb.path=" + filepath.Join(dir, "tsdb"),
		"--web.listen-address=127.0.0.1:" + strconv.Itoa(pport),
		"--log.level=warn",
	}, filepath.Join(dir, "prometheus.log"))
	api := "http://127.0.0.1:" + strconv.Itoa(pport)
	waitFor(t, 60*time.Second, "prometheus /-/ready", func() error { return get(api+"/-/ready", nil) })

	// The first scrape comes within one scrape interval (5 s) of start.
	var up []sample
	waitFor(t, 60*time.Second, `up{job="campfire"} == 1`, func() error {
		var err error
		up, err = query(api, `up{job="campfire"} == 1`)
		if err == nil && len(up) == 0 {
			err = fmt.Errorf("no result yet")
		}
		return err
	})
	if inst := up[0].Metric["instance"]; inst != "127.0.0.1:"+strconv.Itoa(cport) {
		t.Errorf("up for instance %q", inst)
	}

	conns, err := query(api, `campfire_active_connections{job="campfire"}`)
	if err != nil || len(conns) != 1 || conns[0].Value[1] != "0" {
		t.Errorf("campfire_active_connections: %v %+v, want one series at 0", err, conns)
	}

	// Every name the rules and the dashboard read is in the scrape.
	names, err := query(api, `group by (__name__) ({job="campfire"})`)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range names {
		have[s.Metric["__name__"]] = true
	}
	for _, name := range exported {
		series := name
		if slices.Contains(histograms, name) {
			series = name + "_bucket"
		}
		switch {
		case have[series]:
		case slices.Contains(redisOnly, name):
			t.Logf("not in this scrape (Redis only): %s", series)
		default:
			t.Errorf("the scrape has no %s, which the rules or the dashboard read", series)
		}
	}

	// Every rule loads, and evaluates without error once (every 15 s).
	waitFor(t, 60*time.Second, "every rule evaluated", func() error {
		var r struct {
			Data struct {
				Groups []struct {
					Rules []struct {
						Name      string `json:"name"`
						Health    string `json:"health"`
						LastError string `json:"lastError"`
					} `json:"rules"`
				} `json:"groups"`
			} `json:"data"`
		}
		if err := get(api+"/api/v1/rules", &r); err != nil {
			return err
		}
		n := 0
		for _, g := range r.Data.Groups {
			for _, rule := range g.Rules {
				n++
				if rule.Health == "err" {
					t.Fatalf("rule %s: %s", rule.Name, rule.LastError)
				}
				if rule.Health != "ok" {
					return fmt.Errorf("rule %s: %s", rule.Name, rule.Health)
				}
			}
		}
		if n != 7 {
			return fmt.Errorf("%d rules loaded, want 7", n)
		}
		return nil
	})
}

// redisOnly are the exported series a campfire without Redis does not
// have; every other name in exported must be in the first scrape.
var redisOnly = []string{"campfire_broker_resyncs_total"}

// adaptConfig points each named job of a Prometheus configuration at one
// target, leaving the rest as shipped; a job it names must exist.
func adaptConfig(t *testing.T, shipped []byte, targets map[string]string) []byte {
	t.Helper()
	var conf map[string]any
	if err := yaml.Unmarshal(shipped, &conf); err != nil {
		t.Fatal(err)
	}
	jobs, _ := conf["scrape_configs"].([]any)
	found := 0
	for _, j := range jobs {
		job := j.(map[string]any)
		if target, ok := targets[job["job_name"].(string)]; ok {
			job["static_configs"] = []any{map[string]any{"targets": []any{target}}}
			found++
		}
	}
	if found != len(targets) {
		t.Fatalf("prometheus.yml has %d of the jobs %v", found, targets)
	}
	b, err := yaml.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type sample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func query(api, q string) ([]sample, error) {
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string   `json:"resultType"`
			Result     []sample `json:"result"`
		} `json:"data"`
	}
	if err := get(api+"/api/v1/query?query="+url.QueryEscape(q), &r); err != nil {
		return nil, err
	}
	if r.Status != "success" || r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("%s: %s %s", q, r.Status, r.Error)
	}
	return r.Data.Result, nil
}

// get fetches u, wants 200, and decodes JSON into v when v is not nil.
func get(u string, v any) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", u, resp.Status, bytes.TrimSpace(body))
	}
	if v != nil {
		return json.Unmarshal(body, v)
	}
	return nil
}

// waitFor polls f every 250 ms until it succeeds, failing the test after
// limit (a generous bound on a loaded 2-core machine, not a timing assert).
func waitFor(t *testing.T, limit time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %s: %v", what, limit, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// start runs a program until the test ends, its output in logFile (printed
// when the test fails), and stops it with SIGTERM, then SIGKILL.
func start(t *testing.T, name, bin string, args []string, logFile string, env ...string) {
	t.Helper()
	f, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("%s output:\n%s", name, b)
		}
	})
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
