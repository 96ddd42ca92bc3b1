#!/usr/bin/env bash
# Installs or upgrades siaga on Raspberry Pi OS / Debian bookworm (arm64, armhf).
#
#   sudo bash scripts/install-pi.sh            # from the unpacked project folder
#   bash scripts/install-pi.sh --dry-run       # print what it would do, change nothing
#
# Safe to rerun: an upgrade builds the new version beside the old one and swaps it in only when
# the build succeeded; the config in /etc/siaga is never overwritten.
# Downloads only from the apt repositories already configured and the npm registry.
set -euo pipefail

# Empty on a real machine; the test installs into a scratch tree to run this script for real.
ROOT="${SIAGA_INSTALL_ROOT:-}"
PREFIX="$ROOT/opt/siaga"
ETC="$ROOT/etc/siaga"
DATA="$ROOT/var/lib/siaga"
UNIT="$ROOT/etc/systemd/system/siaga.service"
WRAPPER="$ROOT/usr/local/bin/siaga"
SVC_USER=siaga
# systemd creates this directory when it is PID 1; a container or chroot has none. Overridable so
# the test can show both cases.
SYSTEMD_RUN_DIR="${SIAGA_SYSTEMD_RUN_DIR:-/run/systemd/system}"
MIN_NODE_MAJOR=20
APT_PACKAGES=(build-essential python3 gpiod sqlite3 ca-certificates)

DRY_RUN=0
for arg in "$@"; do
  case "$arg" in
    --dry-run | -n) DRY_RUN=1 ;;
    -h | --help)
      sed -n '2,10p' "$0"
      exit 0
      ;;
    *)
      echo "install-pi.sh: unknown option $arg (use --dry-run or --help)" >&2
      exit 64
      ;;
  esac
done

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
  printf 'install-pi.sh: %s\n' "$*" >&2
  exit 1
}

# run CMD…: runs it, or only prints it with --dry-run.
run() {
  if [ "$DRY_RUN" = 1 ]; then
    printf '    would run: %s\n' "$*"
  else
    printf '    $ %s\n' "$*"
    "$@"
  fi
}

[ -f "$SRC/package.json" ] || die "run me from the siaga project folder (no package.json in $SRC)"
[ -f "$SRC/scripts/siaga.service" ] || die "missing $SRC/scripts/siaga.service"

if [ "$DRY_RUN" = 1 ]; then
  say "dry run: nothing is changed (source: $SRC)"
elif [ "$(id -u)" -ne 0 ]; then
  die "run as root: sudo bash $0"
fi

# Known before anything changes, so a container install completes and says how to start siaga
# instead of ending on systemctl's own error.
if [ -d "$SYSTEMD_RUN_DIR" ]; then
  HAVE_SYSTEMD=1
else
  HAVE_SYSTEMD=0
  warn "systemd is not running here (a container or chroot?): siaga will be installed, but not enabled or started as a service; the steps at the end say how to run it"
fi

# --- 1. Node.js ≥ 20 ----------------------------------------------------------------------------
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
# Version apt would install for nodejs, or empty.
apt_node_major() {
  apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }' | sed -E 's/^[0-9]+://; s/[^0-9].*//'
}

say "Node.js >= $MIN_NODE_MAJOR"
if command -v node >/dev/null 2>&1 && [ "$(node_major)" -ge "$MIN_NODE_MAJOR" ]; then
  echo "    node $(node -v) at $(command -v node): fine"
else
  candidate="$(apt_node_major || true)"
  if [ -n "$candidate" ] && [ "$candidate" -ge "$MIN_NODE_MAJOR" ]; then
    run apt-get install -y --no-install-recommends nodejs npm
  else
    msg="Node.js >= $MIN_NODE_MAJOR is needed; the configured apt repositories offer ${candidate:-none}"
    msg="$msg (bookworm ships 18). Add an apt repository that carries Node $MIN_NODE_MAJOR (e.g. NodeSource's"
    msg="$msg nodejs 20.x for Debian, see https://github.com/nodesource/distributions), run"
    msg="$msg 'sudo apt-get install nodejs', then run this script again."
    if [ "$DRY_RUN" = 1 ]; then
      warn "$msg (a real run stops here)"
    else
      die "$msg"
    fi
  fi
