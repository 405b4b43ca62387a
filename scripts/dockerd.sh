#!/usr/bin/env bash
# Starts a private Docker engine for Berth's tests and development, and prints the DOCKER_HOST to use.
#   eval "$(bash scripts/dockerd.sh start)"    # exports DOCKER_HOST
#   bash scripts/dockerd.sh stop
# The engine keeps its state under $BERTH_DOCKER_RUN (default /tmp/berth-dockerd). It manages iptables as a stock
# engine does: that is what keeps one tenant's network from reaching another's (Docker's isolation chains).
set -euo pipefail
run=${BERTH_DOCKER_RUN:-/tmp/berth-dockerd}
sock="$run/docker.sock"

case "${1:-start}" in
  start)
    mkdir -p "$run"
    if docker -H "unix://$sock" version >/dev/null 2>&1; then echo "export DOCKER_HOST=unix://$sock"; exit 0; fi
    command -v dockerd >/dev/null || { echo "dockerd not found: apt-get install docker.io" >&2; exit 1; }
    nohup dockerd --storage-driver=overlay2 -H "unix://$sock" \
      --data-root "$run/root" --exec-root "$run/exec" --pidfile "$run/dockerd.pid" >"$run/dockerd.log" 2>&1 &
    for _ in $(seq 1 60); do
      docker -H "unix://$sock" version >/dev/null 2>&1 && { echo "export DOCKER_HOST=unix://$sock"; exit 0; }
      sleep 0.5
    done
    echo "dockerd did not start; see $run/dockerd.log" >&2
    tail -20 "$run/dockerd.log" >&2
    exit 1
    ;;
  stop)
    [ -f "$run/dockerd.pid" ] && kill "$(cat "$run/dockerd.pid")" 2>/dev/null || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
