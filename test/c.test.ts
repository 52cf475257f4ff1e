/**
 * C on real repository shapes, in-process: each failure class has a fixture under
 * test/fixtures/c-*; detection's findings and warnings are checked with their evidence, and
 * the init pipeline's rendered files (not written) with what the class changes in them.
 * Small variants are written to temporary folders.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateAnswers } from '../src/answers/fields.js';
import { detect } from '../src/detect/index.js';
import { runPipeline } from '../src/pipeline.js';
import { cTable, libraryFor } from '../src/stacks/c.js';
import type { Detection, Warning } from '../src/vocabulary.js';
import { FIXTURES } from './helpers/cli.js';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A throwaway repository with these files. */
function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dockforge-c-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/** `init --yes` in-process on a fixture (or folder): detection, answers and rendered files, nothing written. */
async function init(fixture: string, given: Record<string, unknown> = {}) {
  const root = path.isAbsolute(fixture) ? fixture : path.join(FIXTURES, fixture);
  const r = await runPipeline({ command: 'init', root, version: '0.1.0', given, mode: 'yes', write: false });
  const files = new Map(r.rendered!.files.map((f) => [f.path, f.content]));
  return { detection: r.detection, answers: r.resolved!.answers, file: (p: string) => files.get(p)! };
}

const where = (w: Warning | undefined): string[] => (w?.evidence ?? []).map((e) => `${e.file}:${e.line}`);
const warning = (d: Detection, code: string): Warning | undefined => d.warnings.find((w) => w.code === code);
const finding = (d: Detection, key: string) => ({
  value: d.findings[key]?.value,
  at: (d.findings[key]?.evidence ?? []).map((e) => `${e.file}:${e.line}`),
});

describe('Makefile target resolution', () => {
  it('resolves variables, skips a help default goal for the build target, creates the output folder', async () => {
    const { detection: d, file } = await init('c-make-goal');
    // .DEFAULT_GOAL := help only echoes: `build` (Makefile:18) makes $(BIN_DIR)/${APP} (Makefile:21)
    expect(finding(d, 'cMakeGoal')).toEqual({ value: 'build', at: ['Makefile:18'] });
    expect(finding(d, 'cBinary')).toEqual({ value: 'bin/notes', at: ['Makefile:21'] });
    expect(finding(d, 'cMakeMkdir')).toEqual({ value: true, at: ['Makefile:21'] });
    expect(d.notes.join('\n')).toMatch(
      /default goal "help" does not build the executable: the build runs `make build`/,
    );
    expect(file('Dockerfile')).toContain(
      'RUN mkdir -p bin \\\n    && make -j"$(nproc)" build \\\n    && install -D -s -m 0755 bin/notes /out/notes \\\n',
    );
    expect(file('Dockerfile')).toContain('ENTRYPOINT ["/usr/local/bin/notes"]');
    expect(file('.dockerignore')).toContain('\n/bin/notes\n');
  });

  it('takes the first ordinary target when there is no .DEFAULT_GOAL, and follows it to the linking rule', async () => {
    const { detection: d, file } = await init('c-make');
    expect(finding(d, 'cBinary')).toEqual({ value: 'kvstore', at: ['Makefile:6'] });
    expect(d.findings.cMakeGoal).toBeUndefined();
    expect(d.findings.cMakeMkdir).toBeUndefined();
    expect(file('Dockerfile')).toContain('RUN make -j"$(nproc)" \\\n    && install -D -s -m 0755 kvstore /out/kvstore');
  });

  it('a first target that only prints is passed over; no mkdir when the Makefile makes the folder', async () => {
    const dir = repo({
      Makefile: [
        'OUT := build/out',
        'NAME = svc',
        'help:',
        '\t@echo "targets: all clean"',
        'all: $(OUT)/$(NAME)',
        '$(OUT)/$(NAME): main.c',
        '\t@mkdir -p $(@D)',
        '\t$(CC) -o $@ main.c',
        '',
      ].join('\n'),
      'main.c': 'int main(void) { return 0; }\n',
    });
    const d = await detect(dir);
    expect(finding(d, 'cMakeGoal')).toEqual({ value: 'all', at: ['Makefile:5'] });
    expect(finding(d, 'cBinary')).toEqual({ value: 'build/out/svc', at: ['Makefile:6'] });
    expect(d.findings.cMakeMkdir).toBeUndefined();
  });

  it('a `make`-built program from the built-in %: %.c rule, and += / ?= / ${VAR} forms', async () => {
    const dir = repo({
      Makefile: ['PROGS ?= tiny', 'PROGS += extra', 'CFLAGS := -O2', 'all: ${PROGS}', ''].join('\n'),
      'tiny.c': 'int main(void) { return 0; }\n',
    });
    expect(finding(await detect(dir), 'cBinary')).toEqual({ value: 'tiny', at: ['Makefile:4'] });
  });

  it('cBinary is a relative path without ..', () => {
    const base = { language: 'c', database: 'none', name: 'svc' };
    expect(validateAnswers({ ...base, cBinary: 'bin/svc' }).cBinary).toBe('bin/svc');
    expect(() => validateAnswers({ ...base, cBinary: '../svc' })).toThrow(/invalid cBinary/);
    expect(() => validateAnswers({ ...base, cBinary: '/usr/bin/svc' })).toThrow(/invalid cBinary/);
  });
});

