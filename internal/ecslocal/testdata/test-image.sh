#!/usr/bin/env bash
# Builds the image the Docker runtime's tests run, without a registry: a
# root file system of Debian's busybox-static (/bin/busybox, every applet a
# symlink to it), an /etc/passwd with root and nobody, and the marker file
# /etc/ecslocal-test-image, imported with `docker import` into the engine
# DOCKER_HOST names.
#
#   bash internal/ecslocal/testdata/test-image.sh [IMAGE]   (default temporal-ecs-test/busybox:local)
set -euo pipefail

image=${1:-temporal-ecs-test/busybox:local}
busybox=/bin/busybox
if [[ ! -x $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
	echo "test-image.sh: $busybox is missing or not statically linked: apt-get install busybox-static" >&2
	exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/root" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo "temporal-ecs test image" >"$root/etc/ecslocal-test-image"

tar -C "$root" -c . | docker import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$image" >/dev/null
echo "test-image.sh: built $image" >&2
