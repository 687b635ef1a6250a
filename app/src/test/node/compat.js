// Drives a running Pulse service with the unmodified taskcluster-client (12.0.0) and amqplib, as a Taskcluster
// user would. Run by TaskclusterClientIT. Input (environment): ROOT_URL, CLIENT_ID, ACCESS_TOKEN (a client whose
// scopes are pulse:namespace:<NS_PREFIX>* and auth:create-client:<CLIENT_ID>/*), NS_PREFIX, AMQP_HOST.
// Prints "ok <check>" or "FAIL <check>: <reason>" per check and a last line "RESULT <json>"; exits 1 on a failure.
'use strict';
const assert = require('assert');
const taskcluster = require('taskcluster-client');
const amqplib = require('amqplib');

const {ROOT_URL: rootUrl, CLIENT_ID: clientId, ACCESS_TOKEN: accessToken, NS_PREFIX: prefix} = process.env;
const amqpHost = process.env.AMQP_HOST || 'localhost';
const credentials = {clientId, accessToken};
const result = {checks: {}, namespaces: {}};
let failed = false;

// retries: 0 so a 5xx shows up as the failure it is instead of five retries later
const pulse = (options) => new taskcluster.Pulse(Object.assign({rootUrl, retries: 0}, options));
const hour = () => new Date(Date.now() + 3600 * 1000);

async function check(name, fn) {
  try {
    result.checks[name] = (await fn()) || true;
    console.log('ok ' + name);
  } catch (err) {
    failed = true;
    result.checks[name] = {error: String(err && err.message || err)};
    console.log('FAIL ' + name + ': ' + (err && err.stack || err));
  }
}

/** The call must fail with this status and Taskcluster error code (as err.statusCode and err.code). */
async function refused(promise, statusCode, code) {
  try {
    await promise;
  } catch (err) {
    assert.strictEqual(err.statusCode, statusCode, 'status ' + err.statusCode + ': ' + err.message);
    assert.strictEqual(err.code, code, 'code ' + err.code + ': ' + err.message);
    return {statusCode: err.statusCode, code: err.code, message: err.message};
  }
  throw new Error('expected ' + statusCode + ' ' + code + ' but the call succeeded');
}

async function claim(client, namespace) {
  const answer = await client.claimNamespace(namespace, {expires: hour(), contact: 'compat@example.com'});
  assert.strictEqual(answer.namespace, namespace);
  assert.ok(answer.connectionString.startsWith('amqp'), 'connectionString');
  assert.ok(new Date(answer.reclaimAt) > new Date(), 'reclaimAt in the future');
  result.namespaces[namespace] = {created: answer.created, expires: answer.expires};
  return answer;
}

