// Proves that the real jsforce client (npm) accepts the CrmSync emulator as a Salesforce org.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jsforce from 'jsforce';
import { startEmulator, credentials } from '../lib/emulator.js';

const VERSION = '59.0';
let emulator;

before(async () => {
  emulator = await startEmulator(['--seed', 'lead=450,contact=40,account=10,campaign=2,member=10', '--seed-value', 'conformance']);
});

after(async () => {
  await emulator?.stop();
});

async function soapLogin() {
  const conn = new jsforce.Connection({ loginUrl: emulator.baseUrl, version: VERSION });
  await conn.login(credentials.username, credentials.password + credentials.token);
  return conn;
}

function collect(stream) {
  return new Promise((resolve, reject) => {
    const records = [];
    stream.on('record', (r) => records.push(r));
    stream.on('end', () => resolve(records));
    stream.on('error', reject);
  });
}

test('SOAP login sets instance URL, session and ids', async () => {
  const conn = await soapLogin();
  assert.equal(conn.instanceUrl, emulator.baseUrl);
  assert.match(conn.accessToken, /^00D\w{12}!/);
  assert.match(conn.userInfo.id, /^005\w{15}$/);
  assert.match(conn.userInfo.organizationId, /^00D\w{15}$/);
});

test('SOAP login with a wrong password fails with INVALID_LOGIN', async () => {
  const conn = new jsforce.Connection({ loginUrl: emulator.baseUrl, version: VERSION });
  await assert.rejects(conn.login(credentials.username, 'wrong' + credentials.token), /INVALID_LOGIN/);
});

test('OAuth username-password login works and a wrong password is invalid_grant', async () => {
  const oauth2 = { loginUrl: emulator.baseUrl, clientId: credentials.clientId, clientSecret: credentials.clientSecret };
  const conn = new jsforce.Connection({ oauth2, version: VERSION });
  const info = await conn.login(credentials.username, credentials.password + credentials.token);
  assert.match(info.id, /^005/);
  assert.equal(conn.instanceUrl, emulator.baseUrl);
  const res = await conn.query('SELECT COUNT() FROM Lead');
  assert.equal(res.totalSize, 450);
  const bad = new jsforce.Connection({ oauth2, version: VERSION });
  await assert.rejects(bad.login(credentials.username, 'nope'), (err) => /invalid_grant|authentication failure/.test(String(err.name) + String(err.message)));
});

