// Proves that the real Dataverse clients dynamics-web-api (2.5.0) and @azure/msal-node (7.2.1) accept the CrmSync
// emulator started with --crm dynamics: MSAL gets tokens from the emulator's Entra ID endpoint (client credentials and
// ROPC) and dynamics-web-api reads, pages, tracks changes, writes, batches and reads metadata, unpatched.
// The emulator runs on https (MSAL only accepts https authorities); `npm test` trusts its certificate through
// NODE_EXTRA_CA_CERTS (lib/run-tests.js creates it first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import { DynamicsWebApi } from 'dynamics-web-api';
import { startEmulator } from '../lib/emulator.js';
import { tlsPfx, tlsPem } from '../lib/prepare-tls.js';

const tenantId = '6d1f1c2e-5a3b-4c8d-9e0f-1a2b3c4d5e6f';
const clientId = '5e3c9a77-2f4b-4b61-9c3d-7a8b9c0d1e2f';
const clientSecret = 'crmsync-emulator-client-secret';
const syncUser = 'sync@crmsync.onmicrosoft.test';
const password = 'CrmSync-Emulator-1';

let emulator;
let orgUrl;
let info;

before(async () => {
  if (!process.env.NODE_EXTRA_CA_CERTS) {
    throw new Error('Run through `npm test` (it trusts the emulator certificate via NODE_EXTRA_CA_CERTS).');
  }
  emulator = await startEmulator(
    ['--crm', 'dynamics', '--cert', tlsPfx, '--cert-out', tlsPem,
      '--seed', 'lead=23,contact=12,account=5,opportunity=3,systemuser=2,list=2,listmember=4,custom=3', '--seed-value', 'dynamics'],
    { url: 'https://127.0.0.1:0' });
  orgUrl = emulator.baseUrl;
  info = await emulator.admin('GET', '/dynamics/info');
});

after(async () => {
  await emulator?.stop();
});

function authority() {
  return { authority: `${orgUrl}/${tenantId}`, knownAuthorities: [new URL(orgUrl).host] };
}

async function appToken() {
  const cca = new ConfidentialClientApplication({ auth: { clientId, clientSecret, ...authority() } });
  return cca.acquireTokenByClientCredential({ scopes: [`${orgUrl}/.default`] });
}

async function userToken(username = syncUser, pwd = password) {
  const pca = new PublicClientApplication({ auth: { clientId, ...authority() } });
  return pca.acquireTokenByUsernamePassword({ scopes: [`${orgUrl}/user_impersonation`], username, password: pwd });
}

function client(tokenSource = appToken) {
  return new DynamicsWebApi({
    serverUrl: orgUrl,
    dataApi: { version: '9.2' },
    onTokenRefresh: async () => (await tokenSource()).accessToken,
  });
}

test('msal-node: client credentials token for the Application User; WhoAmI answers its systemuserid', async () => {
  const result = await appToken();
  assert.equal(result.tokenType, 'Bearer');
  assert.ok(result.accessToken.split('.').length === 3);
  assert.ok(result.expiresOn > new Date(Date.now() + 50 * 60 * 1000), 'about one hour');
  const who = await client().callFunction({ functionName: 'WhoAmI' });
  assert.equal(who.UserId, info.applicationUser.id);
  assert.equal(who.OrganizationId, info.organizationId);
  assert.equal(who.BusinessUnitId, info.businessUnitId);
});

test('msal-node: ROPC token for the sync user (account from id_token); WhoAmI is the sync user', async () => {
  const result = await userToken();
  assert.equal(result.account.username, syncUser);
  assert.equal(result.tenantId, tenantId);
  const who = await client(() => userToken()).callFunction({ functionName: 'WhoAmI' });
  assert.equal(who.UserId, info.syncUser.id);
  // acquireTokenSilent with forceRefresh redeems the refresh token (grant_type=refresh_token).
  const pca = new PublicClientApplication({ auth: { clientId, ...authority() } });
  const first = await pca.acquireTokenByUsernamePassword({ scopes: [`${orgUrl}/user_impersonation`], username: syncUser, password });
  const refreshed = await pca.acquireTokenSilent({ account: first.account, scopes: [`${orgUrl}/user_impersonation`], forceRefresh: true });
  assert.notEqual(refreshed.accessToken, first.accessToken);
  const again = await client(async () => refreshed).callFunction({ functionName: 'WhoAmI' });
  assert.equal(again.UserId, info.syncUser.id);
});