describe('library table', () => {
  it('every library has its -l name and, unless libc, a Debian package; Alpine build and runtime go together', () => {
    for (const [key, lib] of Object.entries(cTable().libraries)) {
      expect(lib.link?.length, key).toBeGreaterThan(0);
      if (!lib.libc) expect(lib.debian?.length, key).toBeGreaterThan(0);
      expect(Boolean(lib.alpine), key).toBe(Boolean(lib.alpineRuntime));
    }
    expect(libraryFor('lib:pq')).toBe('libpq');
    expect(libraryFor('pkg:libcurl')).toBe('curl');
    expect(libraryFor('pkg:microhttpd')).toBe('microhttpd'); // the -l name, as Makefiles write it
    expect(libraryFor('cmake:sqlite3')).toBe('sqlite3');
    expect(libraryFor('header:openssl/ssl.h')).toBe('openssl');
    expect(libraryFor('header:cJSON.h')).toBe('cjson');
    expect(libraryFor('lib:pthread')).toBe('pthread');
  });

  it('-l, pkg-config and includes become the toolchain packages of both bases and the Alpine runtime', async () => {
    const { detection: d, file } = await init('c-libraries', { base: 'distroless' });
    expect(finding(d, 'cache').value).toBe('redis');
    expect(finding(d, 'cLibraries').value).toBe(
      'pkg-config jansson microhttpd ulfius orcania yder hiredis uuid zlib cjson',
    );
    expect(file('Dockerfile')).toContain(
      // hiredis is Redis's client: the Redis service's packages come first, then the table's, each once
      'apt-get install -y --no-install-recommends build-essential libhiredis-dev pkg-config libjansson-dev ' +
        'libmicrohttpd-dev libulfius-dev liborcania-dev libyder-dev uuid-dev zlib1g-dev libcjson-dev\n',
    );
    const alpine = (await init('c-libraries', { base: 'alpine' })).file('Dockerfile');
    expect(alpine).toContain(
      'apk add --update-cache build-base hiredis-dev pkgconf jansson-dev libmicrohttpd-dev util-linux-dev ' +
        'zlib-dev cjson-dev\n',
    );
    expect(alpine).toContain(
      'RUN apk add --no-cache ca-certificates tzdata hiredis jansson libmicrohttpd libuuid zlib cjson\n',
    );
    expect(alpine).toContain('# Not packaged for Alpine (pkgs.alpinelinux.org): ulfius, orcania, yder.');
  });

  it('an unknown -l library is a warning naming it; a library the build makes itself is not', async () => {
    const d = await detect(path.join(FIXTURES, 'c-libraries'));
    const unknown = d.warnings.filter((w) => w.code === 'c-unknown-library');
    expect(unknown.map((w) => w.message.match(/uses (\S+),/)![1])).toEqual(['-lmetrics']);
    expect(where(unknown[0])).toEqual(['Makefile:5']);
    expect(where(warning(d, 'c-no-alpine-package'))).toEqual(['Makefile:5', 'core.c:1', 'gateway.c:1']);
    expect(warning(d, 'c-no-alpine-package')!.message).toMatch(/^ulfius, orcania, yder have no Alpine package/);
    expect(finding(d, 'base').value).toBe('distroless');
  });

  it("the services' packages and the table's are listed once", async () => {
    const distroless = (await init('c-make-goal', { base: 'distroless' })).file('Dockerfile');
    expect(distroless.match(/libsqlite3-dev/g)).toHaveLength(1);
    const alpine = (await init('c-make-goal', { base: 'alpine' })).file('Dockerfile');
    expect(alpine).toContain('apk add --update-cache build-base sqlite-dev\n');
    expect(alpine).toContain('RUN apk add --no-cache ca-certificates tzdata sqlite-libs\n');
  });
});

