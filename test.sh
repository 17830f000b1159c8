#!/usr/bin/env bash
# Runs every test project, one project at a time (they start many processes and sockets on a small
# machine), and ends with the line `N passed, N failed` taken from the TRX results.
set -uo pipefail
cd "$(dirname "$0")"
results=TestResults
# Some tests need programs from Debian: redis-server (the Plexus.Redis tests start their own, on a free
# port), chromium (the lab's HTML report is rendered headless) and afl++ (the fuzz targets, below). Where
# one is missing and we are root (CI, a fresh machine), install it; Debian starts the packaged redis
# service, which nothing uses.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v afl-fuzz >/dev/null || missing+=(afl++)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" \
      && { service redis-server stop || true; }; } >&2
fi
rm -rf "$results"
dotnet build Plexus.slnx -c Release -warnaserror -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }
dotnet test Plexus.slnx -c Release --no-build --nologo -m:1 \
  --logger "trx" --results-directory "$results" \
  --blame-hang-timeout 8m -- RunConfiguration.TestSessionTimeout=3000000
status=$?
passed=0; failed=0; files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
  f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
# Every fuzz target for 30 s (docs/fuzzing.md): one that crashed, or did not run, counts as a failed test.
targets=$(fuzz/run.sh --list 2>/dev/null) || targets=""
[ -n "$targets" ] || { echo "fuzz: the harness did not build"; failed=$((failed + 1)); }
for target in $targets; do
  line=$(FUZZ_BUILT=1 fuzz/run.sh "$target" 30 | tail -n 1)
  echo "$line"
  if [[ "$line" =~ ^fuzz\ [^:]+:\ ([1-9][0-9]*)\ execs,\ 0\ crashes$ ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$files" -gt 0 ]
