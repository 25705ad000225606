#!/usr/bin/env bash
# The state branch: one commit, force-pushed by each scheduled run, holding what the next runs need:
#   snapshot/           the latest host-state snapshot (what pre-merge checks judge against)
#   receipt.json        the latest scheduled run's receipt (ops notify --previous)
#   notify-state.json   what ops notify has mailed, and when (ops notify --state)
#
#   state-branch.sh fetch DIR              DIR gets the branch's files; nothing when it does not exist yet
#   state-branch.sh publish DIR [MESSAGE]  the branch becomes one new commit holding exactly DIR's files
#
# Run inside a clone of the repository. Env: SPINE_GATES_STATE_BRANCH (default spine-gates-state),
# SPINE_GATES_REMOTE (default origin).
set -euo pipefail
branch="${SPINE_GATES_STATE_BRANCH:-spine-gates-state}"
remote="${SPINE_GATES_REMOTE:-origin}"
command="${1:-}"
dir="${2:-}"
if [ -z "$command" ] || [ -z "$dir" ]; then
  echo "usage: state-branch.sh fetch|publish DIR [MESSAGE]" >&2
  exit 2
fi

case "$command" in
  fetch)
    mkdir -p "$dir"
    found=0
    git ls-remote --exit-code --heads "$remote" "$branch" >/dev/null || found=$?
    if [ "$found" -eq 2 ]; then
      echo "state branch $branch does not exist on $remote yet: nothing published"
      exit 0
    elif [ "$found" -ne 0 ]; then
      echo "cannot list the branches of $remote (git ls-remote exited $found)" >&2
      exit 1
    fi
    git fetch --quiet --no-tags --depth=1 "$remote" "refs/heads/$branch"
    git archive FETCH_HEAD | tar -x -C "$dir"
    echo "fetched $branch at $(git rev-parse --short FETCH_HEAD) into $dir"
    ;;
  publish)
    [ -d "$dir" ] || { echo "state-branch.sh publish: $dir is not a folder" >&2; exit 2; }
    git_dir="$(git rev-parse --absolute-git-dir)"
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    index="$scratch/index" # git creates it
    # A tree of exactly DIR's files, built with a private index: the checkout is not touched.
    GIT_INDEX_FILE="$index" git --git-dir="$git_dir" --work-tree="$dir" add --all --force -- .
    tree="$(GIT_INDEX_FILE="$index" git --git-dir="$git_dir" write-tree)"
    commit="$(git -c user.name="${GIT_AUTHOR_NAME:-spine-gates}" -c user.email="${GIT_AUTHOR_EMAIL:-spine-gates@users.noreply.github.com}" \
      commit-tree "$tree" -m "spine-gates state: ${3:-published}")"
    git push --quiet --force "$remote" "$commit:refs/heads/$branch"
    echo "published $dir as $branch at $(git rev-parse --short "$commit")"
    ;;
  *)
    echo "state-branch.sh: unknown command $command (fetch, publish)" >&2
    exit 2
    ;;
esac
