#!/usr/bin/env bash
# faults/run.sh [--repeat N] [--row NAME]... [--seed S] [--list]
# The fault matrix: each row injects one fault into a running workload N times (default 20) with
# different timings and checks what must hold (see docs/reliability.md). Prints one line per row,
# `row NAME: K/N passed, max T ms`, and a total. Each row runs in its own process under a time bound,
# so a hang is reported as one, not waited out. Exit 0 only if every trial of every row passed.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
repeat=20
seed=$(( $(date +%s) % 65536 ))
rows=()
list=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repeat) repeat=$2; shift 2 ;;
    --row) rows+=("$2"); shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --list) list=1; shift ;;
    *) echo "faults/run.sh: unknown argument '$1'; use --repeat N, --row NAME, --seed S or --list" >&2; exit 2 ;;
  esac
done
dotnet build "$root/src/Plexus.Lab" -c Release -nologo -v q >/dev/null || { echo "faults/run.sh: building plexus failed" >&2; exit 2; }
dotnet build "$root/faults/Plexus.Faults" -c Release -nologo -v q >/dev/null || { echo "faults/run.sh: building Plexus.Faults failed" >&2; exit 2; }
export PLEXUS_DLL=$root/src/Plexus.Lab/bin/Release/net10.0/plexus.dll
faults=(dotnet "$root/faults/Plexus.Faults/bin/Release/net10.0/Plexus.Faults.dll")
if [ $list = 1 ]; then exec "${faults[@]}" list; fi
if [ ${#rows[@]} -eq 0 ]; then mapfile -t rows < <("${faults[@]}" list | awk '{print $1}'); fi

echo "fault matrix: ${#rows[@]} rows x $repeat, seed $seed"
start=$(date +%s)
passed_rows=0; trials=0; passed_trials=0
for row in "${rows[@]}"; do
  # A row's own bound is per trial; this one only catches a row process that stopped reporting.
  output=$(timeout --kill-after=10 $((120 + repeat * 45)) "${faults[@]}" row "$row" --repeat "$repeat" --seed "$seed")
  rc=$?
  printf '%s\n' "$output"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    echo "row $row: 0/$repeat passed, HANG (the row process was stopped after $((120 + repeat * 45)) s)"
    trials=$((trials + repeat))
    continue
  fi
  summary=$(printf '%s\n' "$output" | grep -E "^row $row: " | tail -1)
  k=$(sed -E 's/^row [^:]+: ([0-9]+)\/([0-9]+).*/\1/' <<<"$summary")
  n=$(sed -E 's/^row [^:]+: ([0-9]+)\/([0-9]+).*/\2/' <<<"$summary")
  trials=$((trials + ${n:-$repeat})); passed_trials=$((passed_trials + ${k:-0}))
  [ $rc -eq 0 ] && passed_rows=$((passed_rows + 1))
done
echo "total: $passed_rows/${#rows[@]} rows passed, $passed_trials/$trials trials, $(( $(date +%s) - start )) s"
[ $passed_rows -eq ${#rows[@]} ]