test('msal-node: ROPC through a confidential client (client secret sent) and authority metadata given as configuration', async () => {
  const cca = new ConfidentialClientApplication({ auth: { clientId, clientSecret, ...authority() } });
  const ropc = await cca.acquireTokenByUsernamePassword({ scopes: [`${orgUrl}/.default`], username: syncUser, password });
  assert.equal(ropc.account.username, syncUser);
  // No discovery requests at all: the OpenID configuration and instance metadata come from configuration.
  const openid = await (await fetch(`${orgUrl}/${tenantId}/v2.0/.well-known/openid-configuration`)).text();
  const instance = await (await fetch(`${orgUrl}/common/discovery/instance?api-version=1.1`)).text();
  const offline = new ConfidentialClientApplication({
    auth: { clientId, clientSecret, authority: `${orgUrl}/${tenantId}`, authorityMetadata: openid, cloudDiscoveryMetadata: instance },
  });
  const app = await offline.acquireTokenByClientCredential({ scopes: [`${orgUrl}/.default`] });
  const who = await new DynamicsWebApi({ serverUrl: orgUrl, onTokenRefresh: async () => app.accessToken }).callFunction({ functionName: 'WhoAmI' });
  assert.equal(who.UserId, info.applicationUser.id);
});

test('msal-node: Entra error bodies (invalid_grant AADSTS50126, invalid_client AADSTS7000215, unauthorized_client AADSTS700016)', async () => {
  await assert.rejects(userToken(syncUser, 'wrong'), (e) => e.errorCode === 'invalid_grant' && /AADSTS50126/.test(e.errorMessage));
  const badSecret = new ConfidentialClientApplication({ auth: { clientId, clientSecret: 'nope', ...authority() } });
  await assert.rejects(badSecret.acquireTokenByClientCredential({ scopes: [`${orgUrl}/.default`] }),
    (e) => e.errorCode === 'invalid_client' && /AADSTS7000215/.test(e.errorMessage));
  const badApp = new ConfidentialClientApplication({ auth: { clientId: '11111111-2222-3333-4444-555555555555', clientSecret, ...authority() } });
  await assert.rejects(badApp.acquireTokenByClientCredential({ scopes: [`${orgUrl}/.default`] }),
    (e) => e.errorCode === 'unauthorized_client' && /AADSTS700016/.test(e.errorMessage));
});

test('unauthenticated Organization.svc probe and Web API call answer 401 with the Bearer authorization_uri', async () => {
  const probe = await fetch(`${orgUrl}/XRMServices/2011/Organization.svc/web?SDKClientVersion=9.2.49.3165`);
  assert.equal(probe.status, 401);
  assert.match(probe.headers.get('www-authenticate'), new RegExp(`^Bearer authorization_uri=${orgUrl}/${tenantId}/oauth2/authorize`));
  const api = await fetch(`${orgUrl}/api/data/v9.2/WhoAmI`);
  assert.equal(api.status, 401);
  assert.match(api.headers.get('www-authenticate'), /authorization_uri=/);
});

