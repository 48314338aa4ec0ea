#!/usr/bin/env bash
# A Debian 13 "trixie" arm64 root for checking gatecast on the screens' architecture from any
# machine: made with debootstrap and, on a non-arm64 host, run through qemu-user-static (binfmt_misc).
# Inside the root everything comes from Debian's arm64 packages (nodejs, npm, python3, make, g++,
# chromium) and npm's arm64 packages; nothing from the host is copied in but the
# project's sources.
#
#   scripts/arm64-root.sh create [DIR]                      make the root (skips debootstrap when done)
#   scripts/arm64-root.sh sync [DIR]                        copy the sources in, npm ci if the lock
#                                                           changed, build
#   scripts/arm64-root.sh run [--no-sync] [--out HOSTDIR] [DIR] -- CMD...
#                                                           sync, then CMD in the project copy; HOSTDIR
#                                                           (default /var/tmp/gatecast-arm64-out) is /out
#   scripts/arm64-root.sh check [DIR]                       the whole check, each step timed
#
# DIR defaults to /var/tmp/gatecast-arm64-root (outside the repository). Needs root; re-runs itself
# through sudo otherwise. On an aarch64 host the same steps run without qemu. See docs/arm64.md.
set -euo pipefail

SUITE=trixie
MIRROR=${GATECAST_ARM64_MIRROR:-http://deb.debian.org/debian}
DEFAULT_DIR=/var/tmp/gatecast-arm64-root
DEFAULT_OUT=/var/tmp/gatecast-arm64-out
PROJECT=/gatecast # the project's copy inside the root
# What the check needs: Node and npm, the toolchain for native modules without an arm64 prebuild,
# Chromium for the player, and ffmpeg (ffprobe) because the demo's server checks and normalises
# the sample bundle's video when it drafts it. (The gates' fonts and poppler from scripts/setup.sh
# are left out: nothing the check runs uses them, and each package costs minutes of dpkg under
# emulation.)
ROOT_PACKAGES=(nodejs npm python3 make g++ chromium ffmpeg)
MARKER=.gatecast-arm64-root              # written before debootstrap: this script made the folder
DEBOOTSTRAPPED=.gatecast-debootstrap-done # written after debootstrap succeeded
PACKAGES_STAMP=.gatecast-packages         # the package list installed last
HOST_CAS=/etc/ssl/gatecast-host-cas.pem    # inside the root: the host's locally added CAs
# Inside the root, only under qemu-user: flags Debian's /usr/bin/chromium adds to every start (it
# sources /etc/chromium.d/*). gatecast's own launch flags (player/browser/launch-args.ts) are the
# Pi's and stay as they are; on an aarch64 host the file is removed.
#   --no-zygote: the zygote CHECKs that it is single-threaded before forking
#     (sandbox::ThreadHelpers::IsSingleThreaded() in content/zygote/zygote_main_linux.cc), and
#     under qemu-user every process has a second thread, qemu's own (an aarch64 `sh` in the root
#     shows "Threads: 2" in /proc/self/status). The zygotes die with SIGTRAP ("qemu: uncaught
#     target signal 5"), the GPU process cannot start through them and the browser aborts ("GPU
#     process isn't usable. Goodbye."). --no-sandbox alone does not avoid it; without the zygote
#     children are started by fork+exec and the check is never reached. See docs/arm64.md.
#   --ipc-connection-timeout: a child that has no IPC connection from the browser within 15 s
#     ends itself ("Terminating current process after 15 seconds with no connection"), which
#     under emulation on a loaded host happens to the network service.
EMULATED_CHROMIUM_FLAGS=/etc/chromium.d/gatecast-qemu-user
EMULATED_CHROMIUM_FLAG_LIST='--no-zygote --ipc-connection-timeout=600'
# The daemon start's limit: 900 s natively, 3600 s under qemu-user (see below).
DAEMON_START_TIMEOUT_S=${GATECAST_ARM64_DAEMON_TIMEOUT_S:-}
# Under qemu a DevTools call to Chromium can take minutes (15 s on a Pi): see daemon-start-check.mjs.
# On the loaded 2-core x86_64 machine Chromium in the root took 518 s to print the DOM of a
# one-line page, and the player page's Page.enable did not answer within 600 s (docs/arm64.md).
EMULATED_PROTOCOL_TIMEOUT_S=${GATECAST_ARM64_PROTOCOL_TIMEOUT_S:-1200}

SCRIPT=$(realpath "$0")
REPO=$(cd "$(dirname "$SCRIPT")/.." && pwd)

usage() {
  sed -n '2,17p' "$SCRIPT" | sed 's/^# \{0,1\}//'
  exit 2
}
die() {
  echo "arm64-root: $*" >&2
  exit 1
}
native() { [ "$(uname -m)" = aarch64 ]; }

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "needs root (debootstrap, chroot, mounts) and sudo is not installed"
  exec sudo -- bash "$SCRIPT" "$@"
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The host's part: debootstrap and, unless the host is arm64, qemu-user-static through binfmt_misc.
host_setup() {
  local want=(debootstrap) missing=() p
  native || want+=(qemu-user-static binfmt-support)
  for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing on the host from Debian's packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  native && return 0
  local bm=/proc/sys/fs/binfmt_misc
  [ -e "$bm/status" ] || mount -t binfmt_misc binfmt_misc "$bm"
  if ! grep -qx enabled "$bm/qemu-aarch64" 2>/dev/null; then
    update-binfmts --enable qemu-aarch64 || true
  fi
  grep -qx enabled "$bm/qemu-aarch64" 2>/dev/null ||
    die "qemu-aarch64 is not enabled in binfmt_misc (update-binfmts --enable qemu-aarch64 did not do it)"
  # F (fix binary): the kernel opens the host's qemu when the entry is registered, so the root needs
  # no copy of it (an x86 binary) inside.
  grep -q '^flags:.*F' "$bm/qemu-aarch64" ||
    die "the qemu-aarch64 binfmt entry lacks the F flag; Debian's qemu-user-static registers it with F"
}

# --- mounts: /proc, /sys, /dev and /out for the time of one command, undone on any exit -------------
MOUNTED_ROOT=''
mount_root() {
  local dir=$1 out=${2:-}
  MOUNTED_ROOT=$dir
  trap 'umount_root' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  mountpoint -q "$dir/proc" || mount -t proc proc "$dir/proc"
  if ! mountpoint -q "$dir/sys"; then
    mount --rbind /sys "$dir/sys"
    mount --make-rslave "$dir/sys"
  fi
  if ! mountpoint -q "$dir/dev"; then
    mount --rbind /dev "$dir/dev"
    mount --make-rslave "$dir/dev"
  fi
  if [ -n "$out" ]; then
    mkdir -p "$out" "$dir/out"
    mountpoint -q "$dir/out" || mount --bind "$out" "$dir/out"
  fi
  rm -f "$dir/etc/resolv.conf"
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
  emulated_chromium_flags "$dir"
  # Certificates the host's administrator added (e.g. for a TLS-inspecting proxy in front of the npm
  # registry): Node in the root trusts them too (NODE_EXTRA_CA_CERTS, see in_root).
  local cas=(/usr/local/share/ca-certificates/*.crt)
  if [ -e "${cas[0]}" ]; then
    cat "${cas[@]}" >"$dir$HOST_CAS"
  else
    rm -f "$dir$HOST_CAS"
  fi
}
# The Chromium flags that only emulation needs (see EMULATED_CHROMIUM_FLAGS), written when the
# root runs under qemu-user and removed on an aarch64 host.
emulated_chromium_flags() {
  local dir=$1
  if native; then
    rm -f "$dir$EMULATED_CHROMIUM_FLAGS"
  elif [ -d "$dir/etc/chromium.d" ]; then
    printf '%s\n' '# Written by gatecast scripts/arm64-root.sh: this root runs under qemu-user (see the script).' \
      "export CHROMIUM_FLAGS=\"\$CHROMIUM_FLAGS $EMULATED_CHROMIUM_FLAG_LIST\"" >"$dir$EMULATED_CHROMIUM_FLAGS"
  fi
}
umount_root() {
  local dir=$MOUNTED_ROOT m
  [ -n "$dir" ] || return 0
  for m in out dev sys proc; do
    if mountpoint -q "$dir/$m"; then
      umount -R "$dir/$m" 2>/dev/null || umount -R -l "$dir/$m" || echo "arm64-root: could not unmount $dir/$m" >&2
    fi
  done
  MOUNTED_ROOT=''
}

# One command inside the root (mounted), in the project copy, with a clean environment.
in_root() {
  local dir=$1 cwd=$2
  shift 2
  local env=(HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  local v
  for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    [ -z "${!v:-}" ] || env+=("$v=${!v}")
  done
  [ ! -f "$dir$HOST_CAS" ] || env+=("NODE_EXTRA_CA_CERTS=$HOST_CAS")
  # Without fd 9 (the lock): a process left behind in the root must not keep the root locked.
  chroot "$dir" /usr/bin/env -i "${env[@]}" /bin/bash -c 'cd "$1" && shift && exec "$@"' bash "$cwd" "$@" 9>&-
}

# Serialises commands on one root (the mounts are shared).
lock_root() {
  exec 9>"$1.lock"
  flock 9
}

check_dir() {
  local dir=$1
  case "$dir" in /*) ;; *) die "DIR must be an absolute path (got $dir)" ;; esac
  [ "$dir" != / ] || die "DIR must not be /"
  case "$dir/" in "$REPO"/*) die "DIR must be outside the repository ($REPO), or npm and git would see it" ;; esac
}

create() {
  local dir=$1 want
  check_dir "$dir"
  host_setup
  lock_root "$dir"
  if [ -f "$dir/$DEBOOTSTRAPPED" ]; then
    echo "root $dir: debootstrap done before ($(cat "$dir/$DEBOOTSTRAPPED")), skipped"
  else
    if [ -e "$dir" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
      [ -f "$dir/$MARKER" ] || die "$dir exists, is not empty and was not made by this script; nothing was deleted"
      grep -q " $dir/" /proc/mounts && die "something is still mounted under $dir; unmount it first"
      echo "root $dir: an earlier debootstrap did not finish; starting again"
      rm -rf --one-file-system "$dir"
    fi
    mkdir -p "$dir"
    echo "made by scripts/arm64-root.sh (gatecast); safe to delete" >"$dir/$MARKER"
    debootstrap --arch=arm64 --variant=minbase --include=ca-certificates "$SUITE" "$dir" "$MIRROR"
    echo "$SUITE arm64 from $MIRROR, $(date -u +%FT%TZ)" >"$dir/$DEBOOTSTRAPPED"
  fi
  want="${ROOT_PACKAGES[*]}"
  if [ "$(cat "$dir/$PACKAGES_STAMP" 2>/dev/null)" = "$want" ]; then
    echo "root $dir: packages installed before, skipped"
  else
    # A throwaway root: dpkg need not fsync each file (minutes saved under emulation).
    echo force-unsafe-io >"$dir/etc/dpkg/dpkg.cfg.d/gatecast-unsafe-io"
    mount_root "$dir"
    # An earlier install cut short leaves dpkg half-way: finish that first (nothing to do otherwise).
    in_root "$dir" / dpkg --configure -a
    in_root "$dir" / apt-get update -qq
    in_root "$dir" / apt-get install -y -qq --fix-broken --no-install-recommends "${ROOT_PACKAGES[@]}"
    umount_root
    echo "$want" >"$dir/$PACKAGES_STAMP"
  fi
  mount_root "$dir"
  in_root "$dir" / node -e '
    const [a, b] = process.versions.node.split(".").map(Number);
    console.log(`root: node ${process.version} on ${process.arch}, npm from Debian`);
    if (process.arch !== "arm64") { console.error("not arm64: " + process.arch); process.exit(1); }
    if (!(a > 20 || (a === 20 && b >= 17))) { console.error("Node older than 20.17"); process.exit(1); }'
  umount_root
}

# The files that make the project: tracked and untracked-but-not-ignored files when this is a git
# checkout (never node_modules or dist, even as symlinks), else everything but those.
source_files() (
  cd "$REPO"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    local f
    git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
      case "$f" in node_modules | node_modules/* | dist | dist/* | .demo/* | bench/out/*) continue ;; esac
      [ -f "$f" ] || [ -L "$f" ] || continue
      printf '%s\0' "$f"
    done
  else
    find . -path ./node_modules -prune -o -path ./dist -prune -o -path ./.git -prune -o -path ./.demo -prune \
      -o -path ./bench/out -prune -o \( -type f -o -type l \) -printf '%P\0'
  fi
)

# Copies the sources into $dir$PROJECT (keeping node_modules), then npm ci when the lock file
# differs from the one installed, then builds when the sources differ from the last build.
# SYNC_FORCE=1 (check) runs npm ci and the build whatever the stamps say.
sync_sources() {
  local dir=$1 project=$1$PROJECT list sum
  list=$(mktemp)
  source_files >"$list"
  sum=$(cd "$REPO" && xargs -0 sha256sum <"$list" | sha256sum | cut -d' ' -f1)
  mkdir -p "$project"
  if [ "${SYNC_FORCE:-0}" != 1 ] && [ -d "$project/dist" ] &&
    [ "$(cat "$project/.gatecast-sources-sha256" 2>/dev/null)" = "$sum" ]; then
    echo "sources unchanged since the last build in the root"
    rm -f "$list"
    return 0
  fi
  find "$project" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  (cd "$REPO" && tar --null -T "$list" -cf -) | tar -xf - --no-same-owner -C "$project"
  rm -f "$list"
  echo "copied $(find "$project" -path "$project/node_modules" -prune -o -type f -print | wc -l) files to $project"
  [ "${SYNC_COPY_ONLY:-0}" = 1 ] && return 0
  local lock
  lock=$(sha256sum <"$project/package-lock.json" | cut -d' ' -f1)
  mount_root "$dir"
  if [ "${SYNC_FORCE:-0}" = 1 ] || [ "$(cat "$project/node_modules/.gatecast-lock-sha256" 2>/dev/null)" != "$lock" ]; then
    npm_ci_in_root "$dir"
  fi
  in_root "$dir" "$PROJECT" bash -c 'rm -rf dist && npm run build --silent'
  umount_root
  echo "$sum" >"$project/.gatecast-sources-sha256"
}

# npm ci in the root's copy without the project's `prepare` (the build), which the caller runs as
# a step of its own: together they are what a plain `npm ci` does. The copy's package.json is put
# back afterwards; the host's is never touched.
npm_ci_in_root() {
  local dir=$1
  cp "$dir$PROJECT/package.json" "$dir$PROJECT/.package.json.orig"
  in_root "$dir" "$PROJECT" npm pkg delete scripts.prepare
  local rc=0
  in_root "$dir" "$PROJECT" npm ci --no-audit --no-fund || rc=$?
  mv "$dir$PROJECT/.package.json.orig" "$dir$PROJECT/package.json"
  [ "$rc" = 0 ] || return "$rc"
  sha256sum <"$dir$PROJECT/package-lock.json" | cut -d' ' -f1 >"$dir$PROJECT/node_modules/.gatecast-lock-sha256"
}

run_cmd() {
  local sync=1 out=${GATECAST_ARM64_OUT:-$DEFAULT_OUT} dir=$DEFAULT_DIR
  while [ $# -gt 0 ]; do
    case "$1" in
      --no-sync) sync=0 ;;
      --out) out=$2 && shift ;;
      --) shift && break ;;
      -*) die "run: unknown option $1" ;;
      *) dir=$1 ;;
    esac
    shift
  done
  [ $# -gt 0 ] || die "run: no command (scripts/arm64-root.sh run [DIR] -- CMD...)"
  case "$out" in /*) ;; *) out=$PWD/$out ;; esac
  check_dir "$dir"
  [ -f "$dir/$DEBOOTSTRAPPED" ] && [ -f "$dir/$PACKAGES_STAMP" ] || create "$dir"
  lock_root "$dir"
  [ "$sync" = 0 ] || sync_sources "$dir"
  [ -d "$dir$PROJECT" ] || die "no project copy in $dir$PROJECT; run without --no-sync"
  mount_root "$dir" "$out"
  local rc=0
  in_root "$dir" "$PROJECT" "$@" || rc=$?
  umount_root
  # What the command wrote to /out belongs to whoever called sudo.
  if [ -n "${SUDO_UID:-}" ]; then chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$out"; fi
  return "$rc"
}

# --- the whole check ----------------------------------------------------------------------------
check() {
  local dir=$1 t0 log
  check_dir "$dir"
  t0=$(date +%s)
  log=${GATECAST_ARM64_LOG_DIR:-/var/tmp}/gatecast-arm64-check-$(date -u +%Y%m%dT%H%M%SZ)
  mkdir -p "$log"
  local timings=() failed='' unit='' daemon=''
  # step NAME FN...: runs FN in a subshell (its mounts are undone when it ends) with output to the
  # log and the terminal, and records its duration. errexit stays on inside FN.
  step() {
    local name=$1 s rc
    shift
    s=$(date +%s)
    echo "== $name"
    set +e
    (
      set -e
      "$@"
    ) 2>&1 | tee "$log/$(echo "$name" | tr ' ' '-').log"
    rc=$?
    set -e
    timings+=("$(printf '%-16s %5d s%s' "$name" $(($(date +%s) - s)) "$([ "$rc" = 0 ] || echo "  FAILED (exit $rc)")")")
    echo "-- $name: $(($(date +%s) - s)) s$([ "$rc" = 0 ] || echo ", FAILED (exit $rc)")"
    return "$rc"
  }
  summary() {
    echo
    echo "arm64 root $dir ($(native && echo 'native aarch64 host' || echo "qemu-user on $(uname -m)")), logs in $log"
    printf '  %s\n' "${timings[@]}"
  }

  step create create "$dir" || {
    summary
    echo "arm64 check: failed at create after $(($(date +%s) - t0)) s"
    return 1
  }
  lock_root "$dir"
  do_copy() { SYNC_COPY_ONLY=1 SYNC_FORCE=1 sync_sources "$dir"; }
  step 'sync sources' do_copy || failed=${failed:-sync sources}
  if [ -z "$failed" ]; then
    do_npm_ci() {
      local lock
      lock=$(sha256sum <"$dir$PROJECT/package-lock.json" | cut -d' ' -f1)
      if [ "${GATECAST_ARM64_FRESH_NPM:-0}" != 1 ] &&
        [ "$(cat "$dir$PROJECT/node_modules/.gatecast-lock-sha256" 2>/dev/null)" = "$lock" ]; then
        # An hour under emulation: redone only when the lock file changed (or when asked).
        echo "node_modules installed by npm ci from this lock file before (sha256 $lock), kept;" \
          "GATECAST_ARM64_FRESH_NPM=1 reinstalls"
        return 0
      fi
      mount_root "$dir"
      npm_ci_in_root "$dir"
    }
    step 'npm ci' do_npm_ci || failed=${failed:-npm ci}
  fi
  if [ -z "$failed" ]; then
    do_build() {
      mount_root "$dir"
      in_root "$dir" "$PROJECT" bash -c 'rm -rf dist && npm run build --silent'
      (cd "$REPO" && source_files | xargs -0 sha256sum | sha256sum | cut -d' ' -f1) >"$dir$PROJECT/.gatecast-sources-sha256"
    }
    step build do_build || failed=${failed:-build}
  fi
  if [ -z "$failed" ]; then
    do_native() {
      mount_root "$dir"
      in_root "$dir" "$PROJECT" node scripts/native-modules-check.mjs
    }
    step 'native modules' do_native || failed=${failed:-native modules}
  fi
  if [ -z "$failed" ]; then
    do_daemon() {
      mount_root "$dir"
      in_root "$dir" "$PROJECT" node scripts/daemon-start-check.mjs \
        --timeout-s "${DAEMON_START_TIMEOUT_S:-$(native && echo 900 || echo 3600)}" \
        $(native || echo --protocol-timeout-s "$EMULATED_PROTOCOL_TIMEOUT_S")
    }
    step 'daemon start' do_daemon || failed=${failed:-daemon start}
    daemon=$(sed -n 's/^daemon up: \([0-9.]*\) s.*/\1/p' "$log/daemon-start.log" | head -1)
    do_unit() {
      mount_root "$dir"
      rm -f "$dir$PROJECT/.arm64-unit.json"
      in_root "$dir" "$PROJECT" npx vitest run tests/unit --reporter=default --reporter=json \
        --outputFile.json=.arm64-unit.json
    }
    step 'unit tests' do_unit || failed=${failed:-unit tests}
    if [ -f "$dir$PROJECT/.arm64-unit.json" ]; then
      # First line: passed/total; then one line per failed test (also kept in the log folder).
      node_in_root "$dir" -e '
        const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        console.log(`${r.numPassedTests}/${r.numTotalTests}`);
        for (const f of r.testResults) for (const a of f.assertionResults)
          if (a.status === "failed") console.log(`${f.name.replace(/^\/gatecast\//, "")} > ${a.fullName}`);' \
        "$PROJECT/.arm64-unit.json" >"$log/unit-summary.txt"
      unit=$(head -1 "$log/unit-summary.txt")
      if [ "$(wc -l <"$log/unit-summary.txt")" -gt 1 ]; then
        echo "failed unit tests:"
        tail -n +2 "$log/unit-summary.txt" | sed 's/^/  /'
      fi
    fi
  fi
  summary
  local total=$(($(date +%s) - t0))
  if [ -z "$failed" ]; then
    echo "arm64 check: ok in $total s (unit tests ${unit:-?}, daemon start ${daemon:-?} s)"
  else
    echo "arm64 check: failed at $failed after $total s (unit tests ${unit:-not run}, daemon start $([ -n "$daemon" ] && echo "$daemon s" || echo 'not up'))"
    return 1
  fi
}

# Node from the root (the host needs no Node at all).
node_in_root() {
  local dir=$1
  shift
  mount_root "$dir"
  in_root "$dir" "$PROJECT" node "$@"
  umount_root
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
case "$cmd" in
  create)
    create "${1:-$DEFAULT_DIR}"
    ;;
  sync)
    dir=${1:-$DEFAULT_DIR}
    check_dir "$dir"
    [ -f "$dir/$DEBOOTSTRAPPED" ] && [ -f "$dir/$PACKAGES_STAMP" ] || create "$dir"
    lock_root "$dir"
    sync_sources "$dir"
    ;;
  run) run_cmd "$@" ;;
  check) check "${1:-$DEFAULT_DIR}" ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