describe('ports in C', () => {
  it('a port string outranks a documented --port default, and a conninfo port is never the service port', async () => {
    const d = await detect(path.join(FIXTURES, 'c-ports'));
    expect(finding(d, 'port')).toEqual({ value: 9090, at: ['portd.c:10'] });
  });

  it.each([
    ['#define PORT beats htons()', 'static int p = 1;\n#define LISTEN_PORT 8088\nint x = htons(9000);\n', 8088],
    ['htons(N)', 'int x = htons(9001);\n', 9001],
    ['char *port = "N"', 'char *port = "7003";\n', 7003],
    ['a --port default in usage text', 'const char *u = "  --port N   listen port (default 7004)";\n', 7004],
    ['a port variable', 'static unsigned short bindport = 7005;\n', 7005],
    ['not a database macro', '#define DB_PORT 5432\n', undefined],
    ['not a conninfo port', 'const char *c = "host=db port=5432";\n', undefined],
  ])('%s', async (_, code, port) => {
    const d = await detect(repo({ Makefile: 'all: srv\n', 'srv.c': `int main(void) { return 0; }\n${code}` }));
    expect(d.findings.port?.value).toBe(port);
  });
});

describe('a server bound to loopback', () => {
  it('is a warning with evidence, written to README.Docker.md', async () => {
    const { detection: d, file } = await init('c-loopback');
    expect(where(warning(d, 'loopback-bind'))).toEqual(['echo.c:11']);
    expect(file('README.Docker.md')).toMatch(
      /## Before you deploy[\s\S]*listens on the loopback address[^\n]*\(`echo\.c:11`\)/,
    );
  });

  it('localhost passed to getaddrinfo in a server counts; INADDR_ANY does not', async () => {
    const loop = repo({
      Makefile: 'all: srv\n',
      'srv.c':
        'int main(void) {\n  getaddrinfo("localhost", "8080", &hints, &res);\n' +
        '  bind(fd, res->ai_addr, res->ai_addrlen);\n}\n',
    });
    expect(where(warning(await detect(loop), 'loopback-bind'))).toEqual(['srv.c:2']);
    const any = repo({
      Makefile: 'all: srv\n',
      'srv.c': 'int main(void) {\n  a.sin_addr.s_addr = htonl(INADDR_ANY);\n  bind(fd, (void *)&a, sizeof a);\n}\n',
    });
    expect(warning(await detect(any), 'loopback-bind')).toBeUndefined();
  });
});

describe('required command-line arguments', () => {
  it('are a warning naming the usage and the port flag; ENTRYPOINT alone, so args can be added', async () => {
    const { detection: d, file } = await init('c-argv');
    const w = warning(d, 'required-argv')!;
    expect(where(w)).toEqual(['filesrv.c:12']);
    expect(w.message).toContain('usage: `<program> [--port N] <root-folder>`');
    expect(w.message).toContain('compose `command:`');
    expect(w.message).toContain("Deployment's `args:`");
    expect(w.message).toContain('`--port 8000`');
    expect(file('Dockerfile')).toMatch(/ENTRYPOINT \["\/usr\/local\/bin\/filesrv"\]\n$/);
    expect(file('Dockerfile')).not.toMatch(/^CMD /m);
    expect(file('README.Docker.md')).toContain('(`filesrv.c:12`)');
  });

  it.each([
    ['argc < N then usage', 'if (argc < 3) {\n  usage();\n  exit(1);\n}\n', ['srv.c:2'], /2 positional arguments/],
    ['argv[1] with no argc check', 'const char *root = argv[1];\n', ['srv.c:2'], /argv\[1\]/],
    [
      'a required option after getopt',
      'getopt(argc, argv, "c:");\nif (!config) {\n  fprintf(stderr, "--config is required\\n");\n  return 1;\n}\n',
      ['srv.c:4'],
      /option --config/,
    ],
    ['an argument with a default', 'const char *root = argc > 1 ? argv[1] : ".";\n', [], undefined],
  ])('%s', async (_, body, evidence, message) => {
    const d = await detect(repo({ Makefile: 'all: srv\n', 'srv.c': `int main(int argc, char **argv) {\n${body}}\n` }));
    const w = warning(d, 'required-argv');
    expect(where(w)).toEqual(evidence);
    if (message) expect(w!.message).toMatch(message);
  });
});