/** Uses the connection string over AMQP: own exchange and queue work, another namespace's exchange does not. */
async function useOverAmqp(namespace, connectionString) {
  const connection = await amqplib.connect(connectionString.replace('@localhost:', '@' + amqpHost + ':'));
  try {
    const channel = await connection.createChannel();
    const exchange = 'exchange/' + namespace + '/compat';
    const queue = 'queue/' + namespace + '/compat';
    await channel.assertExchange(exchange, 'topic', {durable: false, autoDelete: true});
    await channel.assertQueue(queue, {exclusive: true});
    await channel.bindQueue(queue, exchange, '#');
    channel.publish(exchange, 'hello.world', Buffer.from('{"hello": "world"}'));
    let message = false;
    for (let i = 0; i < 50 && !message; i++) {
      message = await channel.get(queue, {noAck: true});
      if (!message) {
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
    assert.ok(message, 'the published message arrives on the bound queue');
    assert.strictEqual(message.content.toString(), '{"hello": "world"}');
    await channel.close();

    const denied = await connection.createChannel();
    denied.on('error', () => {});
    let refusal = null;
    try {
      await denied.assertExchange('exchange/not-' + namespace + '/x', 'topic', {durable: false});
    } catch (err) {
      refusal = err.message;
    }
    assert.ok(refusal && /ACCESS_REFUSED|access/i.test(refusal), 'another namespace exchange is refused: ' + refusal);
    return {delivered: message.content.toString(), refused: refusal.split(' - ')[0]};
  } finally {
    await connection.close().catch(() => {});
  }
}

async function main() {
  const permanent = pulse({credentials});
  const ns = (suffix) => prefix + suffix;

  await check('ping', async () => {
    const answer = await pulse({credentials: {}}).ping();
    assert.strictEqual(answer.alive, true);
    return answer;
  });

  let first;
  await check('permanentClaim', async () => {
    first = await claim(permanent, ns('perm'));
    return {namespace: first.namespace};
  });

  await check('permanentClaimOverAmqp', () => useOverAmqp(ns('perm'), first.connectionString));

  await check('namespace', async () => {
    const answer = await permanent.namespace(ns('perm'));
    assert.strictEqual(answer.namespace, ns('perm'));
    assert.strictEqual(answer.connectionString, undefined, 'no credentials in namespace()');
    return answer;
  });

  await check('namespaceUnknown', () => refused(permanent.namespace(ns('never')), 404, 'ResourceNotFound'));

  await check('temporaryClaim', async () => {
    const temporary = taskcluster.createTemporaryCredentials({
      start: new Date(), expiry: hour(), scopes: ['pulse:namespace:' + ns('temp')], credentials,
    });
    assert.strictEqual(temporary.clientId, clientId);
    const client = pulse({credentials: temporary});
    const answer = await claim(client, ns('temp'));
    const outside = await refused(client.claimNamespace(ns('tempother'), {}), 403, 'InsufficientScopes');
    return {namespace: answer.namespace, outside};
  });

  await check('namedTemporaryClaim', async () => {
    const temporary = taskcluster.createTemporaryCredentials({
      clientId: clientId + '/named', start: new Date(), expiry: hour(),
      scopes: ['pulse:namespace:' + ns('named')], credentials,
    });
    assert.strictEqual(temporary.clientId, clientId + '/named');
    const answer = await claim(pulse({credentials: temporary}), ns('named'));
    return {namespace: answer.namespace, clientId: temporary.clientId};
  });

  await check('namedTemporaryWithoutCreateClientScope', async () => {
    const temporary = taskcluster.createTemporaryCredentials({
      clientId: 'someone-else/named', start: new Date(), expiry: hour(),
      scopes: ['pulse:namespace:' + ns('noname')], credentials,
    });
    return refused(pulse({credentials: temporary}).claimNamespace(ns('noname'), {}), 401, 'AuthenticationFailed');
  });

  await check('temporaryWiderThanIssuer', async () => {
    const temporary = taskcluster.createTemporaryCredentials({
      start: new Date(), expiry: hour(), scopes: ['pulse:namespace:*'], credentials,
    });
    return refused(pulse({credentials: temporary}).claimNamespace(ns('wide'), {}), 401, 'AuthenticationFailed');
  });

  await check('authorizedScopesClaim', async () => {
    const client = pulse({credentials, authorizedScopes: ['pulse:namespace:' + ns('auth')]});
    const answer = await claim(client, ns('auth'));
    // the client itself could claim authother; its authorizedScopes cannot
    const outside = await refused(client.claimNamespace(ns('authother'), {}), 403, 'InsufficientScopes');
    return {namespace: answer.namespace, outside};
  });

  await check('temporaryWithAuthorizedScopes', async () => {
    const temporary = taskcluster.createTemporaryCredentials({
      start: new Date(), expiry: hour(), scopes: ['pulse:namespace:' + ns('tauth') + '*'], credentials,
    });
    const client = pulse({credentials: temporary, authorizedScopes: ['pulse:namespace:' + ns('tauth1')]});
    const answer = await claim(client, ns('tauth1'));
    await refused(client.claimNamespace(ns('tauth2'), {}), 403, 'InsufficientScopes');
    return {namespace: answer.namespace};
  });

  await check('authorizedScopesWiderThanClient', () =>
    refused(pulse({credentials, authorizedScopes: ['pulse:namespace:*']}).claimNamespace(ns('authwide'), {}),
      401, 'AuthenticationFailed'));

  await check('wrongAccessToken', () =>
    refused(pulse({credentials: {clientId, accessToken: 'not-the-right-token'}}).claimNamespace(ns('wrong'), {}),
      401, 'AuthenticationFailed'));

  await check('noCredentials', () =>
    refused(pulse({credentials: {}}).claimNamespace(ns('anon'), {}), 403, 'InsufficientScopes'));

  await check('listNamespaces', async () => {
    const names = [];
    let continuationToken;
    do {
      const query = continuationToken ? {limit: 2, continuationToken} : {limit: 2};
      const page = await permanent.listNamespaces(query);
      page.namespaces.forEach(n => names.push(n.namespace));
      continuationToken = page.continuationToken;
    } while (continuationToken);
    for (const suffix of ['perm', 'temp', 'named', 'auth', 'tauth1']) {
      assert.ok(names.includes(ns(suffix)), ns(suffix) + ' is listed: ' + names);
    }
    return {names};
  });
}

main()
  .catch(err => {
    failed = true;
    console.log('FAIL main: ' + (err && err.stack || err));
  })
  .then(() => {
    console.log('RESULT ' + JSON.stringify(result));
    process.exit(failed ? 1 : 0);
  });
