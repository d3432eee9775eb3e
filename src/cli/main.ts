import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/load.js';
import { InputError, PropuskError } from '../errors/index.js';
import { createLogger } from '../logging/logger.js';
import { auditCommand } from './audit.js';
import { peopleCommand } from './people-commands.js';
import { importCommand, migrateCommand } from './commands.js';
import { rotateDataKeyCommand } from './data-key-commands.js';
import { activateKeysCommand, rotateKeysCommand, stageKeysCommand } from './key-commands.js';

const USAGE = `Usage: propusk <command>

Commands:
  start [--workers N]
                     Start the server (runs migrations first) in N processes
                     sharing the port (node:cluster); default PROPUSK_WORKERS,
                     or one per CPU. --workers 1 runs a single process.
  migrate            Apply pending database migrations and exit.
  import FILE.json   Create or update organizations, services and people from a file.
  keys stage         Add a new generation of signing and cookie keys that
                     nodes publish and accept after a restart, but do not
                     sign with yet. Then restart every node.
  keys activate      Make the staged generation current and keep the old one
                     published. Then restart every node.
  keys rotate        Stage and activate in one step, for a single node.
  keys rotate-data   Make a new identifier data key current and re-encrypt
                     phones, e-mails and СНИЛС with it; no restart needed.
  audit [OPTIONS]    List security events, newest first. Options:
                       --person ID     external id (school records) or Propusk id
                       --type TYPE     event type, such as login.failed; repeat or use commas
                       --since DATE    from this UTC day (2026-03-01) or instant (2026-03-01T09:00+03:00)
                       --until DATE    up to and including this UTC day or instant
                       --limit N       at most N events (default 50, at most 10000)
                       --json          one JSON object per line
  audit verify       Check the audit hash chain; exits with status 1 if it is broken.
  people block ID    Block the person with this external id: no sign-in, all
                     sessions ended, every service's tokens revoked.
  people unblock ID  Let a blocked person sign in again.
  help               Show this text.

Configuration comes from environment variables; see docs/configuration.md.`;

const KEY_SUBCOMMANDS = '`keys stage`, `keys activate`, `keys rotate` and `keys rotate-data`';

function keysCommand(config: Config, logger: Logger, subcommand: string | undefined): Promise<void> {
  switch (subcommand) {
    case 'stage':
      return stageKeysCommand(config, logger);
    case 'activate':
      return activateKeysCommand(config, logger);
    case 'rotate':
      return rotateKeysCommand(config, logger);
    case 'rotate-data':
      return rotateDataKeyCommand(config, logger);
    case undefined:
      throw new InputError(`Missing subcommand: the subcommands are ${KEY_SUBCOMMANDS}`);
    default:
      throw new InputError(`Unknown keys subcommand "${subcommand}": the subcommands are ${KEY_SUBCOMMANDS}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    console.log(USAGE);
    return;
  }

  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: config.env !== 'production' });
  switch (command) {
    case 'start': {
      // Loaded only here: oidc-provider prints its Node 20 warning on import,
      // which the other commands have no reason to show.
      const { startCommand } = await import('./start.js');
      return startCommand(config, logger, args);
    }
    case 'migrate':
      return migrateCommand(config, logger);
    case 'import':
      return importCommand(config, logger, args[0]);
    case 'people':
      return peopleCommand(config, logger, args);
    case 'audit':
      return auditCommand(config, logger, args);
    case 'keys':
      return keysCommand(config, logger, args[0]);
    default:
      throw new InputError(`Unknown command "${command}". Run \`propusk help\` for the list.`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof PropuskError) {
    // Operator-facing errors state what is wrong and what to do, so a stack adds nothing.
    console.error(error.message);
  } else if (code === 'EADDRINUSE' || code === 'EACCES') {
    const address = (error as { address?: string; port?: number }).address;
    const port = (error as { port?: number }).port;
    console.error(
      `Cannot listen on ${address ?? ''}:${port ?? ''} (${code}): another process uses the port, or it needs privileges. Stop that process or choose other ports with PORT and PROPUSK_DEMO_RP_PORT.`,
    );
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exitCode = 1;
});