describe('no build system', () => {
  it('compiles the main folder with cc, -I and -l from the includes, and says the command was inferred', async () => {
    const { detection: d, answers, file } = await init('c-nobuild', { base: 'distroless' });
    expect(finding(d, 'cBuild')).toEqual({ value: 'none', at: ['server.c:8'] });
    expect(finding(d, 'cSources')).toEqual({ value: '.', at: ['server.c:8'] });
    expect(answers.cLibraries).toBe('libpq microhttpd cjson pthread');
    expect(where(warning(d, 'c-build-inferred'))).toEqual(['server.c:8']);
    expect(file('Dockerfile')).toContain(
      'RUN cc -O2 -I/usr/include/postgresql -I/usr/include/cjson -o c-nobuild *.c ' +
        '-lpq -lmicrohttpd -lcjson -lpthread \\\n' +
        '    && install -D -s -m 0755 c-nobuild /out/c-nobuild\n',
    );
    expect(file('Dockerfile')).toContain(
      '--no-install-recommends build-essential libpq-dev libmicrohttpd-dev libcjson-dev\n',
    );
    const alpine = (await init('c-nobuild', { base: 'alpine' })).file('Dockerfile');
    expect(alpine).toContain('apk add --update-cache build-base libpq-dev libmicrohttpd-dev cjson-dev\n');
    expect(file('README.Docker.md')).toContain('`cc` build');
  });

  it('an include no library of the table names is reported for the inferred command', async () => {
    const d = await detect(
      repo({ 'app/main.c': '#include <stdio.h>\n#include <sodium.h>\nint main(void) { return 0; }\n' }),
    );
    expect(finding(d, 'cSources').value).toBe('app');
    expect(where(d.warnings.find((w) => w.code === 'c-unknown-library' && w.message.includes('<sodium.h>')))).toEqual([
      'app/main.c:2',
    ]);
  });
});

describe('compile-time configuration', () => {
  it('a compiled-in database host is a warning with the macro and where it is used', async () => {
    const { detection: d, file } = await init('c-compiled-config');
    const w = warning(d, 'c-compiled-db-config')!;
    expect(where(w)).toEqual(['src/db.c:5', 'src/db.h:2']);
    expect(w.message).toContain('`#define DB_HOST "localhost"`');
    expect(w.message).toContain('rebuilt');
    // the Makefile names no -I for libpq-fe.h: the build stage points GCC at its folder
    expect(file('Dockerfile')).toContain('ENV C_INCLUDE_PATH=/usr/include/postgresql\nRUN make -j"$(nproc)" \\\n');
  });
});

describe('toolchain requirements', () => {
  it('a CMake or GCC newer than the toolchain images is a warning; flags they support are not', async () => {
    const d = await detect(path.join(FIXTURES, 'c-cmake-toolchain'));
    expect(where(warning(d, 'c-cmake-too-old'))).toEqual(['CMakeLists.txt:1']);
    expect(warning(d, 'c-cmake-too-old')!.message).toMatch(
      /requires CMake 4\.0, newer than .*Debian 13 \(base distroless\): 3\.31/,
    );
    const gcc = d.warnings.filter((w) => w.code === 'c-gcc-too-old');
    expect(gcc.map((w) => w.message.match(/with (\S+),/)![1])).toEqual(['-std=c2y']);
    expect(where(gcc[0])).toEqual(['CMakeLists.txt:4']);
  });

  it('cmake_minimum_required within the images is fine', async () => {
    const d = await detect(
      repo({
        'CMakeLists.txt': 'cmake_minimum_required(VERSION 3.25...3.31)\nadd_executable(a a.c)\n',
        'a.c': 'int main(void){return 0;}\n',
      }),
    );
    expect(d.warnings).toEqual([]);
  });
});
