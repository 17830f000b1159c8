#!/usr/bin/env bash
# faults/soak.sh MINUTES [OUTDIR]: the soak. Builds plexus and the fault program, runs a mixed
# workload (pool maps, queue traffic, manager calls, echo load through plexus serve/load) for MINUTES,
# samples RSS, descriptors and threads of every process every 10 s, and writes OUTDIR/soak.csv,
# soak.png and soak.txt. Exit 0 when every long-lived process stayed flat (see GrowthTest.cs).
set -euo pipefail
minutes=${1:?usage: faults/soak.sh MINUTES [OUTDIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
out=${2:-$root/faults/out}
dotnet build "$root/src/Plexus.Lab" -c Release -nologo -v q >/dev/null
dotnet build "$root/faults/Plexus.Faults" -c Release -nologo -v q >/dev/null
# Run from a copy: a rebuild during a long soak must not swap the assemblies its children load.
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
cp -r "$root/src/Plexus.Lab/bin/Release/net10.0" "$copy/lab"
cp -r "$root/faults/Plexus.Faults/bin/Release/net10.0" "$copy/faults"
export PLEXUS_DLL=$copy/lab/plexus.dll
dotnet "$copy/faults/Plexus.Faults.dll" soak "$minutes" "$out"
