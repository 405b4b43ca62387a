#!/usr/bin/env bash
# Builds Berth's local images from Debian's static busybox, so apps install with no image registry:
#   berth/busybox:1      a base image (sh, httpd, wget, …)
#   berth/static-web:1   the catalogue's "Static web server" app (busybox httpd on 8000, health path /healthz)
# With --test, also the images Berth's tests install (berth-test/*). Needs the docker CLI and DOCKER_HOST.
#   bash scripts/build-images.sh [--test]
set -euo pipefail
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] && "$busybox" --list >/dev/null 2>&1 || { echo "a static busybox is needed: apt-get install busybox-static" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

root="$work/rootfs"
mkdir -p "$root"/{bin,tmp,www,app/data,etc}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
echo '<h1>Served by Berth</h1>' > "$root/www/index.html"
echo ok > "$root/www/healthz"
# The static web app serves /app/data/public when the user has put files there, the bundled page otherwise.
cat > "$root/bin/static-web" <<'SH'
#!/bin/sh
dir=/www
if [ -d /app/data/public ]; then dir=/app/data/public; cp -n /www/healthz "$dir/healthz" 2>/dev/null || true; fi
echo "serving $dir on :${PORT:-8000}"
exec httpd -f -v -p "${PORT:-8000}" -h "$dir"
SH
chmod 755 "$root/bin/static-web"
tar -C "$root" -cf "$work/rootfs.tar" .

image() { # name, CMD (JSON), extra --change flags…
  local name=$1 cmd=$2; shift 2
  docker import -c 'ENV PATH=/bin' -c "CMD $cmd" "$@" "$work/rootfs.tar" "$name" >/dev/null
  echo "built $name"
}

image berth/busybox:1 '["/bin/sh"]'
image berth/static-web:1 '["/bin/static-web"]' -c 'EXPOSE 8000'

if [ "${1:-}" = --test ]; then
  image berth-test/web:1 '["sh","-c","echo web v1 starting; echo v1 > /www/version; exec httpd -f -v -p 8080 -h /www"]'
  image berth-test/web:2 '["sh","-c","echo web v2 starting; echo v2 > /www/version; exec httpd -f -v -p 8080 -h /www"]'
  image berth-test/crash:1 '["sh","-c","echo about to crash; echo no config found >&2; exit 3"]'
  image berth-test/slow:1 '["sh","-c","echo slow start; sleep 4; exec httpd -f -v -p 8080 -h /www"]'
  image berth-test/unhealthy:1 '["sh","-c","echo running but never listening; exec sleep 100000"]'
  image berth-test/hog:1 '["sh","-c","echo allocating; x=$(head -c 400000000 /dev/zero | tr \"\\0\" a); echo survived; exec sleep 100000"]'
fi
