#!/usr/bin/env node
// The main job on a bundled example: copy examples/<name> (default go-sqlite) into a temp
// directory, run `dockforge init --yes` there through the built CLI, and list what it wrote.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const example = process.argv[2] ?? 'go-sqlite';
const src = path.join(repo, 'examples', example);
const dir = mkdtempSync(path.join(tmpdir(), `dockforge-${example}-`));
// the example's committed generated files are left out: this is a first init
const generated = /^(Dockerfile|\.dockerignore|compose\.yaml|README\.Docker\.md|k8s|\.dockforge)$/;
for (const entry of readdirSync(src)) {
  if (generated.test(entry) || entry === 'node_modules') continue;
  cpSync(path.join(src, entry), path.join(dir, entry), { recursive: true });
}
const r = spawnSync(process.execPath, [path.join(repo, 'dist/cli/main.cjs'), 'init', '--yes', '--dir', dir], {
  stdio: 'inherit',
});
if (r.status !== 0) process.exit(r.status ?? 1);
const list = (d, rel = '') =>
  readdirSync(path.join(d, rel)).flatMap((n) =>
    statSync(path.join(d, rel, n)).isDirectory() ? list(d, path.join(rel, n)) : [path.join(rel, n)],
  );
console.log(`\nFiles in ${dir}:`);
for (const f of list(dir).sort()) console.log(`  ${f}`);
