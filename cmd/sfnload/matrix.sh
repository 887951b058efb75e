#!/usr/bin/env bash
# The HTTP benchmark matrix of BENCHMARKS.md ("HTTP API", "Tasks"): each
# load against a fresh `sfn serve`, on the in-memory store and on a private
# redis-server (appendonly yes, appendfsync everysec, its own data folder).
# Usage: cmd/sfnload/matrix.sh [memory|redis ...]   (make bench-http)
# Needs redis-server on PATH for the Redis runs; wrk, when installed, adds
# a starts run whose load generator costs less CPU than sfnload's.
set -euo pipefail
cd "$(dirname "$0")/../.."
stores=("${@:-memory}")
[ $# -eq 0 ] && stores=(memory redis)
work=$(mktemp -d)
go build -o "$work/sfn" ./cmd/sfn
go build -o "$work/sfnload" ./cmd/sfnload
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# serve STORE: starts redis (for redis) and sfn serve; sets $base and $rport.
serve() {
  local args=()
  rport=""
  if [ "$1" = redis ]; then
    rport=$(free_port)
    rm -rf "$work/redis" && mkdir -p "$work/redis"
    redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly yes --appendfsync everysec \
      --dir "$work/redis" --logfile "$work/redis/log" & pids+=($!)
    until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done
    args=(--redis-url "redis://127.0.0.1:$rport/0")
  fi
  local port; port=$(free_port)
  base="http://127.0.0.1:$port"
  "$work/sfn" serve --addr "127.0.0.1:$port" --log-level warn "${args[@]}" 2>>"$work/serve.log" & pids+=($!)
  until curl -sf "$base/readyz" >/dev/null; do sleep 0.1; done
}

# unserve stops this run's sfn and redis.
unserve() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
}

run() { # run STORE TITLE sfnload-args...
  local store=$1 title=$2; shift 2
  serve "$store"
  echo; echo "#### $title, $store ($(uptime | sed 's/.*load average/load average/'))"
  echo "\$ sfnload $* --server $base"
  "$work/sfnload" "$@" --server "$base" || true
  if [ -n "$rport" ]; then redis-cli -p "$rport" info cpu | grep -E 'used_cpu_(sys|user)_main_thread'; fi
  unserve
}

echo "### $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(go version | cut -d' ' -f3), $(redis-server --version | cut -d' ' -f3)"
for s in "${stores[@]}"; do
  run "$s" "starts, 64 connections" starts --conns 64 --duration 10s
  if command -v wrk >/dev/null; then
    serve "$s"
    echo; echo "#### starts, wrk -t1 -c64, $s ($(uptime | sed 's/.*load average/load average/'))"
    curl -sf -X PUT --data-binary '{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}' "$base/v1/state-machines/wrk" >/dev/null
    printf 'wrk.method = "POST"\nwrk.body = %s\nwrk.headers["Content-Type"] = "application/json"\n' "'{\"input\":{\"n\":1}}'" >"$work/start.lua"
    wrk -t1 -c64 -d1s -s "$work/start.lua" "$base/v1/state-machines/wrk/executions" >/dev/null
    wrk -t1 -c64 -d10s -s "$work/start.lua" --latency "$base/v1/state-machines/wrk/executions"
    unserve
  fi
  run "$s" "HTTP tasks, 256 executions x 50 tasks" http-tasks --executions 256 --tasks 50 --duration 10s
  run "$s" "HTTP tasks, 256 executions x 1 task" http-tasks --executions 256 --duration 10s
  run "$s" "activities, 16 workers, 256 executions x 20 tasks" activities --workers 16 --inflight 256 --tasks 20 --duration 10s
  run "$s" "activities, 16 workers, 256 executions x 1 task" activities --workers 16 --inflight 256 --duration 10s
done
