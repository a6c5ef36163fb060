package check

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// finalStage returns the instructions of a Dockerfile's last stage that
// make the image what it is at run time (user, environment, volume, health
// check, entrypoint…), continuation lines joined and comments dropped.
func finalStage(src string) []string {
	src = strings.ReplaceAll(src, "\\\n", " ")
	var out []string
	for _, line := range strings.Split(src, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if strings.HasPrefix(line, "FROM ") {
			out = nil
			continue
		}
		for _, kw := range []string{"USER ", "WORKDIR ", "ENV ", "VOLUME ", "EXPOSE ", "HEALTHCHECK ", "STOPSIGNAL ", "ENTRYPOINT ", "CMD "} {
			if strings.HasPrefix(line, kw) {
				out = append(out, line)
			}
		}
	}
	return out
}

// TestContainerfiles: the offline Containerfile and the multi-stage
// Dockerfile make the same image (same run-time instructions, both FROM
// scratch, the same uid as the Kubernetes manifests and the passwd line),
// so the image CI runs is the one builders with network get.
func TestContainerfiles(t *testing.T) {
	offline := string(readDeploy(t, "container/Containerfile"))
	multi := string(readDeploy(t, "container/Dockerfile"))
	a, b := finalStage(offline), finalStage(multi)
	if len(a) < 8 || !slices.Equal(a, b) {
		t.Errorf("the images differ:\nContainerfile: %q\nDockerfile:    %q", a, b)
	}
	for name, src := range map[string]string{"Containerfile": offline, "Dockerfile": multi} {
		froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(src, -1)
		if len(froms) == 0 || froms[len(froms)-1][1] != "scratch" {
			t.Errorf("%s: the final stage is not FROM scratch: %v", name, froms)
		}
		for _, want := range []string{"USER 10001:10001", "VOLUME /data", `CMD ["/usr/local/bin/campfire-healthcheck"]`, `ENTRYPOINT ["/usr/local/bin/campfire"]`} {
			if !strings.Contains(strings.Join(finalStage(src), "\n"), want) {
				t.Errorf("%s: no %s", name, want)
			}
		}
	}
	build := string(readDeploy(t, "container/build.sh"))
	if !strings.Contains(build, "campfire:x:10001:10001:") || !strings.Contains(multi, "campfire:x:10001:10001:") {
		t.Error("the passwd line does not name uid 10001")
	}
	if !strings.Contains(build, "--format docker") {
		t.Error("build.sh must build with --format docker, or podman drops the HEALTHCHECK")
	}
}

// TestContainerfilesCatch: a drift between the two files is seen.
func TestContainerfilesCatch(t *testing.T) {
	src := string(readDeploy(t, "container/Containerfile"))
	drifted := strings.Replace(src, "LOG_FORMAT=json", "LOG_FORMAT=text", 1)
	if drifted == src || slices.Equal(finalStage(src), finalStage(drifted)) {
		t.Error("a changed ENV continuation line went unseen")
	}
}
