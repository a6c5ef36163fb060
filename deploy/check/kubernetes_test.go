package check

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// scheme knows the official API types the manifests use.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, networkingv1.AddToScheme,
		autoscalingv2.AddToScheme, policyv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// decodeStrict decodes every document of a YAML stream into its official
// API type: an unknown kind or apiVersion, an unknown or misspelt field, a
// duplicate key or a wrong type is an error.
func decodeStrict(stream []byte) ([]runtime.Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var objs []runtime.Object
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, err
		}
		obj, err := scheme.New(tm.GroupVersionKind())
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: %w", tm.Kind, err)
		}
		objs = append(objs, obj)
	}
}

// manifests lists the YAML files under deploy/kubernetes that are
// Kubernetes objects (every one but the kustomization files).
func manifests(t *testing.T) []string {
	var files []string
	root := deployPath(t, "kubernetes")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && hasSuffixAny(p, ".yaml", ".yml") && d.Name() != "kustomization.yaml" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestKubernetesStrict: every manifest decodes strictly into the official
// types (k8s.io/api).
func TestKubernetesStrict(t *testing.T) {
	files := manifests(t)
	if len(files) < 8 {
		t.Fatalf("only %d manifests: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := decodeStrict(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
		} else if len(objs) == 0 {
			t.Errorf("%s: no object", f)
		}
	}
}

// TestKubernetesStrictCatches: the decoder refuses a misspelt field, a field
// of the wrong type, an unknown kind and a duplicate key.
func TestKubernetesStrictCatches(t *testing.T) {
	dep := string(readDeploy(t, "kubernetes/base/deployment.yaml"))
	for name, doc := range map[string]string{
		"misspelt field": strings.Replace(dep, "readinessProbe:", "readynessProbe:", 1),
		"wrong type":     strings.Replace(dep, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 30s", 1),
		"old apiVersion": strings.Replace(dep, "apiVersion: apps/v1", "apiVersion: extensions/v1beta1", 1),
		"duplicate key":  strings.Replace(dep, "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n", 1),
	} {
		if doc == dep {
			t.Fatalf("%s: the deployment changed; update this test", name)
		}
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// build renders a kustomization with the kustomize library (what
// `kubectl kustomize` runs) and decodes the result strictly.
func build(t *testing.T, dir string) []runtime.Object {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeStrict(out)
	if err != nil {
		t.Fatalf("kustomize build %s: %v\n%s", dir, err, out)
	}
	return objs
}

// copyTree copies deploy/kubernetes to a temporary directory and creates
// the overlay's secrets.env from its example, as an operator would.
func copyTree(t *testing.T) string {
	src := deployPath(t, "kubernetes")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	ex := filepath.Join(dst, "overlays/production/secrets.env")
	b, err := os.ReadFile(ex + ".example")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ex, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestKustomize: the base and the production overlay render, every object
// rendered decodes strictly, and the pieces fit: probes, stop timing,
// selectors, the Service port the Ingress names, the HPA's and PDB's
// targets, the Secret and ConfigMap the pods read.
func TestKustomize(t *testing.T) {
	dir := copyTree(t)
	for _, tc := range []struct {
		path      string
		namespace string
		replicas  int32 // HPA minimum
		secret    bool  // the overlay generates the Secret
	}{
		{"base", "", 2, false},
		{"overlays/production", "campfire", 3, true},
	} {
		t.Run(tc.path, func(t *testing.T) {
			objs := build(t, filepath.Join(dir, tc.path))
			checkObjects(t, objs, tc.namespace, tc.replicas, tc.secret)
		})
	}
}

func checkObjects(t *testing.T, objs []runtime.Object, namespace string, minReplicas int32, wantSecret bool) {
	var (
		dep     *appsv1.Deployment
		svc     *corev1.Service
		ing     *networkingv1.Ingress
		hpa     *autoscalingv2.HorizontalPodAutoscaler
		pdb     *policyv1.PodDisruptionBudget
		cms     []string
		secrets []string
	)
	for _, o := range objs {
		if m, ok := o.(metav1.Object); ok && namespace != "" && m.GetNamespace() != namespace {
			if _, isNS := o.(*corev1.Namespace); !isNS {
				t.Errorf("%T %s in namespace %q, want %q", o, m.GetName(), m.GetNamespace(), namespace)
			}
		}
		switch o := o.(type) {
		case *appsv1.Deployment:
			dep = o
		case *corev1.Service:
			svc = o
		case *networkingv1.Ingress:
			ing = o
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpa = o
		case *policyv1.PodDisruptionBudget:
			pdb = o
		case *corev1.ConfigMap:
			cms = append(cms, o.Name)
		case *corev1.Secret:
			secrets = append(secrets, o.Name)
		}
	}
	if dep == nil || svc == nil || ing == nil || hpa == nil || pdb == nil || len(cms) != 1 {
		t.Fatalf("missing objects: deployment %v service %v ingress %v hpa %v pdb %v configmaps %v",
			dep != nil, svc != nil, ing != nil, hpa != nil, pdb != nil, cms)
	}
	pod := dep.Spec.Template
	c := pod.Spec.Containers[0]

	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/up" {
		t.Errorf("liveness probe: %+v, want GET /up", p)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/ready" {
		t.Errorf("readiness probe: %+v, want GET /ready", p)
	}
	// The stop: preStop sleep, then SIGTERM and the server's drain
	// (SHUTDOWN_TIMEOUT, 9 s by default and in the ConfigMap), all within
	// the grace period, with margin.
	var preStop int64
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no preStop sleep")
	} else {
		preStop = c.Lifecycle.PreStop.Sleep.Seconds
	}
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g < preStop+9+5 {
		t.Errorf("terminationGracePeriodSeconds %v is not longer than preStop %d s + the 9 s drain + 5 s", g, preStop)
	}
	if sc := pod.Spec.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 10001 {
		t.Error("pods must run as the image's non-root user 10001")
	}

	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || !sel.Matches(labelSet(pod.Labels)) {
		t.Errorf("the Deployment's selector %v does not match its pods' labels %v", dep.Spec.Selector, pod.Labels)
	}
	if !matches(svc.Spec.Selector, pod.Labels) {
		t.Errorf("the Service's selector %v does not match the pods %v", svc.Spec.Selector, pod.Labels)
	}
	if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || !sel.Matches(labelSet(pod.Labels)) {
		t.Errorf("the PodDisruptionBudget's selector %v does not match the pods", pdb.Spec.Selector)
	}
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, p.Name)
	}
	for _, p := range svc.Spec.Ports {
		if !slices.Contains(ports, p.TargetPort.StrVal) {
			t.Errorf("Service port %s targets %q, not a container port %v", p.Name, p.TargetPort.String(), ports)
		}
	}
	for _, r := range ing.Spec.Rules {
		for _, p := range r.HTTP.Paths {
			b := p.Backend.Service
			if b == nil || b.Name != svc.Name || !slices.ContainsFunc(svc.Spec.Ports, func(sp corev1.ServicePort) bool { return sp.Name == b.Port.Name }) {
				t.Errorf("Ingress backend %+v is not the Service %s's port", b, svc.Name)
			}
		}
	}
	for _, a := range []string{"nginx.ingress.kubernetes.io/proxy-read-timeout", "nginx.ingress.kubernetes.io/proxy-send-timeout"} {
		if ing.Annotations[a] != "3600" {
			t.Errorf("Ingress %s = %q, want 3600 (WebSockets live for hours; the server pings every 25 s)", a, ing.Annotations[a])
		}
	}
	if r := hpa.Spec.ScaleTargetRef; r.Kind != "Deployment" || r.Name != dep.Name {
		t.Errorf("the HPA scales %s %s, not the Deployment %s", r.Kind, r.Name, dep.Name)
	}
	if hpa.Spec.MinReplicas == nil || *hpa.Spec.MinReplicas != minReplicas || hpa.Spec.MaxReplicas < minReplicas {
		t.Errorf("HPA replicas %v..%d, want min %d", hpa.Spec.MinReplicas, hpa.Spec.MaxReplicas, minReplicas)
	}

	// The pods read the ConfigMap and Secret by the names rendered (the
	// overlay's generators add a content hash; kustomize renames the
	// references).
	var readCM, readSecret string
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil {
			readCM = e.ConfigMapRef.Name
		}
		if e.SecretRef != nil {
			readSecret = e.SecretRef.Name
		}
	}
	if readCM != cms[0] {
		t.Errorf("pods read ConfigMap %q, rendered %q", readCM, cms[0])
	}
	if wantSecret && (len(secrets) != 1 || readSecret != secrets[0]) {
		t.Errorf("pods read Secret %q, rendered %v", readSecret, secrets)
	}
	if !wantSecret && readSecret != "campfire-secrets" {
		t.Errorf("pods read Secret %q, want campfire-secrets (secret.example.yaml)", readSecret)
	}
}

type labelSet map[string]string

func (l labelSet) Has(k string) bool              { _, ok := l[k]; return ok }
func (l labelSet) Get(k string) string            { return l[k] }
func (l labelSet) Lookup(k string) (string, bool) { v, ok := l[k]; return v, ok }

func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
