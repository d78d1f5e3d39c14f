import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { commandList, commandNamed } from '../src/commands/list.js';
import { cleanEnv, concur, concurBin, fixture } from './helpers.js';

// The ES modules of concur's own dist/ that `concur args` loads, as paths below dist/.
async function distModules(args: string[]): Promise<string[]> {
  const run = await execa('node', ['--import', fixture('module-log.mjs'), concurBin, ...args], {
    reject: false,
    env: cleanEnv(),
    timeout: 30_000,
  });
  expect(run.exitCode).toBe(0);
  return [...run.stderr.matchAll(/^module-log: file:\/\/.*?\/dist\/(.*)$/gm)].map((match) => match[1] ?? '');
}

describe('start-up: only the command that runs is loaded', () => {
  it('concur --help loads no command module but the list', async () => {
    const loaded = await distModules(['--help']);
    expect(loaded.filter((path) => path.startsWith('commands/'))).toEqual(['commands/list.js']);
    expect(loaded).not.toContain('process/children.js');
  }, 40_000);

  it('concur demo loads the demo command and the registry, nothing of the demos themselves', async () => {
    const loaded = await distModules(['demo']);
    expect(loaded.filter((path) => path.startsWith('commands/')).sort()).toEqual([
      'commands/demo.js',
      'commands/list.js',
    ]);
    expect(loaded.filter((path) => path.startsWith('patterns/') || path.startsWith('trace/'))).toEqual([]);
  }, 40_000);

  it('concur spinner --help loads the spinner command and no other', async () => {
    const loaded = await distModules(['--debug', 'spinner', '--help']);
    expect(loaded.filter((path) => path.startsWith('commands/')).sort()).toEqual([
      'commands/list.js',
      'commands/spinner.js',
    ]);
  }, 40_000);

  it('finds the command an argv names, past the program options', () => {
    const argv = (...words: string[]): string[] => ['node', 'concur', ...words];
    expect(commandNamed(argv('--events', 'e.ndjson', '--debug', 'fan-out', '-j', '2'))).toBe('fan-out');
    expect(commandNamed(argv('--trace=t.json', 'demo', 'spinner'))).toBe('demo');
    expect(commandNamed(argv('help', 'pipeline'))).toBe('pipeline');
    expect(commandNamed(argv('--help'))).toBeUndefined();
    expect(commandNamed(argv())).toBeUndefined();
  });

  it('lists each command in concur --help with its own description and usage', async () => {
    const help = await concur(['--help']);
    const flat = (text: string): string => text.replace(/\s+/g, ' ');
    for (const entry of commandList) {
      expect(help.stdout).toContain(entry.term);
      const own = await concur([entry.name, '--help']);
      // commander prints: "Usage: concur <name> ...", a blank line, then the description.
      const description = own.stdout.split('\n\n')[1] ?? '';
      expect(flat(description)).toBe(entry.summary);
      expect(flat(own.stdout.split('\n')[0] ?? '')).toContain(`concur ${entry.name}`);
    }
  }, 60_000);
});
