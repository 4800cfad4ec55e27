#!/usr/bin/env bash
# The main job on a real service: the article's Apache walk-through. Build a jail for Debian's Apache,
# start it in the jail (privileges dropped, namespaces, only fds 0-2), show it answering and that it
# runs as www-data with its root in the jail, then stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "demo: building a jail and starting a service need root (chroot, mknod, chown, namespaces): run npm run demo as root" >&2
  exit 3
fi
if ! command -v apache2 >/dev/null || ! command -v curl >/dev/null; then
  echo "+ apt-get install -y apache2 curl   (the service the demo jails, and a client)"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends apache2 curl >/dev/null
fi
npx turbo run build --filter=@jailwright/apache --output-logs=errors-only >/dev/null
root=${JAIL_ROOT:-/srv/jails/apache}
# The command a user gets from `npm i -g @jailwright/apache`.
jailwright-apache() { node recipes/apache/dist/cli.js "$@"; }
show() { echo "+ $*"; "$@"; }
install -d -o root -g root -m 0755 "$(dirname "$root")"
trap 'jailwright-apache stop --root "$root" >/dev/null 2>&1 || true' EXIT
show jailwright-apache build --root "$root"
show jailwright-apache start --root "$root"
show curl -sS -i http://127.0.0.1:8080/
show ps -o user,pid,cmd -C apache2
show jailwright-apache check --root "$root"
show tail -n 2 "$root/var/log/apache2/access.log"
show jailwright-apache stop --root "$root"
trap - EXIT
