// Creates (or renews) the emulator's loopback TLS certificate in tests/conformance/.tls before the tests start, so
// `npm test` can hand it to Node through NODE_EXTRA_CA_CERTS. MSAL only talks to https authorities, and Node reads
// NODE_EXTRA_CA_CERTS at process start, so the certificate must exist before the test processes do.
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
