#!/usr/bin/env bash
# Writes the SSH private key and known_hosts from the environment (repository secrets) to files
# only this user can read, for `ops verify --live` / `ops snapshot`:
#   --identity DIR/id --known-hosts DIR/known_hosts
# Usage: ssh-secrets.sh [DIR]   (default $RUNNER_TEMP/spine-gates-ssh)
# Env: SPINE_GATES_SSH_KEY, SPINE_GATES_KNOWN_HOSTS. Their values are never printed.
set -euo pipefail
dir="${1:-${RUNNER_TEMP:?set RUNNER_TEMP or name the folder}/spine-gates-ssh}"
: "${SPINE_GATES_SSH_KEY:?set the repository secret SPINE_GATES_SSH_KEY: the private key ops logs in with}"
: "${SPINE_GATES_KNOWN_HOSTS:?set the repository secret SPINE_GATES_KNOWN_HOSTS: the known_hosts lines of every host}"
umask 077
mkdir -p "$dir"
chmod 700 "$dir"
# A secret pasted with Windows line ends would not parse as a key.
printf '%s\n' "$SPINE_GATES_SSH_KEY" | tr -d '\r' >"$dir/id"
printf '%s\n' "$SPINE_GATES_KNOWN_HOSTS" | tr -d '\r' >"$dir/known_hosts"
chmod 600 "$dir/id" "$dir/known_hosts"
echo "wrote $dir/id and $dir/known_hosts (mode 600)"
