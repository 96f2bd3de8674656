#!/bin/bash
# Our majordomo-broker against the zguide's C reference broker, driven by the zguide's own C client
# and worker (100,000 requests each run). See README.md. Usage:
#   ZGUIDE=/path/to/zguide apps/bench/c-reference/compare.sh [rounds]   (from the repository root, after npm run build)
# FLOORS=1 adds two floors with no broker logic to every round: the bench's raw zeromq.js forwarder
# (raw) and the same forwarder over ZMTP written on node:net (zmtp), to show where the time goes.
set -euo pipefail
ROUNDS=${1:-3}
: "${ZGUIDE:?set ZGUIDE to a checkout of https://github.com/booksbyus/zguide}"
HERE=$(cd "$(dirname "$0")" && pwd)
OURS=${OURS:-$HERE/../../../packages/majordomo/dist/cli.js}
FORWARDER=$HERE/../dist/programs/forwarder.js
BROKERS="c ours"
[ "${FLOORS:-0}" = 1 ] && BROKERS="c ours raw zmtp"
PORT=5555 # the reference programs hard-code tcp://localhost:5555
BUILD=$(mktemp -d)
trap 'pkill -P $$ 2>/dev/null || true; rm -rf "$BUILD"' EXIT
for f in mdbroker.c mdworker.c mdclient.c mdclient2.c mdcliapi.c mdcliapi.h mdcliapi2.c mdcliapi2.h mdwrkapi.c mdwrkapi.h mdp.h; do cp "$ZGUIDE/examples/C/$f" "$BUILD/"; done
cp "$HERE/zctx_compat.h" "$BUILD/"
for p in mdbroker mdworker mdclient mdclient2; do gcc -O2 -I"$BUILD" -include zctx_compat.h "$BUILD/$p.c" -o "$BUILD/$p" -lczmq -lzmq; done

port_free() { ! ss -ltn | grep -q ":$PORT "; }
wait_until() { for _ in $(seq 200); do "$@" && return 0; sleep 0.05; done; return 1; }
run() { # run BROKER CLIENT: prints "wall_s broker_cpu_s"
  case "$1" in
    c) "$BUILD/mdbroker" >/dev/null 2>&1 & ;;
    # The async client queues 100,000 requests at once: raise our queue limits (the C broker has none).
    ours) node "$OURS" --bind "tcp://*:$PORT" --max-queued-per-client 100000 --max-queued-per-service 100000 --request-expiry 2147483647 >/dev/null 2>&1 & ;;
    raw) node "$FORWARDER" --protocol mdp --frontend "tcp://*:$PORT" >/dev/null 2>&1 & ;;
    zmtp) node "$FORWARDER" --protocol mdp --transport zmtp --frontend "tcp://*:$PORT" >/dev/null 2>&1 & ;;
  esac
  local broker=$!
  wait_until bash -c "ss -ltn | grep -q ':$PORT '"
  "$BUILD/mdworker" >/dev/null 2>&1 & local worker=$!
  sleep 0.5
  local cpu0 start end cpu1 out
  cpu0=$(awk '{print $14 + $15}' "/proc/$broker/stat")
  start=$(date +%s.%N); out=$(timeout -s KILL 120 "$BUILD/$2" 2>&1 || true); end=$(date +%s.%N)
  cpu1=$(awk '{print $14 + $15}' "/proc/$broker/stat")
  kill "$worker"; wait "$worker" 2>/dev/null || true
  kill -INT "$broker"; sleep 0.3; kill -9 "$broker" 2>/dev/null || true; wait "$broker" 2>/dev/null || true
  wait_until port_free
  case "$out" in *100000*) ;; *) echo "warning: $1 $2: $out" >&2 ;; esac
  printf "%.2f %.2f\n" "$(echo "$end - $start" | bc)" "$(echo "scale=2; ($cpu1 - $cpu0) / $(getconf CLK_TCK)" | bc)"
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A WALL CPU
for round in $(seq "$ROUNDS"); do
  for client in mdclient mdclient2; do
    for broker in $BROKERS; do
      read -r wall cpu < <(run "$broker" "$client")
      echo "round $round $client $broker: ${wall} s, broker CPU ${cpu} s" >&2
      WALL[$client,$broker]+=" $wall"; CPU[$client,$broker]+=" $cpu"
    done
  done
done
for client in mdclient mdclient2; do
  c=$(echo "${WALL[$client,c]}" | median)
  for broker in $BROKERS; do
    [ "$broker" = c ] && continue
    o=$(echo "${WALL[$client,$broker]}" | median)
    echo "$client: C $c s, $broker $o s (medians of $ROUNDS); speed $broker/C = $(echo "scale=2; $c / $o" | bc); broker CPU C$(echo "${CPU[$client,c]}"), $broker$(echo "${CPU[$client,$broker]}")"
  done
done
