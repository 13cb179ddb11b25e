#!/bin/sh
# Installs what the browser test (tests/e2e_browser.sh) needs and is
# missing: Debian's chromium, node and npm, and playwright-core (pinned
# in package.json and package-lock.json) in tests/browser/node_modules.
# Quiet when all is there. make test runs it first.
set -e
D=$(cd "$(dirname "$0")" && pwd)
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

apt_missing=
[ -x /usr/bin/chromium ] || apt_missing="$apt_missing chromium"
command -v node >/dev/null 2>&1 || apt_missing="$apt_missing nodejs"
command -v npm >/dev/null 2>&1 || apt_missing="$apt_missing npm"
if [ -n "$apt_missing" ]; then
	echo "installing for the browser test:$apt_missing"
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $apt_missing >/dev/null
fi

if [ ! -d "$D/node_modules/playwright-core" ]; then
	echo "installing playwright-core in tests/browser"
	cd "$D"
	npm install --no-audit --no-fund --loglevel=error
fi
