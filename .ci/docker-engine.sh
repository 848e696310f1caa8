#!/usr/bin/env bash
# A Docker engine for the image tests: `start` installs docker.io and debootstrap when missing and
# starts dockerd unless an engine already answers; `stop` stops only a dockerd that `start` started.
# Never fails the caller: without an engine the image tests skip and say why.
set -uo pipefail

state_dir="${TMPDIR:-/tmp}/ecs-cloudmap-consul-dockerd"
pid_file="$state_dir/pid"
log_file="$state_dir/dockerd.log"

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

install_packages() {
  if command -v dockerd >/dev/null && command -v debootstrap >/dev/null && command -v docker >/dev/null; then return 0; fi
  if [[ $(id -u) != 0 ]]; then echo "docker-engine: not root, cannot install docker.io/debootstrap"; return 1; fi
  echo "docker-engine: installing docker.io and debootstrap"
  apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null &&
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq docker.io debootstrap >/dev/null
}

# Waits up to 60 s for the engine; fails early when dockerd exited.
wait_for_engine() {
  local pid=$1
  for _ in $(seq 1 60); do
    engine_answers && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 1
  done
  return 1
}

start() {
  if engine_answers; then echo "docker-engine: an engine already answers; using it"; return 0; fi
  install_packages || { echo "docker-engine: could not install the packages; image tests will skip"; return 0; }
  # The package's own init script may have started one.
  if engine_answers; then echo "docker-engine: an engine answers after the install; using it"; return 0; fi
  mkdir -p "$state_dir"
  # overlay2 first (the default); vfs when the kernel or filesystem refuses overlay mounts.
  for driver in "" "vfs"; do
    local args=()
    [[ -n $driver ]] && args+=(--storage-driver "$driver")
    dockerd "${args[@]}" >"$log_file" 2>&1 &
    local pid=$!
    echo "$pid" >"$pid_file"
    if wait_for_engine "$pid"; then
      echo "docker-engine: dockerd ${args[*]:-(defaults)} is up (pid $pid)"
      return 0
    fi
    echo "docker-engine: dockerd ${args[*]:-(defaults)} did not come up; last lines of its log:"
    tail -n 5 "$log_file" | sed 's/^/  /'
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rm -f "$pid_file"
  done
  echo "docker-engine: no engine could be started; image tests will skip"
  return 0
}

stop() {
  [[ -f $pid_file ]] || return 0
  local pid
  pid=$(cat "$pid_file")
  rm -f "$pid_file"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || { echo "docker-engine: dockerd stopped"; return 0; }
    sleep 1
  done
  kill -9 "$pid" 2>/dev/null
  echo "docker-engine: dockerd killed after 30 s"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
