/**
 * commander, loaded through require(). It is CommonJS: imported as an ES module, Node also scans its source for
 * export names, which costs start-up time that `concur --help` should not pay (some 8 ms of about 100 for
 * Node itself; bench/startup.bench.js). Modules that need a commander value import it from here; types come
 * from 'commander' as usual (`import type`).
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, Help, InvalidArgumentError } = commander;
/** The program and its subcommands (the type of `new Command()`). */
export type Command = Commander.Command;
