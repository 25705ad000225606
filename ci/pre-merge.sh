#!/usr/bin/env bash
# Pre-merge check of a pull request that changes the bindings: new drift fails it, drift the base
# branch already has does not.
#   1. the snapshot the scheduled workflow last published (state branch); none yet: binding-only
#   2. the base commit's bindings judged against that snapshot: the baseline receipt
#   3. this checkout's bindings judged against it: ops verify --baseline <2> --fail-on new
# Exit: that of step 3 (0 no new drift, 1 new failures, 2 new errors or bad input). Without a
# usable baseline (the base has no bindings, or they do not load) every failure counts.
# Env: BASE_SHA (required), SPINE_GATES_BINDINGS (ops/bindings), SPINE_GATES_REPORTS (reports),
#      SPINE_GATES_OPS (npx --no-install ops), SPINE_GATES_WORK (a folder outside the checkout).
set -euo pipefail
: "${BASE_SHA:?BASE_SHA: the commit the pull request merges into}"
bindings="${SPINE_GATES_BINDINGS:-ops/bindings}"
reports="${SPINE_GATES_REPORTS:-reports}"
work="${SPINE_GATES_WORK:-${RUNNER_TEMP:-/tmp}/spine-gates-pre-merge}"
read -r -a ops <<<"${SPINE_GATES_OPS:-npx --no-install ops}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

rm -rf "$work"
mkdir -p "$work"
cleanup() { git worktree remove --force "$work/base" >/dev/null 2>&1 || true; }
trap cleanup EXIT

bash "$here/state-branch.sh" fetch "$work/state"
snapshot=()
if [ -f "$work/state/snapshot/snapshot.yaml" ]; then
  snapshot=(--snapshot "$work/state/snapshot")
else
  echo "::notice::no published snapshot yet (the scheduled workflow publishes one): binding-only checks"
fi

# The base commit as a worktree of its own, so its restore SOPs and repository root are its own.
git cat-file -e "$BASE_SHA^{commit}" 2>/dev/null || git fetch --quiet --no-tags --depth=1 origin "$BASE_SHA"
git worktree add --quiet --detach "$work/base" "$BASE_SHA"
baseline=()
if [ -d "$work/base/$bindings" ]; then
  "${ops[@]}" verify --bindings "$work/base/$bindings" "${snapshot[@]}" --reports "$work/base-reports" --json >"$work/base.json" || true
  receipt="$(ls -d "$work"/base-reports/receipts/*/receipt.json 2>/dev/null | tail -n 1)"
  if [ -n "$receipt" ] && node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).inputErrors.length ? 1 : 0)' "$receipt"; then
    baseline=(--baseline "$receipt" --fail-on new)
  else
    echo "::warning::the base commit's bindings do not load: no baseline, every failure counts"
  fi
else
  echo "::notice::the base commit has no $bindings: no baseline, every failure counts"
fi

status=0
"${ops[@]}" verify --bindings "$bindings" "${snapshot[@]}" --reports "$reports" --sarif "$reports/spine-gates.sarif" "${baseline[@]}" || status=$?
latest="$(ls -d "$reports"/receipts/*/ 2>/dev/null | tail -n 1)"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ -n "$latest" ]; then cat "${latest}receipt.md" >>"$GITHUB_STEP_SUMMARY"; fi
exit "$status"