test('describeGlobal and describe', async () => {
  const conn = await soapLogin();
  const global = await conn.describeGlobal();
  const names = global.sobjects.map((s) => s.name);
  for (const n of ['Lead', 'Contact', 'Account', 'Opportunity', 'Campaign', 'CampaignMember', 'Invoice__c']) assert.ok(names.includes(n), n);
  assert.equal(global.sobjects.find((s) => s.name === 'Lead').keyPrefix, '00Q');
  const lead = await conn.describe('Lead');
  const field = (n) => lead.fields.find((f) => f.name === n);
  assert.equal(field('SystemModstamp').type, 'datetime');
  assert.equal(field('SystemModstamp').updateable, false);
  assert.equal(field('CrmSync_Key__c').externalId, true);
  assert.equal(field('Days_Since_Created__c').calculated, true);
  assert.deepEqual(field('Status').picklistValues.map((p) => p.value), ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted']);
  await assert.rejects(conn.describe('NoSuchObject__c'), /NOT_FOUND|requested resource does not exist/);
});

test('query with autoFetch pages through nextRecordsUrl', async () => {
  const conn = await soapLogin();
  const pages = [];
  const query = conn.query('SELECT Id, Name, Email, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id', {
    autoFetch: true, maxFetch: 100000, headers: { 'Sforce-Query-Options': 'batchSize=200' },
  });
  const records = [];
  query.on('record', (r) => records.push(r));
  query.on('fetch', () => pages.push(1));
  await query.run({ autoFetch: true, maxFetch: 100000, headers: { 'Sforce-Query-Options': 'batchSize=200' } });
  assert.equal(records.length, 450);
  assert.equal(new Set(records.map((r) => r.Id)).size, 450);
  assert.ok(pages.length >= 3, `expected at least 3 pages, got ${pages.length}`);
  assert.match(records[0].SystemModstamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
});

test('a malformed query is rejected with MALFORMED_QUERY', async () => {
  const conn = await soapLogin();
  await assert.rejects(conn.query('SELEC Id FROM Lead'), (err) => err.errorCode === 'MALFORMED_QUERY');
  await assert.rejects(conn.query('SELECT Nope__c FROM Lead'), (err) => err.errorCode === 'INVALID_FIELD');
});

test('create, update, retrieve and destroy single records', async () => {
  const conn = await soapLogin();
  const created = await conn.sobject('Lead').create({ LastName: 'Single', Company: 'Conformance Inc' });
  assert.equal(created.success, true);
  await conn.sobject('Lead').update({ Id: created.id, Title: 'CTO' });
  const lead = await conn.sobject('Lead').retrieve(created.id);
  assert.equal(lead.Title, 'CTO');
  assert.equal(lead.Name, 'Single');
  await assert.rejects(conn.sobject('Lead').create({ LastName: 'NoCompany' }), (err) => err.errorCode === 'REQUIRED_FIELD_MISSING');
  const destroyed = await conn.sobject('Lead').destroy(created.id);
  assert.equal(destroyed.success, true);
});

test('collections: many records with a partial failure, update and delete', async () => {
  const conn = await soapLogin();
  const input = Array.from({ length: 150 }, (_, i) => ({ LastName: `Bulk${i}`, Company: `Co ${i}` }));
  input[7] = { LastName: 'Broken' }; // no Company
  const results = await conn.sobject('Lead').create(input, { allOrNone: false });
  assert.equal(results.length, 150);
  assert.equal(results.filter((r) => r.success).length, 149);
  assert.equal(results[7].success, false);
  assert.equal(results[7].errors[0].statusCode, 'REQUIRED_FIELD_MISSING');
  const ids = results.filter((r) => r.success).map((r) => r.id);
  const updated = await conn.sobject('Lead').update(ids.map((Id) => ({ Id, Rating: 'Hot' })));
  assert.ok(updated.every((r) => r.success));
  const rolledBack = await conn.sobject('Lead').create([{ LastName: 'A', Company: 'B' }, { LastName: 'C' }], { allOrNone: true });
  assert.equal(rolledBack[0].errors[0].statusCode, 'ALL_OR_NONE_OPERATION_ROLLED_BACK');
  const deleted = await conn.sobject('Lead').destroy(ids);
  assert.ok(deleted.every((r) => r.success));
  const all = await conn.query(`SELECT Id, IsDeleted FROM Lead WHERE Id = '${ids[0]}'`, { scanAll: true });
  assert.equal(all.totalSize, 1);
  assert.equal(all.records[0].IsDeleted, true);
  const visible = await conn.query(`SELECT Id FROM Lead WHERE Id = '${ids[0]}'`);
  assert.equal(visible.totalSize, 0);
});

test('upsert on the External ID field: create then update, single and many', async () => {
  const conn = await soapLogin();
  const first = await conn.sobject('Lead').upsert({ CrmSync_Key__c: 'conf-1', LastName: 'Up', Company: 'Sert' }, 'CrmSync_Key__c');
  assert.equal(first.success, true);
  assert.equal(first.created, true);
  const second = await conn.sobject('Lead').upsert({ CrmSync_Key__c: 'conf-1', Title: 'Boss' }, 'CrmSync_Key__c');
  assert.equal(second.created, false);
  const many = await conn.sobject('Lead').upsert([
    { CrmSync_Key__c: 'conf-1', Title: 'Again' },
    { CrmSync_Key__c: 'conf-2', LastName: 'Two', Company: 'Co' },
  ], 'CrmSync_Key__c');
  assert.deepEqual(many.map((r) => r.created), [false, true]);
  const res = await conn.query("SELECT Title FROM Lead WHERE CrmSync_Key__c = 'conf-1'");
  assert.equal(res.records[0].Title, 'Again');
});

test('updated and deleted resources report changes in their window', async () => {
  const conn = await soapLogin();
  const start = new Date(Date.now() - 5 * 60 * 1000);
  const { id } = await conn.sobject('Contact').create({ LastName: 'Window' });
  await conn.sobject('Contact').destroy(id);
  // The replication resources ignore seconds and never cover the current minute: move the clock.
  await emulator.admin('POST', '/clock/advance', { seconds: 120 });
  const end = new Date(Date.now() + 3 * 60 * 1000);
  const deleted = await conn.sobject('Contact').deleted(start, end);
  assert.ok(deleted.deletedRecords.some((d) => d.id === id));
  assert.match(deleted.earliestDateAvailable, /\+0000$/);
  const { id: kept } = await conn.sobject('Contact').create({ LastName: 'Kept' });
  await emulator.admin('POST', '/clock/advance', { seconds: 120 });
  const updated = await conn.sobject('Contact').updated(start, new Date(Date.now() + 6 * 60 * 1000));
  assert.ok(updated.ids.includes(kept));
  assert.match(updated.latestDateCovered, /\+0000$/);
});

test('Bulk API 2.0 query returns every record', async () => {
  const conn = await soapLogin();
  conn.bulk2.pollInterval = 50;
  const stream = await conn.bulk2.query('SELECT Id, Name, Email, IsConverted FROM Lead', { pollInterval: 50, pollTimeout: 20000 });
  const records = await collect(stream);
  const count = await conn.query('SELECT COUNT() FROM Lead');
  assert.equal(records.length, count.totalSize);
  assert.match(records[0].Id, /^00Q/);
});

test('limits and the Sforce-Limit-Info header', async () => {
  const conn = await soapLogin();
  const limits = await conn.limits();
  assert.equal(limits.DailyApiRequests.Max, 15000);
  assert.ok(limits.DailyApiRequests.Remaining < 15000);
  assert.ok(conn.limitInfo?.apiUsage?.used > 0);
});

test('lead conversion and merge through the SOAP partner API', async () => {
  const conn = await soapLogin();
  const { id: leadId } = await conn.sobject('Lead').create({ FirstName: 'Con', LastName: 'Vert', Company: 'Convert Co', Email: 'con@vert.example' });
  const result = await conn.soap.convertLead({ leadId, convertedStatus: 'Closed - Converted', doNotCreateOpportunity: true });
  assert.equal(result.success, true);
  assert.match(result.contactId, /^003/);
  const lead = await conn.sobject('Lead').retrieve(leadId);
  assert.equal(lead.IsConverted, true);
  assert.equal(lead.ConvertedContactId, result.contactId);
  const [a, b] = await conn.sobject('Lead').create([{ LastName: 'Master', Company: 'M' }, { LastName: 'Dupe', Company: 'M' }]);
  const merged = await conn.soap.merge({ masterRecord: { type: 'Lead', Id: a.id }, recordToMergeIds: [b.id] });
  assert.equal(merged.success, true);
  const gone = await conn.query(`SELECT Id, IsDeleted, MasterRecordId FROM Lead WHERE Id = '${b.id}'`, { scanAll: true });
  assert.equal(gone.records[0].IsDeleted, true);
  assert.equal(gone.records[0].MasterRecordId, a.id);
});

test('an expired session is refused with INVALID_SESSION_ID, and a logged-in client re-authenticates', async () => {
  const conn = await soapLogin();
  const bare = new jsforce.Connection({ instanceUrl: conn.instanceUrl, accessToken: conn.accessToken, version: VERSION });
  await bare.query('SELECT Id FROM Lead LIMIT 1');
  const { expired } = await emulator.admin('POST', '/sessions/expire');
  assert.ok(expired >= 2);
  await assert.rejects(bare.query('SELECT Id FROM Lead LIMIT 1'), (err) => err.errorCode === 'INVALID_SESSION_ID');
  // jsforce keeps the username/password of login() and logs in again on 401.
  const res = await conn.query('SELECT Id FROM Lead LIMIT 1');
  assert.equal(res.records.length, 1);
});
