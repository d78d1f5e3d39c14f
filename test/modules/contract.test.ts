/**
 * The module contract at the edges: a module in any form loads as a pipeline stage, a coroutine stage and a
 * fan-out worker, with no Node warning; loading has a bound; what a module prints is never data; a `chunk`
 * export is checked when the module loads.
 */
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { concur, fixture } from '../helpers.js';

const inPackage = (name: string): string => fixture(`modules/cjs-package/${name}`);
const misbehaving = (name: string): string => fixture(`modules/misbehaving/${name}`);

// The three environments, as command lines for one module.
const environments = {
  pipeline: (module: string) => ['pipeline', '--stage', module],
  coroutine: (module: string) => ['coroutine', '--stage', module],
  'fan-out': (module: string) => ['fan-out', '-j', '1', '--worker', module],
};

describe('modules in any form load, with no warning', () => {
  const forms: [string, string, string][] = [
    ['an ES module .js in a "type": "commonjs" package (with a relative import)', './shout.js', 'A!\nB!'],
    ['CommonJS module.exports = fn', './exports-fn.js', 'cjs:a\ncjs:b'],
    ['.cjs', './flush.cjs', 'cjs:a\ncjs:b'],
    ['.mjs', './module.mjs', 'mjs:a\nmjs:b'],
    ['a file: URL', pathToFileURL(inPackage('shout.js')).href, 'A!\nB!'],
  ];
  for (const [form, module, output] of forms)
    for (const [name, args] of Object.entries(environments))
      it(`${form}, as ${name}`, async () => {
        const result = await concur(args(module), {
          input: 'a\nb\n',
          cwd: fixture('modules/cjs-package'),
          timeout: 20_000,
        });
        expect(result.stderr).toBe('');
        expect(result.exitCode).toBe(0);
        expect(result.stdout).toBe(output);
      });
});

describe('loading has a bound', () => {
  for (const [name, args] of Object.entries(environments))
    // --load-timeout 500ms: the command must end within seconds; 20 s is the test's own bound on it.
    it(`a module that never finishes loading: one line and exit 2, as ${name}`, async () => {
      const result = await concur([...args(misbehaving('never-loads.js')), '--load-timeout', '500ms'], {
        input: 'a\n',
        timeout: 20_000,
      });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/never-loads\.js.* did not finish loading within 500ms.*--load-timeout/);
      expect(result.stdout).toBe('');
    });

  for (const name of ['pipeline', 'fan-out'] as const)
    it(`a module stuck in an endless loop while loading: one line and exit 2, as ${name}`, async () => {
      const args = environments[name](misbehaving('loops-forever.js'));
      const result = await concur([...args, '--load-timeout', '500ms'], { input: 'a\n', timeout: 20_000 });
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(2);
      expect(result.stderr.trim()).toMatch(/^concur: .*loops-forever\.js.* did not finish loading within/);
    });

  it('--load-timeout takes a duration', async () => {
    const result = await concur(['pipeline', '--stage', 'upper', '--load-timeout', 'soon'], { input: '' });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--load-timeout.*duration/);
  });
});

describe("a module's own output never becomes data", () => {
  for (const name of ['pipeline', 'coroutine'] as const)
    it(`console.* and process.stdout.write in a ${name} stage reach stderr`, async () => {
      const args = [name, '--stage', misbehaving('logs.js'), '--stage', 'count'];
      const result = await concur(args, { input: '1\n2\n3\n', timeout: 20_000 });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toBe('3');
      expect(result.stderr).toContain('loaded: console.log');
      for (const line of ['debug 2', 'info 2', 'stdout.write 2']) expect(result.stderr).toContain(line);
      const json = await concur([...args, '--json'], { input: '1\n2\n3\n', timeout: 20_000 });
      const records = json.stdout
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; text?: string });
      expect(records.filter((r) => r.type === 'line').map((r) => r.text)).toEqual(['3']);
    });

  it('a fan-out worker prints to stderr too', async () => {
    const result = await concur(['fan-out', '-j', '1', '--worker', misbehaving('logs.js')], {
      input: '1\n2\n',
      timeout: 20_000,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('1\n2');
    expect(result.stderr).toContain('debug 2');
    expect(result.stderr).toContain('stdout.write 2');
  });
});

describe('the optional chunk export', () => {
  it('chunk beside a generator, or not a function, is a load error', async () => {
    for (const [module, message] of [
      ['co-chunk-gen.js', /exports `chunk` beside a generator/],
      ['stage-chunk-not-function.js', /exports `chunk`, but it is not a function/],
    ] as const) {
      const result = await concur(['pipeline', '-s', fixture(module)], { input: 'a\n' });
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
