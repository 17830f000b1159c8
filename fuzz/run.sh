#!/usr/bin/env bash
# Coverage-guided fuzzing of Plexus's decoders with AFL++ and SharpFuzz (see docs/fuzzing.md).
#   fuzz/run.sh --list            the target names, one a line
#   fuzz/run.sh TARGET SECONDS    builds, instruments and fuzzes TARGET for SECONDS, then prints
#                                 `fuzz TARGET: N execs, M crashes`; crashing inputs are kept in
#                                 fuzz/.out/TARGET/findings/default/crashes (replay them with --replay).
# Needs afl-fuzz (Debian: afl++) and the SharpFuzz.CommandLine dotnet tool; installs both when missing
# and allowed (root with apt-get for afl++; the tool goes to fuzz/.out/tools).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/.out"
build="$out/build"

# Configuration Fuzz: optimized like Release but not precompiled (ReadyToRun code is native, and SharpFuzz
# instruments IL only); its obj/ folders are its own, so it never disturbs a Release build.
build_harness() {
  dotnet build "$here/Plexus.Fuzz/Plexus.Fuzz.csproj" -c Fuzz -p:Optimize=true -warnaserror -nologo -v q -o "$build" >&2
}

if [ "${1:-}" = "--list" ]; then
  build_harness
  dotnet "$build/Plexus.Fuzz.dll" --list
  exit 0
fi
if [ $# -ne 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: fuzz/run.sh TARGET SECONDS | fuzz/run.sh --list" >&2
  exit 2
fi
target="$1"; seconds="$2"

if ! command -v afl-fuzz >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++; } >&2
  else
    echo "fuzz/run.sh: afl-fuzz is missing; install Debian's afl++ (apt-get install afl++)" >&2
    exit 1
  fi
fi
sharpfuzz="$out/tools/sharpfuzz"
if [ ! -x "$sharpfuzz" ]; then
  dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$out/tools" >&2
fi

# FUZZ_BUILT=1: the caller has just built the harness (test.sh builds once for all targets).
[ "${FUZZ_BUILT:-}" = 1 ] || build_harness
if ! dotnet "$build/Plexus.Fuzz.dll" --list | grep -qx "$target"; then
  echo "fuzz/run.sh: no target '$target'; fuzz/run.sh --list names them" >&2
  exit 2
fi
# Instrument copies, so the build folder stays clean for the next incremental build. Only Plexus's own
# assemblies are instrumented: coverage of MessagePack's reader would mostly measure MessagePack.
run="$out/$target"
rm -rf "$run"
mkdir -p "$run"
cp -r "$build" "$run/bin"
for dll in Plexus.Processes.dll Plexus.Native.dll plexus.dll; do
  "$sharpfuzz" "$run/bin/$dll" >&2
done

# afl-fuzz's own checks for a dedicated machine (core_pattern, CPU governor, free cores) do not apply to
# a short run on a shared one; the target is `dotnet`, which carries no AFL instrumentation itself.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_NO_AFFINITY=1 AFL_FORKSRV_INIT_TMOUT=60000 AFL_QUIET=1
# -t: a hang is an exec over 5 s (the machine may be busy); -V: stop after SECONDS.
# On a loaded machine afl-fuzz's dry run now and then sees an empty coverage map for the first input
# ("No instrumentation detected") although the same binary fuzzes fine when started again: retry twice.
fuzz() {
  rm -rf "$run/findings"
  afl-fuzz -i "$here/$target/corpus" -o "$run/findings" -t 5000 -m none -V "$seconds" \
    -- dotnet "$run/bin/Plexus.Fuzz.dll" "$target" > "$run/afl.log" 2>&1
}
attempt=1
while ! fuzz; do
  if [ "$attempt" -ge 3 ] || ! grep -q 'No instrumentation detected' "$run/afl.log"; then
    echo "fuzz/run.sh: afl-fuzz failed for $target; its log is $run/afl.log:" >&2
    tail -n 20 "$run/afl.log" >&2
    echo "fuzz $target: 0 execs, 1 crashes"
    exit 1
  fi
  attempt=$((attempt + 1))
done
stats="$run/findings/default/fuzzer_stats"
execs=$(sed -n 's/^execs_done *: *//p' "$stats")
crashes=$(sed -n 's/^saved_crashes *: *//p' "$stats")
hangs=$(sed -n 's/^saved_hangs *: *//p' "$stats")
if [ "${hangs:-0}" -gt 0 ]; then
  echo "fuzz/run.sh: $target: $hangs input(s) ran over 5 s; they are in $run/findings/default/hangs" >&2
fi
# A crash counts when its input fails again in a fresh, uninstrumented process: a few inputs have crashed
# only inside a long afl-fuzz session and never when replayed (docs/fuzzing.md); those are reported here.
confirmed=0
if [ "${crashes:-0}" -gt 0 ]; then
  confirmed=$(dotnet "$build/Plexus.Fuzz.dll" "$target" --replay "$run/findings/default/crashes"/id* | grep -c '^FINDING' || true)
  if [ "$confirmed" -lt "$crashes" ]; then
    echo "fuzz/run.sh: $target: $((crashes - confirmed)) input(s) crashed under afl-fuzz but not when replayed; kept in $run/findings/default/crashes" >&2
  fi
fi
echo "fuzz $target: ${execs:-0} execs, $confirmed crashes"
