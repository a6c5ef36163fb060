package check

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeEnv is what an operator exports before `docker compose up`.
var composeEnv = map[string]string{
	"POSTGRES_PASSWORD":      "pg-secret",
	"SECRET_KEY_BASE":        strings.Repeat("k", 64),
	"GRAFANA_ADMIN_PASSWORD": "grafana-secret",
}

// loadCompose loads a compose file with the compose specification's own
// loader (schema validation, interpolation, merge keys, normalization), as
// `docker compose` and `podman compose` do.
func loadCompose(t *testing.T, dir, file string, env map[string]string) (*types.Project, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, file), Content: b}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("campfire-check", true) })
}

// TestCompose: both compose files load; every host port is used once; bind
// mounts name files that exist; the campfire services build from
// deploy/container/Dockerfile and check their health with the image's
// prober; production has the services the guide lists and one Grafana
// port apart from the instances'.
func TestCompose(t *testing.T) {
	dir := deployDir(t)
	for _, tc := range []struct {
		file     string
		services []string
	}{
		{"docker-compose.yml", []string{"campfire"}},
		{"docker-compose.production.yml", []string{"campfire-1", "campfire-2", "grafana", "nginx", "postgres", "prometheus", "redis"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := loadCompose(t, dir, tc.file, composeEnv)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ServiceNames(); !slices.Equal(sorted(got), tc.services) {
				t.Errorf("services %v, want %v", sorted(got), tc.services)
			}
			hostPorts := map[string]string{}
			for name, s := range p.Services {
				for _, port := range s.Ports {
					key := port.HostIP + ":" + port.Published
					if other, dup := hostPorts[key]; dup {
						t.Errorf("host port %s used by %s and %s", key, other, name)
					}
					hostPorts[key] = name
				}
				for _, v := range s.Volumes {
					if v.Type == types.VolumeTypeBind {
						if _, err := os.Stat(v.Source); err != nil {
							t.Errorf("%s mounts %s: %v", name, v.Source, err)
						}
					}
				}
				if strings.HasPrefix(name, "campfire") {
					if s.Build == nil || s.Build.Dockerfile != "deploy/container/Dockerfile" {
						t.Errorf("%s: build %+v", name, s.Build)
					} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
						t.Errorf("%s: %v", name, err)
					}
					if s.HealthCheck == nil || !slices.Contains(s.HealthCheck.Test, "/usr/local/bin/campfire-healthcheck") {
						t.Errorf("%s: healthcheck %+v", name, s.HealthCheck)
					}
				}
			}
			// The same port on all addresses and on 127.0.0.1 collide too.
			seen := map[string]string{}
			for key, name := range hostPorts {
				port := key[strings.LastIndex(key, ":")+1:]
				if other, dup := seen[port]; dup {
					t.Errorf("host port %s used by %s and %s", port, other, name)
				}
				seen[port] = name
			}
			if tc.file == "docker-compose.production.yml" {
				checkProduction(t, p)
			}
		})
	}
}

func checkProduction(t *testing.T, p *types.Project) {
	for _, name := range []string{"campfire-1", "campfire-2"} {
		s := p.Services[name]
		env := s.Environment
		for k, want := range map[string]string{
			"INSTANCE_ID":     name,
			"REDIS_URL":       "redis://redis:6379/0",
			"SECRET_KEY_BASE": composeEnv["SECRET_KEY_BASE"],
			"DATABASE_URL":    "postgres://campfire:pg-secret@postgres:5432/campfire?sslmode=disable",
			"TRUST_PROXY":     "1",
		} {
			if got := env[k]; got == nil || *got != want {
				t.Errorf("%s: %s = %v, want %q", name, k, got, want)
			}
		}
		for _, dep := range []string{"postgres", "redis"} {
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s does not wait for %s to be healthy", name, dep)
			}
		}
	}
	// Prometheus scrapes the instances by their service names.
	prom := string(readDeploy(t, "prometheus/prometheus.yml"))
	for _, target := range []string{"campfire-1:3000", "campfire-2:3000"} {
		if !strings.Contains(prom, target) {
			t.Errorf("prometheus.yml does not scrape %s", target)
		}
	}
	// nginx runs the shipped config with its upstream rewritten by sed: the
	// lines sed looks for must still be in it.
	conf := string(readDeploy(t, "nginx/campfire.conf"))
	cmd := strings.Join(p.Services["nginx"].Command, " ")
	for _, line := range []string{"server 127.0.0.1:3000 ", "server 127.0.0.1:3001 ", "server 127.0.0.1:3002 "} {
		if !strings.Contains(conf, line) || !strings.Contains(cmd, line) {
			t.Errorf("nginx: %q must be in deploy/nginx/campfire.conf and in the compose command's sed", line)
		}
	}
	var grafanaMounts []string
	for _, v := range p.Services["grafana"].Volumes {
		grafanaMounts = append(grafanaMounts, v.Target)
	}
	if !slices.Contains(grafanaMounts, grafanaDashboardsPath) || !slices.Contains(grafanaMounts, "/etc/grafana/provisioning") {
		t.Errorf("grafana mounts %v, want the provisioning and %s", grafanaMounts, grafanaDashboardsPath)
	}
}

// TestComposeCatches: the loader refuses a misspelt key, a malformed port
// and, for production, a missing required secret.
func TestComposeCatches(t *testing.T) {
	dir := t.TempDir()
	one := string(readDeploy(t, "docker-compose.yml"))
	for name, doc := range map[string]string{
		"misspelt key": strings.Replace(one, "    restart: unless-stopped", "    restrat: unless-stopped", 1),
		"bad port":     strings.Replace(one, `"3000:3000"`, `"3000:three"`, 1),
		"bad duration": strings.Replace(one, "interval: 30s", "interval: often", 1),
	} {
		if doc == one {
			t.Fatalf("%s: docker-compose.yml changed; update this test", name)
		}
		if err := os.WriteFile(filepath.Join(dir, "c.yml"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := loadCompose(t, dir, "c.yml", composeEnv); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	env := map[string]string{"POSTGRES_PASSWORD": "x", "GRAFANA_ADMIN_PASSWORD": "y"}
	if _, err := loadCompose(t, deployDir(t), "docker-compose.production.yml", env); err == nil || !strings.Contains(err.Error(), "SECRET_KEY_BASE") {
		t.Errorf("production without SECRET_KEY_BASE: %v", err)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
