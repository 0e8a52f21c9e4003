#!/usr/bin/env bash
# Runs the kill -9 crash test (tests/CrmSync.Integration.Tests/Crash) many times and prints a summary.
#
#   scripts/crash-trials.sh [TRIALS] [PERSONS] [RUNS]
#
# TRIALS   kill points per phase (initial copy, incremental cycle, push) in one run    (default 10)
# PERSONS  leads + contacts in the emulator                                            (default 50000)
# RUNS     how many runs, each with a new seed (CRMSYNC_CRASH_SEED fixes the first one) (default 5)
#
# Each run SIGKILLs the built `crmsync start` at random points (seeded; the seed is printed) and proves that the local
# tables equal the emulator's records with no duplicates, that no local insert created two CRM leads, and that no kill
# during a push left a residue row (a second local copy of an insert).
# Exit code 0 when every run passed; the failing seeds are listed otherwise (rerun one with CRMSYNC_CRASH_SEED=<seed>).
set -euo pipefail

trials="${1:-10}"
persons="${2:-50000}"
runs="${3:-5}"
configuration="${CONFIGURATION:-Release}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
report="$(mktemp -t crmsync-crash-report.XXXXXX)"
trap 'rm -f "$report" "$report.log"' EXIT

echo "Building (configuration $configuration)..."
dotnet build "$root/tests/CrmSync.Integration.Tests" -c "$configuration" --nologo -v quiet >/dev/null

passed=0
failed=0
failed_seeds=()
for ((run = 1; run <= runs; run++)); do
  if [[ -n "${CRMSYNC_CRASH_SEED:-}" && $run -eq 1 ]]; then seed="$CRMSYNC_CRASH_SEED"; else seed=$(( (RANDOM << 15 | RANDOM) + 1 )); fi
  echo "run $run/$runs: seed $seed, $trials trials per phase, $persons persons"
  before=$(wc -l <"$report")
  if CRMSYNC_CRASH_TRIALS="$trials" CRMSYNC_CRASH_PERSONS="$persons" CRMSYNC_CRASH_SEED="$seed" CRMSYNC_CRASH_REPORT="$report" \
      dotnet test "$root/tests/CrmSync.Integration.Tests" -c "$configuration" --no-build --nologo \
      --filter "FullyQualifiedName~CrmSync.Integration.Tests.Crash" --logger "console;verbosity=normal" >"$report.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    failed_seeds+=("$seed")
    grep -E "Failed|Error Message|Assert" -A3 "$report.log" | head -20 || true
  fi
  tail -n +"$((before + 1))" "$report" | sed 's/^/  /'
  if [[ $(wc -l <"$report") -eq $before ]]; then echo "  (the test wrote no result line; see the log above)"; fi
done
rm -f "$report.log"

echo
echo "crash trials: $runs runs x $trials kill points per phase, $persons persons: $passed passed, $failed failed"
if ((failed > 0)); then
  echo "failing seeds: ${failed_seeds[*]} (rerun one: CRMSYNC_CRASH_SEED=<seed> scripts/crash-trials.sh $trials $persons 1)"
  exit 1
fi
