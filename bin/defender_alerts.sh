#!/bin/sh
# Launcher for TA-microsoft-defender (contract §2). splunkd runs bin/<name>.sh; this finds a Node.js >= 20 and execs
# it on bin/lib/<name>.cjs with the same arguments, so node is the process splunkd signals and reads.
# Order: the runtime bundled in the app, then `node` on PATH, then $SPLUNK_HOME/bin/node.
# Uses shell built-ins only, so it works with any PATH.
MIN_NODE_MAJOR=20
case "$0" in
  */*) BIN_DIR=${0%/*} ;;
  *) BIN_DIR=. ;;
esac
APP_DIR=$BIN_DIR/..
NAME=${0##*/}
NAME=${NAME%.sh}
BUNDLE=$BIN_DIR/lib/$NAME.cjs

# `node --version` prints before the JavaScript engine starts (a few ms, against ~30 ms for `node -e`): splunkd
# runs the launcher at every start for --scheme, and on every interval.
suitable() {
  [ -n "$1" ] && [ -x "$1" ] || return 1
  version=$("$1" --version 2>/dev/null) || return 1
  major=${version#v}
  major=${major%%.*}
  case $major in
    ''|*[!0-9]*) return 1 ;;
  esac
  [ "$major" -ge "$MIN_NODE_MAJOR" ]
}

find_on_path() {
  old_ifs=$IFS
  IFS=:
  for dir in $PATH; do
    if [ -n "$dir" ] && [ -x "$dir/node" ] && [ ! -d "$dir/node" ]; then
      IFS=$old_ifs
      echo "$dir/node"
      return 0
    fi
  done
  IFS=$old_ifs
  return 1
}

NODE=
if suitable "$APP_DIR/linux_x86_64/bin/node"; then
  NODE=$APP_DIR/linux_x86_64/bin/node
else
  # A node that is not Splunk's must not load Splunk's libraries (splunkd sets LD_LIBRARY_PATH to $SPLUNK_HOME/lib).
  saved_ld=$LD_LIBRARY_PATH
  unset LD_LIBRARY_PATH
  candidate=$(find_on_path)
  if suitable "$candidate"; then
    NODE=$candidate
  else
    LD_LIBRARY_PATH=$saved_ld
    [ -n "$saved_ld" ] && export LD_LIBRARY_PATH
    if [ -n "$SPLUNK_HOME" ] && suitable "$SPLUNK_HOME/bin/node"; then
      NODE=$SPLUNK_HOME/bin/node
    fi
  fi
fi

if [ -z "$NODE" ]; then
  echo "ERROR message=\"No suitable Node.js runtime found; install Node >= $MIN_NODE_MAJOR or the bundled runtime\" script=$NAME" >&2
  exit 1
fi
# --optimize-for-size: V8 otherwise grows its heap to a share of the machine's memory before collecting; with it, a
# million-alert backfill peaks near 100 MB instead of 200 MB (bench/RESULTS.md), at no measurable cost in speed.
exec "$NODE" --optimize-for-size "$BUNDLE" "$@"
