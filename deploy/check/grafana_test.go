package check

import (
	"testing"

	"sigs.k8s.io/yaml"
)

// Grafana's provisioning files, as far as these deployments use them;
// decoded strictly, so a misspelt key fails.
type datasourcesFile struct {
	APIVersion  int `json:"apiVersion"`
	Datasources []struct {
		Name      string         `json:"name"`
		UID       string         `json:"uid"`
		Type      string         `json:"type"`
		Access    string         `json:"access"`
		URL       string         `json:"url"`
		IsDefault bool           `json:"isDefault"`
		Editable  bool           `json:"editable"`
		JSONData  map[string]any `json:"jsonData"`
	} `json:"datasources"`
}

type dashboardsFile struct {
	APIVersion int `json:"apiVersion"`
	Providers  []struct {
		Name                  string `json:"name"`
		Folder                string `json:"folder"`
		Type                  string `json:"type"`
		DisableDeletion       bool   `json:"disableDeletion"`
		AllowUIUpdates        bool   `json:"allowUiUpdates"`
		UpdateIntervalSeconds int    `json:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `json:"path"`
			FoldersFromFilesStructure bool   `json:"foldersFromFilesStructure"`
		} `json:"options"`
	} `json:"providers"`
}

// grafanaDashboardsPath is where the provider reads dashboards; the
// production compose file mounts deploy/grafana/dashboards there.
const grafanaDashboardsPath = "/var/lib/grafana/dashboards/campfire"

func provisionedDatasourceUID(t testing.TB) string {
	t.Helper()
	var f datasourcesFile
	if err := yaml.UnmarshalStrict(readDeploy(t, "grafana/provisioning/datasources/prometheus.yml"), &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != 1 || len(f.Datasources) != 1 || f.Datasources[0].Type != "prometheus" || f.Datasources[0].UID == "" {
		t.Fatalf("datasource provisioning: %+v", f)
	}
	return f.Datasources[0].UID
}

// TestGrafanaProvisioning: the datasource and dashboard provider files
// decode strictly, and the provider reads the directory compose mounts.
func TestGrafanaProvisioning(t *testing.T) {
	provisionedDatasourceUID(t)
	var f dashboardsFile
	if err := yaml.UnmarshalStrict(readDeploy(t, "grafana/provisioning/dashboards/campfire.yml"), &f); err != nil {
		t.Fatal(err)
	}
	if f.APIVersion != 1 || len(f.Providers) != 1 || f.Providers[0].Type != "file" || f.Providers[0].Options.Path != grafanaDashboardsPath {
		t.Errorf("dashboard provisioning: %+v", f)
	}
	var bad datasourcesFile
	if err := yaml.UnmarshalStrict([]byte("apiVersion: 1\ndatasources:\n  - name: P\n    uid: p\n    typ: prometheus\n"), &bad); err == nil {
		t.Error("a misspelt key was accepted")
	}
}
