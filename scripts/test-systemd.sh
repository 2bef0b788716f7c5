#!/usr/bin/env bash
# `make test-systemd`: checks the shipped units under a real systemd as PID 1. Boots a minimal Debian 12 root with
# systemd-nspawn (built once with debootstrap and cached outside the repo), installs the build into a copy of it
# with `make install DESTDIR=…`, and runs scripts/systemd-test/inside.sh there as a oneshot unit, which prints one
# PASS or FAIL line per assertion. Exits 1 on any failure.
#
#   scripts/test-systemd.sh [--auto] [--build release|debug]
#
# --build debug installs the debug build (no release build needed; its Swift runtime is bound read-only into the
# container). --auto (used by `make test`) reports "skipped: …" and exits 0 where a container cannot be booted at
# all (not root, no systemd-nspawn, no network for the first debootstrap, a kernel that will not boot it); an
# assertion that fails still fails. Environment: JUNCTION_NSPAWN_ROOT (the cached root, default
# /var/cache/junction-nspawn/bookworm), JUNCTION_NSPAWN_MIRROR (a Debian mirror for debootstrap),
# JUNCTION_SYSTEMD_TEST_TIMEOUT (seconds for boot, test and power-off; default 240). The results, the journal and
# the console log are kept in .build/test-systemd/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

mode=strict
build=release
while (($#)); do
    case $1 in
        --auto) mode=auto ;;
        --build)
            build=${2:?--build needs release or debug}
            shift
            ;;
        *)
            echo "usage: $0 [--auto] [--build release|debug]" >&2
            exit 2
            ;;
    esac
    shift
done
[[ $build == release || $build == debug ]] || { echo "--build: release or debug, not $build" >&2; exit 2; }

# Where the test cannot run at all: a skip in --auto mode, an error otherwise.
unavailable() {
    if [[ $mode == auto ]]; then
        echo "systemd test skipped: $*"
        exit 0
    fi
    echo "test-systemd: cannot run: $*" >&2
    exit 1
}

[[ $(id -u) -eq 0 ]] || unavailable "needs root (systemd-nspawn boots a container)"
command -v systemd-nspawn > /dev/null || unavailable "systemd-nspawn is missing (apt-get install systemd-container)"
command -v debootstrap > /dev/null || unavailable "debootstrap is missing (apt-get install debootstrap)"
[[ -d /sys/fs/cgroup ]] || unavailable "no cgroup file system at /sys/fs/cgroup"

base=${JUNCTION_NSPAWN_ROOT:-/var/cache/junction-nspawn/bookworm}
mirror=${JUNCTION_NSPAWN_MIRROR:-http://deb.debian.org/debian}
limit=${JUNCTION_SYSTEMD_TEST_TIMEOUT:-240}
packages=systemd,systemd-sysv,dbus,procps,libcurl4,libsqlite3-0,libhiredis0.14
artifacts=$repo/.build/test-systemd
rm -rf "$artifacts"
mkdir -p "$artifacts" "$(dirname "$base")"

# The cached root: rebuilt when missing or when the package list changed. The lock keeps a concurrent run from
# copying a root that is being replaced.
exec 9> "$base.lock"
flock 9
if [[ "$(cat "$base/.junction-packages" 2> /dev/null)" != "$packages" ]]; then
    echo "test-systemd: building the container root $base (debootstrap, once; 1–4 minutes)"
    rm -rf "$base.tmp"
    started=$SECONDS
    if ! debootstrap --variant=minbase --include="$packages" bookworm "$base.tmp" "$mirror" \
        > "$artifacts/debootstrap.log" 2>&1; then
        rm -rf "$base.tmp"
        unavailable "debootstrap failed (no network to $mirror?): $(tail -2 "$artifacts/debootstrap.log" | tr '\n' ' ')"
    fi
    echo "$packages" > "$base.tmp/.junction-packages"
    rm -rf "$base"
    mv "$base.tmp" "$base"
    echo "test-systemd: root built in $((SECONDS - started)) s"
fi

run=$(mktemp -d /var/tmp/junction-systemd-test.XXXXXX)
trap 'rm -rf "$run"' EXIT
# A copy per run: the container writes to its root (journal, DynamicUser state), the cache stays pristine.
cp -a --reflink=auto "$base" "$run/root"
flock -u 9
root=$run/root
mkdir -p "$run/out"

# Installed exactly as an operator would, plus the test's own files.
if ! "${MAKE:-make}" --no-print-directory -C "$repo" install DESTDIR="$root" BUILD="$build" \
    > "$artifacts/install.log" 2>&1; then
    tail -20 "$artifacts/install.log" >&2
    echo "test-systemd: make install failed (log: $artifacts/install.log)" >&2
    exit 1
fi
testdir=$root/usr/local/lib/junction-systemd-test
install -d "$testdir"
install -m 0755 "$repo/.build/$build/junction-sim" scripts/systemd-test/inside.sh "$testdir/"
echo "$build" > "$testdir/build"
cat > "$root/etc/systemd/system/junction-systemd-test.service" << 'EOF'
[Unit]
Description=Junction systemd integration test
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/lib/junction-systemd-test/inside.sh
ExecStopPost=/usr/bin/systemctl poweroff --no-block
StandardOutput=journal+console
TimeoutStartSec=200

[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$root/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/junction-systemd-test.service "$root/etc/systemd/system/multi-user.target.wants/"

# A dynamically linked build finds its Swift runtime through its RUNPATH: the same path must exist inside.
binds=(--bind="$run/out:/out")
toolchain=$(ldd "$repo/.build/$build/junctiond" | sed -n 's#.* => \(/.*\)/usr/lib/swift/linux/.*#\1#p' | head -1)
[[ -z $toolchain ]] || binds+=(--bind-ro="$toolchain")

echo "test-systemd: booting the container (at most $limit s; console: $artifacts/console.log)"
started=$SECONDS
nspawn_status=0
# --register=no --keep-unit: the build machines have no machined and no system bus.
timeout --kill-after=10 "$limit" systemd-nspawn -q -D "$root" --machine="junction-test-$$" --private-network \
    --register=no --keep-unit --console=read-only "${binds[@]}" -b < /dev/null > "$artifacts/console.log" 2>&1 \
    || nspawn_status=$?
elapsed=$((SECONDS - started))
cp -r "$run/out/." "$artifacts/" 2> /dev/null || true

results=$artifacts/results
if [[ ! -s $results ]]; then
    tail -15 "$artifacts/console.log" >&2
    if ((nspawn_status == 124 || nspawn_status == 137)); then
        why="the container did not run the test within $limit s"
    else
        why="the container did not boot (systemd-nspawn exited with $nspawn_status)"
    fi
    unavailable "$why; console: $artifacts/console.log"
fi
cat "$results"
passed=$(grep -c '^PASS ' "$results" || true)
failed=$(grep -c '^FAIL ' "$results" || true)
if ! grep -qx DONE "$results"; then
    echo "FAIL complete: the test stopped before its end (systemd-nspawn status $nspawn_status after $elapsed s)"
    failed=$((failed + 1))
fi
echo "systemd test: $passed of $((passed + failed)) assertions passed in $elapsed s (artifacts: $artifacts)"
if ((failed > 0)); then
    echo "--- journal of junctiond (last 40 lines; all of it in $artifacts/journal.txt)"
    tail -40 "$artifacts/journal.txt" 2> /dev/null || true
    exit 1
fi
