#!/usr/bin/env bash
# Install the Debian packages tsquash builds and tests with. Quick when they are already there: it asks
# dpkg first and only calls apt-get for what is missing.
set -euo pipefail
pkgs=(cmake ninja-build g++ make ccache clang libclang-rt-14-dev libgtest-dev libbenchmark-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
