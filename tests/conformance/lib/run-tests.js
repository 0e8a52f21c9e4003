// `npm test`: creates the emulator's TLS certificate (lib/prepare-tls.js), then runs every test file with node:test in
// a child process that trusts it through NODE_EXTRA_CA_CERTS (read by Node only at start). Works the same on every OS.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from './emulator.js';
import { tlsDir, tlsPfx, tlsPem } from './prepare-tls.js';

const conformanceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const files = ['test/jsforce.test.js', 'test/jsforce-clients.test.js', 'test/dynamics.test.js'];

mkdirSync(tlsDir, { recursive: true });
const emulator = await startEmulator(['--crm', 'dynamics', '--cert', tlsPfx, '--cert-out', tlsPem], { url: 'https://127.0.0.1:0' });
await emulator.stop();

const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files], {
  cwd: conformanceDir,
  stdio: 'inherit',
  env: { ...process.env, NODE_EXTRA_CA_CERTS: tlsPem },
});
process.exit(run.status ?? 1);
