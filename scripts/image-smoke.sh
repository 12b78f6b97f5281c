#!/usr/bin/env bash
# Proves an image of deploy/Dockerfile serves and drains: runs it on its embedded default, checks
# /healthz, evicts a demo pod with a wait for its replacement, sends SIGTERM (podman stop) while
# that request is in flight, and checks the request still answers 200 and the container exits 0.
# Usage: scripts/image-smoke.sh [image]   (default localhost/eviction-gateway:dev; needs podman and curl)
set -euo pipefail
image=${1:-localhost/eviction-gateway:dev}
port=${SMOKE_PORT:-18990}
name="egw-smoke-$$"
out=$(mktemp)
# runc, and limits no higher than the machine's: crun cannot run on hybrid cgroups (see scripts/image-base.sh).
podman_run=(podman --runtime runc run -d --name "$name" --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
cleanup() { podman rm -f "$name" >/dev/null 2>&1 || true; rm -f "$out"; }
trap cleanup EXIT
fail() { echo "image-smoke: FAILED: $*" >&2; podman logs "$name" 2>&1 | tail -5 >&2; exit 1; }
until_true() { for _ in $(seq 1 300); do if "$@"; then return 0; fi; sleep 0.1; done; return 1; }

"${podman_run[@]}" -p "127.0.0.1:$port:8787" "$image" >/dev/null
until_true curl -sf "http://127.0.0.1:$port/healthz" -o /dev/null || fail "/healthz did not answer within 30 s"
echo "image-smoke: /healthz answers; running as $(podman top "$name" user args | tail -1)"
key=$(podman logs "$name" 2>/dev/null | sed -n 's/.*export EGW_KEY=\([^ ]*\).*/\1/p' | head -1)
[ -n "$key" ] || fail "no demo key printed"
pods="http://127.0.0.1:$port/v1/clusters/sandbox/namespaces/demo/pods"

curl -s -o "$out" -w '%{http_code}' -X POST -H "Authorization: Bearer $key" -H 'content-type: application/json' \
  -d '{"wait":30,"waitFor":"replacement-ready"}' "$pods/web-1/eviction" >"$out.code" &
request=$!
terminating() { curl -s -H "Authorization: Bearer $key" "$pods" | grep -q '"name":"web-1"[^}]*"terminating":true'; }
until_true terminating || fail "the eviction never reached the sandbox"
echo "image-smoke: eviction in flight (waiting for the replacement); podman stop sends SIGTERM"
podman stop -t 30 "$name" >/dev/null
wait "$request"
code=$(cat "$out.code"); rm -f "$out.code"
exit_code=$(podman inspect "$name" --format '{{.State.ExitCode}}')
[ "$code" = 200 ] || fail "the in-flight eviction answered HTTP $code: $(head -c 300 "$out")"
grep -q '"reached":"replacement-ready"' "$out" || fail "the in-flight eviction did not finish its wait: $(head -c 300 "$out")"
podman logs "$name" 2>&1 | grep -q '"msg":"draining"' || fail "no drain logged"
[ "$exit_code" = 0 ] || fail "exit code $exit_code"
echo "image-smoke: the in-flight eviction answered 200 (replacement Ready), the gateway drained and exited 0"
