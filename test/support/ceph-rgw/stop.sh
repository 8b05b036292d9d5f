#!/usr/bin/env bash
# Stops exactly the processes start.sh recorded in $CEPH_DIR/pids (radosgw, then the OSD, then the
# monitor), waiting for each, then removes $CEPH_DIR. Never matches processes by name.
set -uo pipefail
dir=${CEPH_DIR:?set CEPH_DIR to the folder start.sh used}
[ -f "$dir/pids" ] || exit 0
for name in rgw osd mon; do
  pid=$(awk -v n="$name" '$1 == n { print $2 }' "$dir/pids")
  [ -n "$pid" ] || continue
  kill "$pid" 2>/dev/null || continue
  for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
done
rm -rf "$dir"
