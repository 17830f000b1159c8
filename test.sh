#!/usr/bin/env bash
# Runs every test project, one project at a time (they start many processes and sockets on a small
# machine), and ends with the line `N passed, N failed` taken from the TRX results.
set -uo pipefail
cd "$(dirname "$0")"
results=TestResults
# Some tests need programs from Debian: redis-server (the Plexus.Redis tests start their own, on a free
# port) and chromium (the lab's HTML report is rendered headless). Where one is missing and we are root
# (CI, a fresh machine), install it; Debian starts the packaged redis service, which nothing uses.
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
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
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$files" -gt 0 ]
