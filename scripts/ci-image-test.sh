#!/usr/bin/env bash
# Builds app/Dockerfile with a real OCI builder (buildah) where there is no Docker engine and no
# access to public base images, then runs the image's own CMD and checks it.
#
# The one thing that differs from a user's build: the base images. This machine cannot pull
# node:22-*, so this script assembles a stand-in Node base image from the machine's own Node
# (plus npm, a shell, rm, env and the libraries ldd lists) with `buildah from scratch`, and passes
# it through the Dockerfile's BUILD_IMAGE / RUNTIME_IMAGE arguments. Users' builds use the real
# defaults. Everything built here is removed at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
command -v buildah >/dev/null || { echo "ci-image-test: buildah is not installed (apt-get install -y buildah)" >&2; exit 1; }

PORT="${CI_IMAGE_TEST_PORT:-18089}"
EXPECTED_UID=10001
STANDIN="localhost/ci-node-standin:$(node --version)"
IMAGE="localhost/app-ci-test:$(node -p 'require("./app/package.json").version')"
ISO=(--isolation chroot)
ctr="" run_ctr="" server_pid=""

cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
	if [ -n "$run_ctr" ]; then buildah rm "$run_ctr" >/dev/null 2>&1 || true; fi
	if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
	buildah rmi -f "$IMAGE" "$STANDIN" >/dev/null 2>&1 || true
	buildah rmi --prune >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== assembling the stand-in base image $STANDIN from $(command -v node)"
node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(readlink -f "$(command -v npm)")")/.."
npm_dir="$(readlink -f "$npm_dir")"
ctr="$(buildah from scratch)"
add() { buildah copy --quiet "$ctr" "$1" "$2" >/dev/null; }
add "$node_bin" /usr/local/bin/node
add "$npm_dir" /usr/local/lib/node_modules/npm
for tool in sh env rm; do add "$(readlink -f "$(command -v "$tool")")" "/bin/$tool"; done
# Every shared library those binaries load, at the path the dynamic loader expects.
for lib in $( { ldd "$node_bin"; for t in sh env rm; do ldd "$(readlink -f "$(command -v "$t")")"; done; } |
	grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
	add "$(readlink -f "$lib")" "$lib"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] && add /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
buildah run "${ISO[@]}" "$ctr" -- /usr/local/bin/node -e '
  const fs = require("fs");
  for (const d of ["/usr/bin", "/tmp", "/root"]) fs.mkdirSync(d, { recursive: true });
  for (const d of ["/tmp", "/root"]) fs.chmodSync(d, 0o1777);
  fs.symlinkSync("../lib/node_modules/npm/bin/npm-cli.js", "/usr/local/bin/npm");
  fs.symlinkSync("/bin/env", "/usr/bin/env");'
buildah config --env PATH=/usr/local/bin:/usr/bin:/bin --env HOME=/root \
	${NODE_EXTRA_CA_CERTS:+--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt} "$ctr"
buildah commit --quiet "$ctr" "$STANDIN" >/dev/null
buildah rm "$ctr" >/dev/null && ctr=""

echo "== building app/Dockerfile"
started=$(date +%s)
buildah bud "${ISO[@]}" --pull-never --layers=false \
	--build-arg BUILD_IMAGE="$STANDIN" --build-arg RUNTIME_IMAGE="$STANDIN" \
	--build-arg APP_VERSION=ci --build-arg VCS_REF="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
	--build-arg SOURCE_URL=https://example.invalid/ci \
	-t "$IMAGE" app/
echo "build took $(( $(date +%s) - started )) s"

echo "== checking the image's configuration"
config="$(buildah inspect --type image "$IMAGE")"
field() { node -e 'const c = JSON.parse(require("fs").readFileSync(0, "utf8")).OCIv1.config; const v = c[process.argv[1]]; console.log(typeof v === "string" ? v : JSON.stringify(v))' "$1" <<<"$config"; }
cmd="$(field Cmd)"
user="$(field User)"
labels="$(field Labels)"
echo "CMD=$cmd USER=$user LABELS=$labels"
[ "$cmd" = '["node","dist/server.js"]' ] || { echo "unexpected CMD: $cmd" >&2; exit 1; }
[ "$user" = "$EXPECTED_UID:$EXPECTED_UID" ] || { echo "unexpected USER: $user" >&2; exit 1; }
echo "$labels" | grep -q '"org.opencontainers.image.version":"ci"' || { echo "OCI version label missing" >&2; exit 1; }
run_ctr="$(buildah from --pull-never "$IMAGE")"
if buildah run "${ISO[@]}" "$run_ctr" -- /bin/sh -c 'command -v npm' >/dev/null 2>&1; then
	echo "npm is still in the runtime image" >&2; exit 1
fi

echo "== running the image's CMD with buildah run"
mapfile -t argv < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$cmd")
buildah run "${ISO[@]}" --env PORT="$PORT" --env POD_NAME=ci-pod --env SHUTDOWN_DELAY_SECONDS=0.2 "$run_ctr" -- "${argv[@]}" &
server_pid=$!
healthy=""
for _ in $(seq 1 100); do
	if body="$(node -e '
	  require("http").get(process.argv[1], (r) => { let b = ""; r.on("data", (c) => (b += c)); r.on("end", () => { console.log(r.statusCode, b); process.exit(r.statusCode === 200 ? 0 : 1); }); })
	    .on("error", () => process.exit(1));' "http://127.0.0.1:$PORT/healthz" 2>/dev/null)"; then
		healthy="$body"; break
	fi
	sleep 0.1
done
[ -n "$healthy" ] || { echo "/healthz never answered on port $PORT" >&2; exit 1; }
echo "/healthz -> $healthy"
# The server process itself (not buildah's helpers): its real UID must be the image's non-root UID.
read -r node_pid node_uid < <(ps -eo pid=,uid=,args= | awk '$3 ~ /\/node$/ && $4 == "dist/server.js" { print $1, $2; exit }')
echo "server process: pid ${node_pid:-?} uid ${node_uid:-?}"
[ "${node_uid:-}" = "$EXPECTED_UID" ] || { echo "the server does not run as UID $EXPECTED_UID" >&2; exit 1; }

echo "== stopping it with SIGTERM, as the kubelet does"
kill -TERM "$node_pid"
if wait "$server_pid"; then echo "graceful shutdown: exit 0"; else echo "the server did not exit 0 on SIGTERM" >&2; exit 1; fi
server_pid=""

size="$(buildah images --format '{{.Size}}' "$IMAGE")"
echo "ci-image-test: OK: image $IMAGE, size $size, runs as UID $EXPECTED_UID, /healthz 200"
