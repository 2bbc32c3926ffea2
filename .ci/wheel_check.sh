#!/usr/bin/env bash
# The release as a user installs it: build the wheel, install it with NO extras
# into a fresh virtual environment, run the commands from an empty folder (so
# the checkout's sksoft/ is not imported), then add [plot] and run the audit
# with its figures. A command must succeed, or stop with exit code 2 and ONE
# line on stderr naming the extra to install (sksoft[...]).
# Usage: .ci/wheel_check.sh   (from anywhere; called by .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
start=$SECONDS

work=$(mktemp -d "${TMPDIR:-/tmp}/sksoft-wheel-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
venv="$work/venv"
dist="$work/dist"
run="$work/run"
mkdir -p "$dist" "$run"
failures=0

echo "== wheel: build"
python -m pip wheel -q --no-deps -w "$dist" "$repo"
wheel=$(ls "$dist"/sksoft-*.whl)
echo "built $(basename "$wheel")"

echo "== wheel: fresh venv, torch==2.13.0, then the wheel with no extras"
# SKSOFT_WHEEL_CHECK_VENV (local reruns only): reuse that venv's torch; the
# extras an earlier run added are removed first. CI leaves it unset.
if [ -n "${SKSOFT_WHEEL_CHECK_VENV:-}" ] && [ -x "$SKSOFT_WHEEL_CHECK_VENV/bin/python" ]; then
  venv=$SKSOFT_WHEEL_CHECK_VENV
  "$venv/bin/python" -m pip uninstall -q -y sksoft matplotlib pandas || true
else
  venv=${SKSOFT_WHEEL_CHECK_VENV:-$venv}
  python -m venv "$venv"
  # --no-compile: torch's bytecode is most of the install time
  "$venv/bin/python" -m pip install -q --no-compile torch==2.13.0 2> >(grep -v \
    "is ignored: it is neither a file nor a directory" >&2)
fi
py="$venv/bin/python"
"$py" -m pip install -q "$wheel" 2> >(grep -v "is ignored: it is neither" >&2)
(cd "$run" && "$py" -c "import sksoft, sys; assert sksoft.__file__.startswith(\
sys.prefix), sksoft.__file__; print('sksoft', sksoft.__version__, 'from', \
sksoft.__file__)")

# check NAME CMD...: run CMD in $run; exit 0 passes; exit 2 passes only with a
# one-line stderr naming an extra ("sksoft[...]"); anything else fails.
check() {
  local name=$1
  shift
  local rc=0
  (cd "$run" && "$@") >"$work/out" 2>"$work/err" || rc=$?
  local lines
  lines=$(grep -c . "$work/err" || true)
  if [ "$rc" -eq 0 ]; then
    echo "ok   $name (exit 0)"
  elif [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && grep -q 'sksoft\[' "$work/err"; then
    echo "ok   $name (exit 2, one line: $(cat "$work/err"))"
  else
    echo "FAIL $name: exit $rc, $lines line(s) on stderr:"
    tail -n 30 "$work/err" | sed 's/^/     /'
    failures=$((failures + 1))
  fi
  return 0
}

# expect_files NAME FOLDER PATTERN...: each pattern matches a file in FOLDER
expect_files() {
  local name=$1 folder=$2
  shift 2
  local pattern
  for pattern in "$@"; do
    if ! compgen -G "$folder/$pattern" >/dev/null; then
      echo "FAIL $name: no $pattern in $folder"
      failures=$((failures + 1))
    fi
  done
}

tiny=(--arms gold,human_soft --seeds 1 --epochs 1 --max-samples 60 --n-jobs 1 --quiet)

echo "== no extras"
check "python -m sksoft --help" "$py" -m sksoft --help
check "python -m sksoft audit --help" "$py" -m sksoft audit --help
check "python -m sksoft evaluate --help" "$py" -m sksoft evaluate --help
check "audit --no-figures" "$py" -m sksoft audit "${tiny[@]}" --no-figures --out a1
[ -d "$run/a1" ] && expect_files "audit --no-figures" "$run/a1" report.md results.csv
check "audit (figures, no matplotlib)" "$py" -m sksoft audit "${tiny[@]}" --out a2

"$py" - "$run" <<'EOF'
import sys
from pathlib import Path

import numpy as np

run = Path(sys.argv[1])
rng = np.random.default_rng(0)
counts = np.stack([rng.multinomial(5, [0.6, 0.3, 0.1]) for _ in range(50)])
np.save(run / "counts.npy", counts)
np.save(run / "gold.npy", counts.argmax(axis=1))
np.save(run / "probs.npy", rng.dirichlet(np.ones(3), size=50))
EOF
check "evaluate" "$py" -m sksoft evaluate --probs m=probs.npy --counts counts.npy \
  --gold gold.npy --n-bootstrap 20 --out e1
[ -d "$run/e1" ] && expect_files "evaluate" "$run/e1" report.md

echo "== with [plot]"
"$py" -m pip install -q "${wheel}[plot]" 2> >(grep -v "is ignored: it is neither" >&2)
check "audit with figures" "$py" -m sksoft audit "${tiny[@]}" --out a3
if [ -d "$run/a3" ]; then
  expect_files "audit with figures" "$run/a3" report.md "*.png"
else
  echo "FAIL audit with figures: no report folder"
  failures=$((failures + 1))
fi

echo "wheel check: $((SECONDS - start)) s, $failures failure(s)"
[ "$failures" -eq 0 ]
