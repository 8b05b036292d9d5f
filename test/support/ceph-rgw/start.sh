#!/usr/bin/env bash
# Starts a throw-away Ceph cluster that only listens on 127.0.0.1 and keeps its data in RAM:
# one monitor, one OSD on memstore and one RADOS Gateway (S3 with versioning and Object Lock).
# It is the real Object Lock server the S3 compatibility tests run against
# (test/integration/stores/s3-object-lock-rgw.test.ts).
#
#   CEPH_DIR=/tmp/x MON_PORT=13300 RGW_PORT=17480 test/support/ceph-rgw/start.sh
#
# Writes $CEPH_DIR/pids ("<name> <pid>" per line: exactly the processes this script started, for
# stop.sh) and $CEPH_DIR/endpoint. Prints the S3 endpoint on its last line.
# Needs the Debian packages: ceph-mon ceph-osd radosgw ceph-common.
set -euo pipefail

dir=${CEPH_DIR:?set CEPH_DIR to an empty or missing folder}
mon_port=${MON_PORT:-13300}
rgw_port=${RGW_PORT:-17480}
access_key=${RGW_ACCESS_KEY:-ACCESSPROOFTEST0001}
secret_key=${RGW_SECRET_KEY:-accessproof-test-secret-0000000000000001}

if [ -e "$dir/pids" ]; then
  echo "start.sh: $dir/pids exists: a cluster from this folder may still run (stop.sh first)" >&2
  exit 1
fi
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool; do
  command -v "$tool" >/dev/null || { echo "start.sh: $tool is not installed" >&2; exit 3; }
done
mkdir -p "$dir"/{run,log,mon,osd,rgw}
: >"$dir/pids"
conf=$dir/ceph.conf
fsid=$(cat /proc/sys/kernel/random/uuid)

# On any failure, stop what was started so far: nothing is left running.
trap 'status=$?; if [ $status -ne 0 ]; then "$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true; fi' EXIT

# cephx off (auth none) requires the messenger in crc mode, or the monitor refuses clients.
# One OSD: pools of size 1. Logs and sockets stay inside $dir.
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$mon_port
public addr = 127.0.0.1
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = false
ms bind msgr1 = false
ms mon client mode = crc
ms client mode = crc
run dir = $dir/run
admin socket = $dir/run/\$name.asok
log file = $dir/log/\$name.log
pid file = $dir/run/\$name.pid
keyring = $dir/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 460
osd max object namespace len = 64
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port
rgw data = $dir/rgw
rgw dns name = localhost
rgw enable usage log = false
CONF
export CEPH_CONF=$conf
ceph_cli() { ceph -c "$conf" --connect-timeout 20 "$@"; }
wait_for() { # seconds, command…
  local tries=$1; shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  return 1
}
record() { # name pidfile
  wait_for 60 test -s "$2" || { echo "start.sh: $1 did not start (see $dir/log)" >&2; exit 1; }
  echo "$1 $(cat "$2")" >>"$dir/pids"
}

ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$dir/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
  --cap mgr 'allow *' >/dev/null
monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" -i a --mkfs --monmap "$dir/monmap" --keyring "$dir/keyring"
ceph-mon -c "$conf" -i a
record mon "$dir/run/mon.a.pid"
wait_for 30 ceph_cli -s || { echo "start.sh: the monitor does not answer" >&2; exit 1; }

osd_uuid=$(cat /proc/sys/kernel/random/uuid)
osd_id=$(ceph_cli osd new "$osd_uuid")
ceph-osd -c "$conf" -i "$osd_id" --mkfs --osd-uuid "$osd_uuid" >"$dir/log/osd-mkfs.log" 2>&1
ceph_cli osd crush add-bucket localhost host >/dev/null 2>&1
ceph_cli osd crush move localhost root=default >/dev/null 2>&1
ceph_cli osd crush add "osd.$osd_id" 1.0 host=localhost >/dev/null 2>&1
ceph-osd -c "$conf" -i "$osd_id" >>"$dir/log/osd-start.log" 2>&1
record osd "$dir/run/osd.$osd_id.pid"
osd_up() { ceph_cli osd stat | grep -q '1 up'; }
wait_for 60 osd_up || { echo "start.sh: the OSD did not come up" >&2; exit 1; }

radosgw -c "$conf" -n client.rgw.a
record rgw "$dir/run/client.rgw.a.pid"
endpoint="http://127.0.0.1:$rgw_port"
wait_for 120 curl -sf -o /dev/null "$endpoint/" || { echo "start.sh: radosgw does not answer" >&2; exit 1; }
radosgw-admin -c "$conf" user create --uid=accessproof --display-name="AccessProof tests" \
  --access-key="$access_key" --secret="$secret_key" >/dev/null
echo "$endpoint" >"$dir/endpoint"
echo "$endpoint"
