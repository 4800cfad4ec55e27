#!/usr/bin/env bash
# The main job on a real program: build the jail the minimal recipe describes, then run programs inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "demo: building a jail needs root (chroot, mknod, chown): run npm run demo as root" >&2
  exit 3
fi
npx turbo run build --filter=@jailwright/core --output-logs=errors-only >/dev/null
root=${JAIL_ROOT:-/srv/jails/demo}
recipe=packages/core/test/fixtures/demo/recipe.yaml
install -d -o root -g root -m 0755 "$(dirname "$root")"
show() { echo "+ $*"; "$@"; }
show node packages/core/dist/cli/main.js build "$recipe" --root "$root"
show chroot "$root" /usr/bin/id nobody
show chroot "$root" /usr/bin/getent hosts localhost
show chroot "$root" /usr/bin/ls /
show node packages/core/dist/cli/main.js build "$recipe" --root "$root"
echo "jail: $root -> $(readlink "$root")"