fi
NODE_BIN="$(command -v node || echo /usr/bin/node)"
if ! command -v npm >/dev/null 2>&1; then
  run apt-get install -y --no-install-recommends npm
fi

# --- 2. apt packages ----------------------------------------------------------------------------
say "apt packages: ${APT_PACKAGES[*]}"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # shellcheck disable=SC2016 # ${Status} is dpkg-query's field, not a shell variable
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  # Only touch the network when something is missing: the signal may be weak.
  run apt-get update
  run apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "    all installed"
fi

# --- 3. user siaga ------------------------------------------------------------------------------
say "user $SVC_USER (groups dialout, gpio)"
if id -u "$SVC_USER" >/dev/null 2>&1; then
  echo "    user $SVC_USER exists"
else
  run useradd --system --user-group --home-dir "$DATA" --no-create-home \
    --shell /usr/sbin/nologin --comment "siaga gateway" "$SVC_USER"
fi
for group in dialout gpio; do
  if ! getent group "$group" >/dev/null 2>&1; then
    # The unit names both in SupplementaryGroups=; a missing group would stop it from starting.
    warn "group $group does not exist here (not Raspberry Pi OS?): creating it; /dev/gpiochip* may need a udev rule to belong to it"
    run groupadd --system "$group"
  fi
  run usermod -aG "$group" "$SVC_USER"
done
# The technician who ran this (sudo) may then use `siaga status`, `nodes`, `tail` and `siren`
# without sudo: the database and the control socket are group siaga (after logging in again).
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id "$SUDO_USER" >/dev/null 2>&1; then
  run usermod -aG "$SVC_USER" "$SUDO_USER"
fi

# --- 4. directories -----------------------------------------------------------------------------
say "directories $ETC (0750 root:$SVC_USER) and $DATA (0750 $SVC_USER:$SVC_USER)"
run install -d -m 0750 -o root -g "$SVC_USER" "$ETC"
run install -d -m 0750 -o "$SVC_USER" -g "$SVC_USER" "$DATA"

# --- 5. the program -----------------------------------------------------------------------------
# Built in $PREFIX.new and swapped in only when complete: a failed upgrade leaves the old version.
say "program in $PREFIX (from $SRC)"
STAGE="$PREFIX.new"
run rm -rf "$STAGE"
run install -d -m 0755 "$STAGE"
if [ "$DRY_RUN" = 1 ]; then
  echo "    would copy $SRC to $STAGE (without node_modules, dist, .git)"
else
  tar -C "$SRC" --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./coverage \
    -cf - . | tar -C "$STAGE" -xf -
  chown -R root:root "$STAGE"
fi
if [ -f "$SRC/tsconfig.json" ] && [ -d "$SRC/src" ]; then
  # The TypeScript build needs the dev dependencies: install all, build, then drop them.
  run npm --prefix "$STAGE" ci --no-audit --no-fund
  run npm --prefix "$STAGE" run build
  run npm --prefix "$STAGE" prune --omit=dev --no-audit --no-fund
elif [ -d "$SRC/dist" ]; then
  # A packed release (npm pack): already built, only the runtime dependencies.
  [ "$DRY_RUN" = 1 ] || cp -a "$SRC/dist" "$STAGE/dist"
  if [ -f "$SRC/package-lock.json" ]; then
    run npm --prefix "$STAGE" ci --omit=dev --no-audit --no-fund
  else
    run npm --prefix "$STAGE" install --omit=dev --no-audit --no-fund
  fi
else
  die "$SRC has neither sources (src/, tsconfig.json) nor a build (dist/)"
fi
if [ "$DRY_RUN" = 1 ]; then
  echo "    would check that $STAGE/dist/bin/siaga.js runs (--version)"
else
  "$NODE_BIN" "$STAGE/dist/bin/siaga.js" --version >/dev/null ||
    die "the new build does not start; the installed version (if any) is unchanged"
fi
if [ -d "$PREFIX" ]; then
  run rm -rf "$PREFIX.old"
  run mv "$PREFIX" "$PREFIX.old"
fi
run mv "$STAGE" "$PREFIX"
# $PREFIX.old stays until the service has been restarted on the new version (step 8).

