#!/usr/bin/env bash
# Installs the Debian bookworm packages cdp-relay needs to build, test and run.
# Idempotent: packages already present are skipped, so a second run does nothing.
# Usage: scripts/install-deps.sh [build|test|all]   (default: all)
set -euo pipefail

profile="${1:-all}"

build_pkgs=(
  build-essential cmake pkg-config ccache git ca-certificates
  librdkafka-dev prometheus-cpp-dev libsimdjson-dev libcurl4-openssl-dev
  libyaml-cpp-dev libcli11-dev libcpp-httplib-dev libvalijson-dev nlohmann-json3-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 curl unzip nodejs npm prometheus docker-compose
  clang libclang-rt-14-dev   # libFuzzer targets and sanitizer runtimes (scripts/fuzz.sh)
  openssl libssl-dev         # test CAs and certificates (openssl CLI); cpp-httplib's HTTPS server
)

case "$profile" in
  build) wanted=("${build_pkgs[@]}") ;;
  test|all) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
  # A package counts as present only when dpkg says it is fully installed.
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    # nodejs from another origin (e.g. nodesource) already ships npm: don't fight it.
    if [[ "$pkg" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#wanted[@]} packages present"
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
