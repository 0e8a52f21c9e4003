// Where the emulator's loopback TLS certificate for the conformance tests lives (tests/conformance/.tls). MSAL only
// talks to https authorities, and Node reads NODE_EXTRA_CA_CERTS at process start, so lib/run-tests.js creates the
// certificate before it starts the test processes. Run directly (`node lib/prepare-tls.js`) it only creates it.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from './emulator.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const tlsDir = path.resolve(here, '..', '.tls');
export const tlsPfx = path.join(tlsDir, 'emulator.pfx');
export const tlsPem = path.join(tlsDir, 'emulator-ca.pem');

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  mkdirSync(tlsDir, { recursive: true });
  const emulator = await startEmulator(['--crm', 'dynamics', '--cert', tlsPfx, '--cert-out', tlsPem], { url: 'https://127.0.0.1:0' });
  await emulator.stop();
  console.log(`emulator certificate: ${tlsPem}`);
}
