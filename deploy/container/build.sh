#!/usr/bin/env bash
# Builds Campfire's container image offline (FROM scratch around the static
# binary; no base image is pulled) with podman, and with `check`, runs it and
# checks it: GET /up answers 200 through the published port, the image's
# HEALTHCHECK reports healthy, the process runs as the non-root user, the
# database and secret land in the /data volume, and `podman stop` ends it
# cleanly (exit 0) within 10 s.
#
#   deploy/container/build.sh [check]
#
# Environment:
#   IMAGE         tag to build (default localhost/campfire:dev)
#   CAMPFIRE_BIN  a static campfire binary to use instead of building one
#   PODMAN_RUN_FLAGS  extra flags for `podman run` (see below)
#
# `podman run` flags for restricted machines (the CI machine is one): the
# sandbox has no CAP_SYS_RESOURCE, so podman's default ulimits (1048576
# files, 4194304 processes) cannot be set: we pass ones within the current
# limits. Its cgroups are "hybrid" (v1 controllers plus an empty v2
# mount), which crun refuses ("cgroups in hybrid mode not supported"):
# we use runc there when it is installed. Without systemd, podman logs that
# it cannot add a healthcheck timer; `podman healthcheck run` still works.
set -euo pipefail
cd "$(dirname "$0")/../.."

IMAGE="${IMAGE:-localhost/campfire:dev}"
ctx="$(mktemp -d)"
name="campfire-check-$$"
cleanup() {
  podman rm -f -v "$name" >/dev/null 2>&1 || true
  podman volume rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$ctx"
}
trap cleanup EXIT

echo "== static binaries"
if [ -n "${CAMPFIRE_BIN:-}" ]; then
  cp "$CAMPFIRE_BIN" "$ctx/campfire"
else
  CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$ctx/campfire" ./cmd/campfire
fi
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$ctx/campfire-healthcheck" ./deploy/container/healthcheck
for b in campfire campfire-healthcheck; do
  # ldd fails on a static binary ("not a dynamic executable"); FROM scratch
  # has no libc, so a dynamic one would not start.
  if ldd "$ctx/$b" >/dev/null 2>&1; then
    echo "$b is dynamically linked:"; ldd "$ctx/$b"; exit 1
  fi
done
"$ctx/campfire" version

mkdir "$ctx/data"
printf 'campfire:x:10001:10001:Campfire:/data:/sbin/nologin\n' >"$ctx/passwd"
printf 'campfire:x:10001:\n' >"$ctx/group"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/"

echo "== podman build $IMAGE"
# --format docker keeps the HEALTHCHECK (OCI images have none).
previous="$(podman image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
podman build -q --format docker -f deploy/container/Containerfile -t "$IMAGE" "$ctx"
# The image this tag named before, now untagged: remove it, so repeated
# builds (CI on the same machine) do not pile up. Fails harmlessly if in use.
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect -f '{{.Id}}' "$IMAGE")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
[ "${1:-}" = check ] || exit 0

echo "== podman run"
flags=(--ulimit "nofile=$(ulimit -Sn):$(ulimit -Sn)" --ulimit nproc=4096:4096)
if grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts && command -v runc >/dev/null; then
  flags+=(--runtime runc)
fi
# shellcheck disable=SC2206
flags+=(${PODMAN_RUN_FLAGS:-})
podman volume create "$name" >/dev/null
podman run -d --name "$name" "${flags[@]}" -p 127.0.0.1::3000 \
  -v "$name:/data" "$IMAGE" 2> >(grep -v 'systemd connection' >&2) >/dev/null
port="$(podman port "$name" 3000/tcp | head -1)"
url="http://$port/up"
echo "container $name on $port"
for i in $(seq 1 50); do
  HEALTHCHECK_URL="$url" "$ctx/campfire-healthcheck" 2>/dev/null && break
  if [ "$(podman inspect -f '{{.State.Running}}' "$name")" != true ]; then
    podman logs "$name"; echo "container exited"; exit 1
  fi
  sleep 0.2
done
HEALTHCHECK_URL="$url" "$ctx/campfire-healthcheck" || { podman logs "$name"; exit 1; }
echo "GET $url: 200"

podman healthcheck run "$name" 2> >(grep -v 'systemd connection' >&2)
status="$(podman inspect -f '{{.State.Health.Status}}' "$name")"
[ "$status" = healthy ] || { echo "health: $status"; exit 1; }
echo "HEALTHCHECK: $status"

user="$(podman top "$name" user | tail -1 | tr -d ' ')"
[ "$user" = campfire ] || { echo "runs as $user, not campfire"; exit 1; }
echo "user: $user"

vol="$(podman volume inspect -f '{{.Mountpoint}}' "$name")"
for f in campfire.db secret_key_base; do
  [ "$(stat -c %u "$vol/$f")" = 10001 ] || { echo "/data/$f missing or not owned by 10001"; ls -ln "$vol"; exit 1; }
done
echo "volume: $(cd "$vol" && ls | tr '\n' ' ')"

start=$(date +%s)
podman stop -t 10 "$name" 2> >(grep -v 'systemd connection' >&2) >/dev/null
took=$(( $(date +%s) - start ))
code="$(podman inspect -f '{{.State.ExitCode}}' "$name")"
[ "$code" = 0 ] || { podman logs "$name" | tail -5; echo "exit code $code after stop"; exit 1; }
echo "stopped in ${took}s, exit 0"
echo "container check passed"
