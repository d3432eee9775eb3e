import { loadConfig } from '../config/load.js';
import { InputError, PropuskError } from '../errors/index.js';
import { createLogger } from '../logging/logger.js';
import { importCommand, migrateCommand, rotateKeysCommand } from './commands.js';

const USAGE = `Usage: propusk <command>

Commands:
  start              Start the server (runs migrations first).
  migrate            Apply pending database migrations and exit.
  import FILE.json   Create or update organizations, services and people from a file.
  keys rotate        Make a new generation of signing and cookie keys current.
  help               Show this text.

Configuration comes from environment variables; see docs/configuration.md.`;

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
      return startCommand(config, logger);
    }
    case 'migrate':
      return migrateCommand(config, logger);
    case 'import':
      return importCommand(config, logger, args[0]);
    case 'keys':
      if (args[0] === 'rotate') {
        return rotateKeysCommand(config, logger);
      }
      throw new InputError(`Unknown keys subcommand "${args[0] ?? ''}": the only one is \`keys rotate\``);
    default:
      throw new InputError(`Unknown command "${command}". Run \`propusk help\` for the list.`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof PropuskError) {
    // Operator-facing errors say what is wrong and what to do; a stack adds nothing.
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
