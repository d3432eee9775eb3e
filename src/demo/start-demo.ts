import { readFileSync } from 'node:fs';
import { importRecords } from '../importer/index.js';
import type { Runtime } from '../server/runtime.js';
import { demoAccounts } from './demo-accounts.js';
import { demoRelyingPartyBaseUrl, startDemoRelyingParty, type DemoService } from './relying-party/server.js';

export interface DemoHandle {
  /** Print the addresses and the demo logins; called once Propusk listens, so that they work when shown. */
  announce(): void;
  close(): Promise<void>;
}

interface DemoFile {
  services: Array<{ client_id: string; client_secret: string; display_name: string }>;
}

const DEMO_FILE = new URL('./demo-data.json', import.meta.url);
/** Relying-party origin written in the demo file. */
const DEMO_FILE_RP_BASE = 'http://localhost:3001';

const ENGLISH_NAMES: Record<string, string> = {
  zhurnal: 'Journal',
  dnevnik: 'Diary',
  biblioteka: 'Library',
  portfolio: 'Portfolio',
  spravka: 'Help desk',
};

/**
 * Demo mode: load the demo school (on every start, see below), start the demo relying
 * party that plays the five services, and return a handle that prints the demo logins.
 */
export async function loadDemo(runtime: Runtime): Promise<DemoHandle> {
  const { config, logger, store } = runtime;
  const rpBase = demoRelyingPartyBaseUrl(config.issuer, config.demoRelyingPartyPort);
  // The file is written for the default port; the services' URLs follow the configured one.
  const text = readFileSync(DEMO_FILE, 'utf8').replaceAll(DEMO_FILE_RP_BASE, rpBase);
  const data = JSON.parse(text) as DemoFile;

  // Importing again on every start is harmless (it never resets a password)
  // and repairs the demo after a port change or an import over its records.
  const summary = await importRecords(store, runtime, data);
  logger.info({ people: summary.people, services: summary.services }, 'demo data loaded');

  const services: DemoService[] = data.services.map((service) => ({
    clientId: service.client_id,
    clientSecret: service.client_secret,
    displayName: service.display_name,
    displayNameEn: ENGLISH_NAMES[service.client_id] ?? service.display_name,
    path: service.client_id,
  }));
  const relyingParty = await startDemoRelyingParty({
    issuer: config.issuer,
    port: config.demoRelyingPartyPort,
    host: config.host,
    services,
    logger: logger.child({ component: 'demo-rp' }),
  });

  const lines = demoAccounts().map((account) => `  ${account.who}: ${account.login} / ${account.password}`);
  return {
    announce() {
      // Printed to the console, not the log: no phone or e-mail goes into a log line, not even a demo one. The log
      // lines pass through pino-pretty on a worker thread, so this may show just above "Propusk is listening",
      // but it is printed only after the server listens.
      console.log(['', `Propusk demo: ${config.issuer}/`, `Demo school services: ${relyingParty.url}/`, 'Demo accounts:', ...lines, ''].join('\n'));
    },
    close: () => relyingParty.close(),
  };
}
