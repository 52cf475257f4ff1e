/**
 * The scripting surface, through the built CLI: `detect [--json]`, `init --dry-run`, `--json` on
 * `init`/`generate`/`status` (one JSON object on stdout, the human text on stderr), and
 * `completion`.
 */
import { describe, expect, it } from 'vitest';
import { listFiles, runCli, tempDirs, treeHash } from './helpers/cli.js';

const temps = tempDirs();

describe('dockforge detect', () => {
  it('--json: every answer with value, confidence and evidence (file, line, matched text); writes nothing', () => {
    const dir = temps.copy('go-cmd');
    const before = treeHash(dir);
    const r = runCli(['detect', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ command: 'detect', root: dir, language: 'go', exitCode: 0 });
    expect(report.answers.language).toEqual({
      value: 'go',
      confidence: 'certain',
      evidence: [{ file: 'go.mod', line: 1, text: expect.stringMatching(/^module /) }],
    });
    expect(report.answers.port).toMatchObject({ value: 9090, confidence: 'likely' });
    expect(report.answers.port.evidence[0]).toMatchObject({ file: 'cmd/api/main.go', text: expect.any(String) });
    expect(report.answers.port.evidence[0].text.length).toBeGreaterThan(0);
    expect(report.answers.uid).toEqual({ value: 10001, confidence: 'default', evidence: [] });
    expect(Array.isArray(report.warnings)).toBe(true);
    expect(treeHash(dir)).toBe(before);
  });

  it('human output: one aligned line per answer with its confidence', () => {
    const dir = temps.copy('go-cmd');
    const r = runCli(['detect'], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}language +go +certain +go\.mod:1 {2}module /m);
    expect(r.stdout).toMatch(/^ {2}uid +10001 +default *$/m);
  });

  it('no language found: exit 2, the report still lists what was found', () => {
    const dir = temps.copy();
    const r = runCli(['detect', '--json'], dir);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ exitCode: 2, language: null });
    expect(report.problem).toMatch(/could not detect language/);
  });
});

describe('init --dry-run and --json', () => {
  it('--dry-run prints the plan and a unified diff, writes nothing', () => {
    const dir = temps.copy('go-cmd');
    const before = treeHash(dir);
    const r = runCli(['init', '--yes', '--dry-run'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+++ b/Dockerfile');
    expect(r.stdout).toMatch(/Would change in .*:\n {2}created +Dockerfile/);
    expect(treeHash(dir)).toBe(before);
    expect(listFiles(dir)).not.toContain('Dockerfile');
  });

  it('init --json: one JSON object on stdout, the summary on stderr', () => {
    const dir = temps.copy('go-cmd');
    const r = runCli(['init', '--yes', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    expect(out).toMatchObject({ command: 'init', exitCode: 0, dryRun: false, conflicts: [], pending: [] });
    expect(out.answers).toMatchObject({ language: 'go', port: 9090 });
    expect(out.origin).toMatchObject({ language: 'detected', uid: 'default' });
    expect(out.changes).toContainEqual({ path: 'Dockerfile', action: 'created' });
    expect(r.stderr).toContain('Wrote in');
  });

  it('generate --json and status --json', () => {
    const dir = temps.copy('go-cmd');
    expect(runCli(['init', '--yes'], dir).code).toBe(0);
    const g = runCli(['generate', '--json', '--set', 'base=alpine'], dir);
    expect(g.code, g.stderr).toBe(0);
    const out = JSON.parse(g.stdout);
    expect(out).toMatchObject({ command: 'generate', exitCode: 0, answers: { base: 'alpine' } });
    expect(out.changes).toContainEqual({ path: 'Dockerfile', action: 'updated' });
    const s = JSON.parse(runCli(['status', '--json'], dir).stdout);
    expect(s).toMatchObject({ command: 'status', exitCode: 0, upToDate: true, files: [] });
  });
});

it('completion prints a shell completion script', () => {
  const r = runCli(['completion'], temps.copy());
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('###-begin-dockforge-completions-###');
  expect(r.stdout).toContain('--get-yargs-completions');
});
