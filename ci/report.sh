#!/usr/bin/env bash
# After a scheduled run (its reports/ downloaded): mail what changed since the last run through the
# relay (ops notify), then publish this run's snapshot, receipt and the mail state to the state
# branch, where pre-merge checks and the next run find them. A run without a snapshot (bad input)
# keeps the last published one. Exit: that of ops notify (2 when the mail could not be sent; the
# snapshot is published all the same, and the unsent drift is mailed next time).
# Env: SPINE_GATES_REPORTS (reports), SPINE_GATES_BINDINGS (ops/bindings), SPINE_GATES_OPS
#      (npx --no-install ops), SPINE_GATES_WORK, SPINE_GATES_SMTP_USER and SPINE_GATES_SMTP_PASSWORD
#      (the relay login), SPINE_GATES_SMTP_CA_PEM (optional: the relay's private CA, PEM text).
set -euo pipefail
reports="${SPINE_GATES_REPORTS:-reports}"
bindings="${SPINE_GATES_BINDINGS:-ops/bindings}"
work="${SPINE_GATES_WORK:-${RUNNER_TEMP:-/tmp}/spine-gates-report}"
read -r -a ops <<<"${SPINE_GATES_OPS:-npx --no-install ops}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

receipt="$(ls -d "$reports"/receipts/*/receipt.json 2>/dev/null | tail -n 1)"
[ -n "$receipt" ] || { echo "no receipt under $reports/receipts: did the run upload its reports?" >&2; exit 2; }
run_dir="$(dirname "$receipt")"
# A live run's snapshot is in its receipt folder; a merged run's in reports/snapshot.
snapshot="$run_dir/snapshot"
[ -d "$snapshot" ] || snapshot="$reports/snapshot"

rm -rf "$work"
mkdir -p "$work/publish"
bash "$here/state-branch.sh" fetch "$work/state"
if [ -n "${SPINE_GATES_SMTP_CA_PEM:-}" ]; then
  printf '%s\n' "$SPINE_GATES_SMTP_CA_PEM" >"$work/smtp-ca.pem"
  export SPINE_GATES_SMTP_CA="$work/smtp-ca.pem"
fi

previous=()
[ -f "$work/state/receipt.json" ] && previous=(--previous "$work/state/receipt.json")
[ -f "$work/state/notify-state.json" ] && cp "$work/state/notify-state.json" "$work/publish/notify-state.json"
status=0
"${ops[@]}" notify --bindings "$bindings" --receipt "$receipt" "${previous[@]}" --state "$work/publish/notify-state.json" || status=$?

cp "$receipt" "$work/publish/receipt.json"
if [ -f "$snapshot/snapshot.yaml" ]; then
  cp -R "$snapshot" "$work/publish/snapshot"
elif [ -d "$work/state/snapshot" ]; then
  echo "::warning::this run wrote no snapshot: the last published one stays"
  cp -R "$work/state/snapshot" "$work/publish/snapshot"
fi
bash "$here/state-branch.sh" publish "$work/publish" "run $(basename "$run_dir")"
exit "$status"
