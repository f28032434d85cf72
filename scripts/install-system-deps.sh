#!/usr/bin/env bash
# Install the Debian packages tsquash builds and tests with. Quick when they are already there: it asks
# dpkg first and only calls apt-get for what is missing.
#
# influxdb (the 1.x server) and influxdb-client (its `influx` CLI, for real CSV exports) are only used as
# binaries: the tests start their own `influxd` on free loopback ports with a generated config. The server
# package's postinst would start (and enable) the system service; a temporary policy-rc.d keeps it from doing
# so, so the install neither depends on nor leaves behind a running daemon.
# libtorch-dev links the generic libblas.so.3; libopenblas0-openmp takes over that alternative (10-20x faster
# autoencoder training and inference than the reference BLAS) and shares LibTorch's OpenMP thread pool.
set -euo pipefail
pkgs=(cmake ninja-build g++ make ccache clang libclang-rt-14-dev libgtest-dev libbenchmark-dev influxdb influxdb-client libtorch-dev libopenblas0-openmp libeigen3-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  # exit status 101 = "action forbidden": invoke-rc.d then skips starting services (see invoke-rc.d(8)).
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# On a systemd machine the unit gets enabled despite policy-rc.d; the tests never use it, so keep it off.
if [[ " ${missing[*]} " == *" influxdb "* ]] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --now influxdb.service >/dev/null 2>&1 || true
fi