test('retrieveMultiple: $select, $filter, $orderby, $top, $count and formatted values', async () => {
  const api = client();
  const res = await api.retrieveMultiple({
    collection: 'leads',
    select: ['fullname', 'lastname', 'leadsourcecode', '_ownerid_value', 'new_synctomkto'],
    filter: "statecode eq 0 and lastname ne null",
    orderBy: ['lastname asc', 'firstname desc'],
    count: true,
    includeAnnotations: 'OData.Community.Display.V1.FormattedValue',
    top: 5,
  });
  assert.equal(res.value.length, 5);
  assert.equal(res.oDataCount, 23);
  const names = res.value.map((l) => l.lastname);
  assert.deepEqual(names, [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
  const lead = res.value[0];
  assert.match(lead['@odata.etag'], /^W\/"\d+"$/);
  assert.ok(lead.leadid);
  assert.equal(typeof lead['leadsourcecode@OData.Community.Display.V1.FormattedValue'], 'string');
  assert.equal(typeof lead['_ownerid_value@OData.Community.Display.V1.FormattedValue'], 'string');
  const one = await api.retrieve({ collection: 'leads', key: lead.leadid, select: ['fullname'] });
  assert.equal(one.fullname, lead.fullname);
});

test('retrieveAll with maxPageSize follows @odata.nextLink ($skiptoken) through every page', async () => {
  const api = client();
  const page1 = await api.retrieveMultiple({ collection: 'leads', select: ['lastname'], maxPageSize: 10 });
  assert.equal(page1.value.length, 10);
  assert.match(page1.oDataNextLink, /\$skiptoken=%3Ccookie%20pagenumber=%222%22/);
  const all = await api.retrieveAll({ collection: 'leads', select: ['lastname'], maxPageSize: 10 });
  assert.equal(all.value.length, 23);
  assert.equal(new Set(all.value.map((l) => l.leadid)).size, 23);
});

test('change tracking: initial load gives a deltaLink; the delta returns new/changed rows, then $deletedEntity rows', async () => {
  const api = client();
  const initial = await api.retrieveAll({ collection: 'contacts', select: ['firstname', 'lastname'], trackChanges: true, maxPageSize: 5 });
  assert.equal(initial.value.length, 12);
  assert.match(initial.oDataDeltaLink, /\$deltatoken=\d+%21/);
  const [first, second] = initial.value;
  const createdId = await api.create({ collection: 'contacts', data: { firstname: 'Delta', lastname: 'New' } });
  await api.update({ collection: 'contacts', key: first.contactid, data: { firstname: 'Changed' } });
  await api.deleteRecord({ collection: 'contacts', key: second.contactid });
  const delta = await api.retrieveMultiple({ collection: 'contacts' }, initial.oDataDeltaLink);
  assert.match(delta.oDataContext, /\/\$delta$/);
  const changed = delta.value.filter((v) => v.contactid);
  const deleted = delta.value.filter((v) => v.reason === 'deleted');
  assert.deepEqual(new Set(changed.map((c) => c.contactid)), new Set([createdId, first.contactid]));
  assert.equal(changed.find((c) => c.contactid === first.contactid).firstname, 'Changed');
  assert.equal(deleted.length, 1);
  assert.equal(deleted[0].id, second.contactid);
  assert.match(deleted[0]['@odata.context'], /\$metadata#contacts\/\$deletedEntity$/);
  assert.ok(delta.value.indexOf(deleted[0]) > delta.value.indexOf(changed[changed.length - 1]), 'deletes come after changes');
  assert.ok(delta.oDataDeltaLink && delta.oDataDeltaLink !== initial.oDataDeltaLink);
  const quiet = await api.retrieveMultiple({ collection: 'contacts' }, delta.oDataDeltaLink);
  assert.equal(quiet.value.length, 0);
  // $filter is refused with change tracking, as Dataverse refuses it.
  await assert.rejects(api.retrieveMultiple({ collection: 'contacts', trackChanges: true, filter: 'statecode eq 0' }),
    (e) => e.status === 400 && /isn't supported when Change Tracking is enabled/.test(e.message));
});

test('create (204 + OData-EntityId, or 201 with representation), update with etags, delete', async () => {
  const api = client();
  const account = await api.create({ collection: 'accounts', data: { name: 'Conformance Inc', new_synctomkto: true }, returnRepresentation: true, select: ['name', 'accountid'] });
  assert.equal(account.name, 'Conformance Inc');
  assert.match(account['@odata.etag'], /^W\//);
  const id = await api.create({ collection: 'contacts', data: { firstname: 'Ada', lastname: 'Lovelace', 'parentcustomerid_account@odata.bind': `accounts(${account.accountid})` } });
  assert.match(id, /^[0-9a-f-]{36}$/);
  const contact = await api.retrieve({ collection: 'contacts', key: id, select: ['fullname', '_parentcustomerid_value', '_modifiedby_value'] });
  assert.equal(contact.fullname, 'Ada Lovelace');
  assert.equal(contact._parentcustomerid_value, account.accountid);
  assert.equal(contact._modifiedby_value, info.applicationUser.id);
  const updated = await api.update({ collection: 'contacts', key: id, data: { jobtitle: 'Analyst' }, ifmatch: contact['@odata.etag'], returnRepresentation: true, select: ['jobtitle'] });
  assert.equal(updated.jobtitle, 'Analyst');
  // A stale etag is a 412 on the wire; dynamics-web-api's update turns a 412 under If-Match into `false`.
  assert.equal(await api.update({ collection: 'contacts', key: id, data: { jobtitle: 'Stale' }, ifmatch: contact['@odata.etag'] }), false);
  assert.equal((await api.retrieve({ collection: 'contacts', key: id, select: ['jobtitle'] })).jobtitle, 'Analyst');
  const raw = await fetch(`${orgUrl}/api/data/v9.2/contacts(${id})`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${(await appToken()).accessToken}`, 'content-type': 'application/json', 'if-match': contact['@odata.etag'] },
    body: JSON.stringify({ jobtitle: 'Stale' }),
  });
  assert.equal(raw.status, 412);
  assert.deepEqual(await raw.json(), { error: { code: '', message: "The version of the existing record doesn't match the RowVersion property provided." } });
  await api.updateSingleProperty({ collection: 'contacts', key: id, fieldValuePair: { jobtitle: 'Lead Analyst' } });
  assert.equal((await api.retrieve({ collection: 'contacts', key: id, select: ['jobtitle'] })).jobtitle, 'Lead Analyst');
  const before = await api.count({ collection: 'contacts' });
  assert.equal(typeof before, 'number');
  assert.equal(await api.deleteRecord({ collection: 'contacts', key: id }), true);
  assert.equal(await api.count({ collection: 'contacts' }), before - 1);
  await assert.rejects(api.retrieve({ collection: 'contacts', key: id }), (e) => e.status === 404 && e.code === '0x80040217');
});

test('upsert by the CrmSync alternate key: create, update, If-None-Match/If-Match semantics', async () => {
  const api = client();
  const key = "new_crmsynckey='cs-001'";
  await api.upsert({ collection: 'leads', key, data: { lastname: 'Upserted', companyname: 'Keyed Ltd' } });
  const created = await api.retrieve({ collection: 'leads', key, select: ['lastname', 'new_crmsynckey'] });
  assert.equal(created.lastname, 'Upserted');
  assert.equal(created.new_crmsynckey, 'cs-001');
  const again = await api.upsert({ collection: 'leads', key, data: { lastname: 'Updated' }, returnRepresentation: true, select: ['lastname'] });
  assert.equal(again.lastname, 'Updated');
  // create-only on an existing key: the client swallows the 412 (returns null) as documented for upsert with ifnonematch
  assert.equal(await api.upsert({ collection: 'leads', key, data: { lastname: 'Nope' }, ifnonematch: '*' }), null);
  // update-only on a missing key: the client swallows the 404
  assert.equal(await api.upsert({ collection: 'leads', key: "new_crmsynckey='missing'", data: { lastname: 'X' }, ifmatch: '*' }), null);
  const after = await api.retrieve({ collection: 'leads', key, select: ['lastname'] });
  assert.equal(after.lastname, 'Updated');
  await assert.rejects(api.retrieve({ collection: 'leads', key: "new_crmsynckey='missing'" }), (e) => e.status === 404);
});

test('$batch: a change set with a Content-ID reference commits atomically; a failing change set rolls back', async () => {
  const api = client();
  api.startBatch();
  api.create({ collection: 'accounts', data: { name: 'Batch Parent' }, contentId: '1' });
  api.create({ collection: 'contacts', data: { lastname: 'Batch Child', 'parentcustomerid_account@odata.bind': '$1' } });
  const results = await api.executeBatch({ inChangeSet: true });
  assert.equal(results.length, 2);
  const [accountId, contactId] = results;
  const child = await api.retrieve({ collection: 'contacts', key: contactId, select: ['_parentcustomerid_value'] });
  assert.equal(child._parentcustomerid_value, accountId);

  const before = (await api.retrieveMultiple({ collection: 'accounts', select: ['name'], filter: "name eq 'Rolled Back'" })).value.length;
  api.startBatch();
  api.create({ collection: 'accounts', data: { name: 'Rolled Back' } });
  api.create({ collection: 'contacts', data: { lastname: 'x'.repeat(51) } });
  await assert.rejects(api.executeBatch({ inChangeSet: true }), (e) => {
    const error = Array.isArray(e) ? e.find((x) => x.status) : e;
    return error.status === 400 && (error.error?.code ?? error.code) === '0x80044331';
  });
  const afterCount = (await api.retrieveMultiple({ collection: 'accounts', select: ['name'], filter: "name eq 'Rolled Back'" })).value.length;
  assert.equal(afterCount, before);

  // Outside a change set (dynamics-web-api puts batched writes in one change set unless inChangeSet: false) with
  // continue-on-error: every request runs and answers for itself.
  api.startBatch();
  api.retrieveMultiple({ collection: 'accounts', select: ['name'], top: 1 });
  api.create({ collection: 'contacts', data: { lastname: 'y'.repeat(51) }, inChangeSet: false });
  api.create({ collection: 'contacts', data: { lastname: 'Kept' }, inChangeSet: false });
  const mixed = await api.executeBatch({ continueOnError: true });
  assert.equal(mixed.length, 3);
  assert.equal(mixed[0].value.length, 1);
  assert.equal(mixed[1].status, 400);
  assert.match(mixed[2], /^[0-9a-f-]{36}$/);
});

test('EntityDefinitions with Attributes, typed attribute casts with OptionSet, alternate Keys and the $metadata CSDL', async () => {
  const api = client();
  const lead = await api.retrieveEntity({
    key: "LogicalName='lead'",
    select: ['LogicalName', 'EntitySetName', 'PrimaryIdAttribute', 'ChangeTrackingEnabled'],
    expand: [{ property: 'Attributes', select: ['LogicalName', 'AttributeType', 'IsValidForRead', 'IsValidForCreate', 'IsValidForUpdate', 'RequiredLevel'] }],
  });
  assert.equal(lead.EntitySetName, 'leads');
  assert.equal(lead.PrimaryIdAttribute, 'leadid');
  assert.equal(lead.ChangeTrackingEnabled, true);
  const byName = Object.fromEntries(lead.Attributes.map((a) => [a.LogicalName, a]));
  assert.equal(byName.new_synctomkto.AttributeType, 'Boolean');
  assert.equal(byName.lastname.RequiredLevel.Value, 'ApplicationRequired');
  assert.equal(byName.createdon.IsValidForCreate, false);
  const picklists = await api.retrieveAttributes({ entityKey: "LogicalName='lead'", castType: 'Microsoft.Dynamics.CRM.PicklistAttributeMetadata', select: ['LogicalName'], expand: [{ property: 'OptionSet' }] });
  const source = picklists.value.find((a) => a.LogicalName === 'leadsourcecode');
  assert.ok(source.OptionSet.Options.some((o) => o.Value === 8 && o.Label.UserLocalizedLabel.Label === 'Web'));
  const strings = await api.retrieveAttributes({ entityKey: "LogicalName='contact'", castType: 'Microsoft.Dynamics.CRM.StringAttributeMetadata', select: ['LogicalName', 'MaxLength'] });
  assert.equal(strings.value.find((a) => a.LogicalName === 'lastname').MaxLength, 50);
  const tracked = await api.retrieveEntities({ select: ['LogicalName'], filter: 'ChangeTrackingEnabled eq true' });
  for (const name of ['lead', 'contact', 'account', 'opportunity', 'systemuser', 'list', 'listmember', 'new_invoice']) {
    assert.ok(tracked.value.some((e) => e.LogicalName === name), name);
  }
  const csdl = await api.retrieveCsdlMetadata();
  assert.match(csdl, /<EntitySet Name="leads" EntityType="Microsoft.Dynamics.CRM.lead"/);
  const keys = await api.retrieveEntity({ key: "LogicalName='contact'", select: ['LogicalName'], expand: [{ property: 'Keys' }] });
  assert.deepEqual(keys.Keys.map((k) => [k.KeyAttributes.join(','), k.EntityKeyIndexStatus]), [['new_crmsynckey', 'Active']]);
});

test('errors: validation (max length 0x80044331, unknown column 0x80060888), missing record 404, bad segment', async () => {
  const api = client();
  await assert.rejects(api.create({ collection: 'leads', data: { lastname: 'z'.repeat(51) } }),
    (e) => e.status === 400 && e.code === '0x80044331' && /exceeded the maximum allowed length of '50'/.test(e.message));
  await assert.rejects(api.create({ collection: 'leads', data: { lastname: 'ok', nosuchcolumn: 1 } }),
    (e) => e.status === 400 && e.code === '0x80060888');
  await assert.rejects(api.retrieve({ collection: 'accounts', key: '00000000-0000-0000-0000-000000000001' }),
    (e) => e.status === 404 && /Does Not Exist/.test(e.message));
  await assert.rejects(api.retrieveMultiple({ collection: 'Account' }), (e) => e.status === 404 && e.code === '0x8006088a');
});

test('QualifyLead creates a contact with originatingleadid and qualifies the lead; Merge deactivates the subordinate', async () => {
  const api = client(() => userToken());
  const leadId = await api.create({ collection: 'leads', data: { firstname: 'Qual', lastname: 'Ified', emailaddress1: 'q@example.com', companyname: 'Q Co' } });
  const result = await api.callAction({ collection: 'leads', key: leadId, actionName: 'Microsoft.Dynamics.CRM.QualifyLead',
    action: { CreateAccount: false, CreateContact: true, CreateOpportunity: false, Status: 3 } });
  const contact = result.value.find((r) => r['@odata.type'] === '#Microsoft.Dynamics.CRM.contact');
  const created = await api.retrieve({ collection: 'contacts', key: contact.contactid, select: ['emailaddress1', '_originatingleadid_value'] });
  assert.equal(created._originatingleadid_value, leadId);
  const lead = await api.retrieve({ collection: 'leads', key: leadId, select: ['statecode', 'statuscode'] });
  assert.deepEqual([lead.statecode, lead.statuscode], [1, 3]);

  const master = await api.create({ collection: 'accounts', data: { name: 'Master Co' } });
  const sub = await api.create({ collection: 'accounts', data: { name: 'Duplicate Co' } });
  await api.callAction({ actionName: 'Merge', action: {
    Target: { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: master },
    Subordinate: { '@odata.type': 'Microsoft.Dynamics.CRM.account', accountid: sub },
    UpdateContent: { '@odata.type': 'Microsoft.Dynamics.CRM.account', telephone1: '555-0100' },
    PerformParentingChecks: false } });
  const merged = await api.retrieve({ collection: 'accounts', key: sub, select: ['statecode', 'merged', '_masterid_value'] });
  assert.deepEqual([merged.statecode, merged.merged, merged._masterid_value], [1, true, master]);
  const target = await api.retrieve({ collection: 'accounts', key: master, select: ['telephone1', '_modifiedby_value'] });
  assert.equal(target.telephone1, '555-0100');
  assert.equal(target._modifiedby_value, info.syncUser.id);
});

test('dynamics-web-api impersonation (MSCRMCallerID) writes as another user', async () => {
  const api = new DynamicsWebApi({ serverUrl: orgUrl, impersonate: info.secondUser.id, onTokenRefresh: async () => (await appToken()).accessToken });
  const id = await api.create({ collection: 'leads', data: { lastname: 'On behalf' } });
  const lead = await client().retrieve({ collection: 'leads', key: id, select: ['_createdby_value', '_modifiedby_value'] });
  assert.equal(lead._createdby_value, info.secondUser.id);
  assert.equal(lead._modifiedby_value, info.secondUser.id);
});

test('marketing list membership through the listcontact_association $ref', async () => {
  const api = client();
  const listId = await api.create({ collection: 'lists', data: { listname: 'Conformance list', createdfromcode: 2 } });
  const contactId = await api.create({ collection: 'contacts', data: { lastname: 'Member' } });
  await api.associate({ collection: 'lists', primaryKey: listId, relationshipName: 'listcontact_association', relatedCollection: 'contacts', relatedKey: contactId });
  const members = await api.retrieveMultiple({ collection: 'listmembers', select: ['_listid_value', '_entityid_value', 'entitytype'], filter: `_listid_value eq ${listId}` });
  assert.equal(members.value.length, 1);
  assert.equal(members.value[0]._entityid_value, contactId);
  assert.equal(members.value[0].entitytype, 'contact');
  await api.disassociate({ collection: 'lists', primaryKey: listId, relationshipName: 'listcontact_association', relatedKey: contactId });
  const after = await api.retrieveMultiple({ collection: 'listmembers', select: ['listmemberid'], filter: `_listid_value eq ${listId}` });
  assert.equal(after.value.length, 0);
});

test('service protection: 429 with Retry-After and 0x80072322 once the request limit is exceeded; rate-limit headers', async () => {
  const token = (await userToken('alex@crmsync.onmicrosoft.test')).accessToken;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'odata-version': '4.0' };
  await emulator.admin('PUT', '/dynamics/settings', { requestLimit: 3 });
  try {
    const first = await fetch(`${orgUrl}/api/data/v9.2/WhoAmI`, { headers });
    assert.equal(first.status, 200);
    assert.ok(Number(first.headers.get('x-ms-ratelimit-burst-remaining-xrm-requests')) <= 2);
    assert.ok(first.headers.get('x-ms-ratelimit-time-remaining-xrm-requests'));
    let res;
    for (let i = 0; i < 5 && (res = await fetch(`${orgUrl}/api/data/v9.2/WhoAmI`, { headers })).status === 200; i++);
    assert.equal(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) >= 1);
    const body = await res.json();
    assert.equal(body.error.code, '0x80072322');
    // dynamics-web-api surfaces the 429 to the caller (it has no built-in retry).
    const api = new DynamicsWebApi({ serverUrl: orgUrl, onTokenRefresh: async () => token });
    await assert.rejects(api.callFunction({ functionName: 'WhoAmI' }), (e) => e.status === 429);
  } finally {
    await emulator.admin('PUT', '/dynamics/settings', { requestLimit: 6000 });
    await emulator.admin('POST', '/dynamics/limits/reset');
  }
});

test('fault injection: a 503 storm and a per-record error inside a $batch', async () => {
  const api = client();
  await emulator.admin('POST', '/dynamics/faults', { kind: 'HttpStatus', statusCode: 503, count: 1, pathContains: '/api/data/', retryAfterSeconds: 2 });
  await assert.rejects(api.callFunction({ functionName: 'WhoAmI' }), (e) => e.status === 503);
  const ok = await api.callFunction({ functionName: 'WhoAmI' });
  assert.ok(ok.UserId);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push(await api.create({ collection: 'contacts', data: { lastname: `Fault ${i}` } }));
  await emulator.admin('POST', '/dynamics/faults', { kind: 'RecordError', recordIds: [ids[1]], errorCode: '0x80072322', statusCode: 429, retryAfterSeconds: 3, count: 1 });
  api.startBatch();
  for (const id of ids) api.update({ collection: 'contacts', key: id, data: { jobtitle: 'Batched' }, inChangeSet: false });
  const results = await api.executeBatch({ continueOnError: true });
  assert.equal(results.length, 3);
  assert.equal(results[0], true);
  assert.equal(results[1].status, 429);
  assert.equal(results[1].headers['retry-after'], '3');
  assert.equal(results[1].error.code, '0x80072322');
  assert.equal(results[2], true);
  const second = await api.retrieve({ collection: 'contacts', key: ids[1], select: ['jobtitle'] });
  assert.equal(second.jobtitle, null);
  const third = await api.retrieve({ collection: 'contacts', key: ids[2], select: ['jobtitle'] });
  assert.equal(third.jobtitle, 'Batched');
});
