// Starts the CrmSync emulator as a child process on a free port and stops it afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..', '..', '..');
const project = path.join(repo, 'src', 'CrmSync.Emulator');

function findDll() {
  if (process.env.CRMSYNC_EMULATOR_DLL) return process.env.CRMSYNC_EMULATOR_DLL;
  // The most recently built configuration (CI builds Release; developers often Debug).
  const built = ['Debug', 'Release']
    .map((config) => path.join(project, 'bin', config, 'net8.0', 'CrmSync.Emulator.dll'))
    .filter((dll) => existsSync(dll))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (built.length > 0) return built[0];
  const build = spawnSync('dotnet', ['build', project, '-c', 'Debug', '-v', 'q', '-nologo'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('dotnet build of the emulator failed');
  return path.join(project, 'bin', 'Debug', 'net8.0', 'CrmSync.Emulator.dll');
}

export const credentials = {
  username: 'sync@crmsync.emulator',
  password: 'password',
  token: 'emulatortoken',
  clientId: 'crmsync-emulator-consumer-key',
  clientSecret: 'crmsync-emulator-consumer-secret',
};

/** Starts an emulator (http by default; pass { url: 'https://127.0.0.1:0' } plus --cert-out for TLS); resolves to { baseUrl, admin(), stop() }. */
export async function startEmulator(extraArgs = [], { url = 'http://127.0.0.1:0' } = {}) {
  const dll = findDll();
  const child = spawn('dotnet', [dll, '--urls', url, '--admin', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const baseUrl = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulator did not start:\n' + output)), 30000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const m = output.match(/listening on (https?:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`emulator exited with ${code}:\n${output}`)); });
  });
  return {
    baseUrl,
    async admin(method, pathAndQuery, body) {
      const res = await fetch(baseUrl + '/_emulator' + pathAndQuery, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`admin ${method} ${pathAndQuery} -> ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.on('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}
