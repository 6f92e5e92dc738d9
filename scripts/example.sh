#!/usr/bin/env bash
# The Quick start: brings up the local stack (registry + BuildKit) and runs the action on
# the built-in example (examples/quickstart): it fingerprints environment.yml, builds and
# pushes the dated base to 127.0.0.1:5000/example/quickstart (or reuses it on a second
# run), builds the application image on top, and prints the outputs and the job summary.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/stack-up.sh"
cd "$root/examples/quickstart"
exec node "$root/scripts/run-local.mjs" \
  --image "${EXAMPLE_IMAGE:-127.0.0.1:5000/example/quickstart}" \
  --environment-file environment.yml \
  --base-dockerfile base.Dockerfile \
  --dockerfile Dockerfile \
  --tags "${EXAMPLE_TAG:-dev}" \
  "$@"
