// More of what real clients call, through jsforce: identity, userinfo, the resource map, trailing-slash URLs,
// composite batch, and TLS with the emulator's own certificate trusted via NODE_EXTRA_CA_CERTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import jsforce from 'jsforce';
import { startEmulator, credentials } from '../lib/emulator.js';

const VERSION = '59.0';
const conformanceDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let emulator;

before(async () => {
  emulator = await startEmulator(['--seed', 'lead=30', '--seed-value', 'clients']);
});

after(async () => {
  await emulator?.stop();
});

async function soapLogin(baseUrl = emulator.baseUrl) {
  const conn = new jsforce.Connection({ loginUrl: baseUrl, version: VERSION });
  await conn.login(credentials.username, credentials.password + credentials.token);
  return conn;
}

test('identity() after SOAP and OAuth login returns the user and org', async () => {
  const soap = await soapLogin();
  const viaSoap = await soap.identity();
  assert.equal(viaSoap.user_id, soap.userInfo.id);
  assert.equal(viaSoap.organization_id, soap.userInfo.organizationId);
  assert.equal(viaSoap.username, credentials.username);
  assert.ok(viaSoap.display_name);
  assert.ok(viaSoap.urls.rest.startsWith(emulator.baseUrl));

  const oauth2 = { loginUrl: emulator.baseUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret };
  const conn = new jsforce.Connection({ oauth2, version: VERSION });
  await conn.login(credentials.username, credentials.password + credentials.token);
  const viaOAuth = await conn.identity();
  assert.equal(viaOAuth.user_id, viaSoap.user_id);
});

test('userinfo and the resource map', async () => {
  const conn = await soapLogin();
  const info = await conn.request('/services/oauth2/userinfo');
  assert.equal(info.user_id, conn.userInfo.id);
  assert.equal(info.preferred_username, credentials.username);
  const map = await conn.request(`/services/data/v${VERSION}/`);
  for (const key of ['sobjects', 'query', 'queryAll', 'limits', 'composite', 'jobs']) {
    assert.equal(map[key], `/services/data/v${VERSION}/${key}`);
  }
  assert.ok(map.identity.endsWith(`/id/${conn.userInfo.organizationId}/${conn.userInfo.id}`));
  const basic = await conn.request(`/services/data/v${VERSION}/sobjects/Lead`);
  assert.equal(basic.objectDescribe.keyPrefix, '00Q');
  assert.ok(Array.isArray(basic.recentItems));
});

test('trailing slashes and form-encoded q as simple-salesforce builds them', async () => {
  const conn = await soapLogin();
  const count = await conn.request(`/services/data/v${VERSION}/query/?q=SELECT+COUNT()+FROM+Lead`);
  assert.equal(count.totalSize, 30);
  const global = await conn.request(`/services/data/v${VERSION}/sobjects/`);
  assert.ok(global.sobjects.some((s) => s.name === 'Lead'));
  const describe = await conn.request(`/services/data/v${VERSION}/sobjects/Lead/describe/`);
  assert.equal(describe.name, 'Lead');
});

test('composite batch runs subrequests and reports hasErrors', async () => {
  const conn = await soapLogin();
  const res = await conn.requestPost(`/services/data/v${VERSION}/composite/batch`, {
    batchRequests: [
      { method: 'POST', url: `v${VERSION}/sobjects/Lead`, richInput: { LastName: 'Batch', Company: 'jsforce' } },
      { method: 'GET', url: `v${VERSION}/query?q=SELECT+COUNT()+FROM+Lead+WHERE+Company+=+'jsforce'` },
      { method: 'GET', url: `v${VERSION}/sobjects/Nope__c/describe` },
    ],
  });
  assert.equal(res.hasErrors, true);
  assert.equal(res.results[0].statusCode, 201);
  assert.equal(res.results[1].result.totalSize, 1);
  assert.equal(res.results[2].statusCode, 404);
  assert.equal(res.results[2].result[0].errorCode, 'NOT_FOUND');
});

test('https: jsforce trusts the emulator certificate through NODE_EXTRA_CA_CERTS', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'crmsync-tls-'));
  const pem = path.join(folder, 'emulator-ca.pem');
  const tls = await startEmulator(['--cert', path.join(folder, 'tls.pfx'), '--cert-out', pem, '--seed', 'lead=7'], { url: 'https://127.0.0.1:0' });
  try {
    assert.match(tls.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(readFileSync(pem, 'utf8'), /^-----BEGIN CERTIFICATE-----/);
    // NODE_EXTRA_CA_CERTS is read at process start, so the client runs in a child node process.
    const script = `
      import jsforce from 'jsforce';
      const conn = new jsforce.Connection({ loginUrl: process.env.LOGIN_URL, version: '${VERSION}' });
      await conn.login(process.env.SF_USER, process.env.SF_PASS);
      const res = await conn.query('SELECT Id FROM Lead');
      console.log(JSON.stringify({ instanceUrl: conn.instanceUrl, totalSize: res.totalSize }));`;
    const env = { ...process.env, LOGIN_URL: tls.baseUrl, SF_USER: credentials.username, SF_PASS: credentials.password + credentials.token };
    delete env.NODE_TLS_REJECT_UNAUTHORIZED;
    const run = (extra) => spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: conformanceDir, env: { ...env, ...extra }, encoding: 'utf8' });
    const trusted = run({ NODE_EXTRA_CA_CERTS: pem });
    assert.equal(trusted.status, 0, trusted.stderr);
    const out = JSON.parse(trusted.stdout.trim().split('\n').pop());
    assert.equal(out.instanceUrl, tls.baseUrl);
    assert.equal(out.totalSize, 7);
    // Without the certificate, TLS validation refuses the self-signed emulator.
    const env2 = { ...env };
    delete env2.NODE_EXTRA_CA_CERTS;
    const untrusted = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: conformanceDir, env: env2, encoding: 'utf8' });
    assert.notEqual(untrusted.status, 0);
    assert.match(untrusted.stderr, /self[- ]signed|certificate/i);
  } finally {
    await tls.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