# --- 6. config (never overwritten) --------------------------------------------------------------
say "config $ETC/siaga.yaml"
if [ -f "$ETC/siaga.yaml" ]; then
  echo "    $ETC/siaga.yaml exists: kept as it is"
else
  run install -m 0640 -o root -g "$SVC_USER" "$SRC/config/siaga.example.yaml" "$ETC/siaga.yaml"
fi

# --- 7. wrapper and unit ------------------------------------------------------------------------
say "command $WRAPPER and systemd unit $UNIT (siaga.service)"
if [ "$DRY_RUN" = 1 ]; then
  echo "    would write $WRAPPER: exec $NODE_BIN $PREFIX/dist/bin/siaga.js \"\$@\""
  echo "    would install $SRC/scripts/siaga.service as $UNIT (ExecStart with $NODE_BIN)"
else
  cat >"$WRAPPER.tmp" <<EOF
#!/bin/sh
# siaga command line; written by scripts/install-pi.sh
: "\${SIAGA_CONFIG:=$ETC/siaga.yaml}"
export SIAGA_CONFIG
exec $NODE_BIN $PREFIX/dist/bin/siaga.js "\$@"
EOF
  chmod 0755 "$WRAPPER.tmp"
  mv "$WRAPPER.tmp" "$WRAPPER"
  sed "s#^ExecStart=/usr/bin/node #ExecStart=$NODE_BIN #" "$SRC/scripts/siaga.service" >"$UNIT.tmp"
  chmod 0644 "$UNIT.tmp"
  mv "$UNIT.tmp" "$UNIT"
fi
if [ "$HAVE_SYSTEMD" = 1 ]; then
  run systemctl daemon-reload
  run systemctl enable siaga.service
else
  echo "    no systemd: $UNIT written for later, systemctl daemon-reload and enable skipped"
fi

# --- 8. start only with a valid config ----------------------------------------------------------
say "config check (as user $SVC_USER)"
if [ "$DRY_RUN" = 1 ]; then
  echo "    would run: runuser -u $SVC_USER -- $WRAPPER config check -c $ETC/siaga.yaml"
  if [ "$HAVE_SYSTEMD" = 1 ]; then
    echo "    would (re)start siaga.service only if that passes"
  else
    echo "    would not start it: no systemd"
  fi
  started=dry
elif runuser -u "$SVC_USER" -- "$WRAPPER" config check -c "$ETC/siaga.yaml"; then
  if [ "$HAVE_SYSTEMD" = 0 ]; then
    echo "    config valid; not started: no systemd here"
    started=manual
  elif systemctl is-active --quiet siaga.service; then
    run systemctl restart siaga.service
  else
    run systemctl start siaga.service
  fi
  started=yes
else
  if [ "$HAVE_SYSTEMD" = 1 ]; then
    warn "the config is not valid yet: siaga is enabled but NOT started"
  else
    warn "the config is not valid yet (fix it, then run siaga by hand as below)"
  fi
  started=no
fi
run rm -rf "$PREFIX.old"

if [ "$HAVE_SYSTEMD" = 1 ]; then
  start_step="sudo systemctl restart siaga && journalctl -u siaga -f"
else
  start_step="sudo -u $SVC_USER $WRAPPER run -c $ETC/siaga.yaml   (no systemd here: in the foreground, or from your container's init)"
fi
cat <<EOF

siaga is installed in $PREFIX (command $WRAPPER, user $SVC_USER).
Next steps:
  1. Edit the config:            sudo nano $ETC/siaga.yaml   (or write one: sudo siaga init -o $ETC/siaga.yaml --force)
     secrets as files, e.g.:     sudo install -m 0640 -o root -g $SVC_USER /dev/null $ETC/uplink.pass
     broker user passwords:      siaga passwd
  2. Check it:                   siaga config check
  3. Check the machine:          sudo -u $SVC_USER siaga doctor
  4. Start and watch:            $start_step
  5. Is it working?              siaga status
EOF
[ "$started" = yes ] && echo "(the gateway was started; siaga status shows it)"
[ "$HAVE_SYSTEMD" = 0 ] && echo "(systemd is not running here, so siaga was installed but not started as a service; $UNIT is ready for a machine that has it)"
exit 0
