#!/usr/bin/env bash
# Regenerate the committed dockforge output of every example (after a template change), the
# way test/examples.test.ts reproduces it: `init --yes`, only the runtime base (--base) given.
# The Postgres examples show the Alpine runtime, the others distroless.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
for dir in examples/*/; do
  name=$(basename "$dir")
  # examples/packs holds template packs, not applications
  [[ "$name" == packs ]] && continue
  case "$name" in *-postgres) runtime=alpine ;; *) runtime=distroless ;; esac
  # answers from detection, as on a fresh clone (the record stays: it is the merge base)
  rm -f "$dir/.dockforge/answers.yaml"
  node dist/cli/main.cjs init --yes --base "$runtime" --dir "$dir" > /dev/null
  echo "regenerated examples/$name ($runtime)"
done
