// The Pulse dashboard: plain JavaScript on the service's REST API, with the bearer token its user pastes.
// The token lives in this tab's sessionStorage only and travels only in the Authorization header. Every text from
// the service is put in the page with textContent: nothing it returns is ever parsed as HTML.
'use strict';

const API = '/api/pulse/v1';
const TOKEN_KEY = 'pulse.token';
const POLL_MS = 5000;

const state = {
  caller: null,
  selected: null,      // the namespace shown
  tab: 'queues',
  queueToken: null,    // continuationToken of the next page of queues
  queuePages: 1,
  historyToken: null,
  historyPages: 1,
  busy: false,
};

const $ = (id) => document.getElementById(id);

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A failure the service answered with its {code, message} body. */
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + token(), Accept: 'application/json' };
  const init = { method, headers, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(API + path, init);
  } catch (e) {
    throw new ApiError(0, 'NetworkError', 'The service cannot be reached: ' + e.message);
  }
  if (response.status === 204) {
    return null;
  }
  let answer = null;
  try {
    answer = await response.json();
  } catch (e) {
    answer = null;
  }
  if (!response.ok) {
    const code = answer && answer.code ? answer.code : 'HTTP ' + response.status;
    const message = answer && answer.message ? answer.message : response.statusText;
    throw new ApiError(response.status, code, message);
  }
  return answer;
}

const ns = (name) => '/namespace/' + encodeURIComponent(name);

// ---- small DOM helpers: elements and text only -------------------------------------------------------------

function el(tag, options, ...children) {
  const node = document.createElement(tag);
  const o = options || {};
  if (o.text !== undefined && o.text !== null) node.textContent = String(o.text);
  if (o.className) node.className = o.className;
  if (o.title) node.title = String(o.title);
  if (o.attrs) for (const [k, v] of Object.entries(o.attrs)) node.setAttribute(k, String(v));
  if (o.onClick) node.addEventListener('click', o.onClick);
  for (const child of children) if (child) node.append(child);
  return node;
}

function cell(text, className) {
  return el('td', { text: text === undefined || text === null ? '' : text, className });
}

const shown = new WeakMap(); // tbody -> the data its rows show

/**
 * Replaces a table's rows, unless they show the same data already (a refresh then leaves the rows, and a button
 * under the pointer, alone). Each cell gets its column's name, which a phone-sized screen shows beside it.
 */
function fill(tbody, rows, data) {
  const signature = JSON.stringify(data);
  if (data !== undefined && shown.get(tbody) === signature) return;
  shown.set(tbody, signature);
  tbody.replaceChildren(...rows);
  const names = [...tbody.closest('table').tHead.rows[0].cells].map((th) => th.textContent);
  for (const row of rows) {
    [...row.cells].forEach((td, i) => td.setAttribute('data-label', names[i] || ''));
  }
}

function when(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function relative(iso) {
  if (!iso) return '';
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' }).format(Math.round(seconds / size), unit);
    }
  }
  return '';
}

function timeCell(iso) {
  const td = cell(when(iso));
  if (iso) td.title = relative(iso);
  return td;
}

const number = (n) => (typeof n === 'number' ? n.toLocaleString() : '');
const rate = (r) => (typeof r === 'number' ? (Math.round(r * 10) / 10).toLocaleString() : '0');

function status(text, isError) {
  const node = $('status');
  node.textContent = text || '';
  node.classList.toggle('error', Boolean(isError));
}

function showError(e) {
  if (e instanceof ApiError && e.status === 401) {
    status('The service refused the token (' + e.message + '). Paste another one.', true);
    forget(false);
    return;
  }
  status(e instanceof ApiError ? e.code + ': ' + e.message : String(e), true);
}

// ---- the size bar: the queue's size against its alert and delete thresholds -----------------------------------

function sizeBar(messages, alert, del, queueState) {
  const scale = Math.max(del || 1, messages || 0, 1);
  const bar = el('div', {
    className: 'bar ' + (queueState || 'normal'),
    attrs: { role: 'img', 'aria-label': number(messages) + ' of ' + number(del) + ' messages (warns above '
      + number(alert) + ')' },
    title: number(messages) + ' messages; warns above ' + number(alert) + ', deleted above ' + number(del),
  });
  const fillPart = el('span', { className: 'fill' });
  fillPart.style.width = Math.min(100, (100 * (messages || 0)) / scale) + '%';
  if (messages > 0) fillPart.classList.add('some');
  const mark = el('span', { className: 'mark' });
  mark.style.left = Math.min(100, (100 * (alert || 0)) / scale) + '%';
  bar.append(fillPart, mark);
  return bar;
}

function stateBadge(queueState, since, exemption) {
  const badge = el('span', { className: 'badge ' + queueState, text: queueState === 'deleting'
    ? 'to be deleted' : queueState });
  const title = [];
  if (since) title.push('since ' + when(since));
  if (exemption) title.push('exempt: ' + exemption.reason + ' (until ' + when(exemption.expires) + ')');
  if (title.length) badge.title = title.join('; ');
  return badge;
}

// ---- confirmation ---------------------------------------------------------------------------------------------

function confirmAction(text, okLabel) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-ok').textContent = okLabel;
  return new Promise((resolve) => {
    const done = (answer) => {
      $('confirm-ok').removeEventListener('click', ok);
      $('confirm-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const ok = () => done(true);
    const cancel = () => done(false);
    $('confirm-ok').addEventListener('click', ok);
    $('confirm-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel);
    dialog.showModal();
  });
}

// ---- signing in and out ---------------------------------------------------------------------------------------

function forget(clearStatus) {
  sessionStorage.removeItem(TOKEN_KEY);
  state.caller = null;
  state.selected = null;
  $('token').value = '';
  $('login').hidden = false;
  $('home').hidden = true;
  $('forget').hidden = true;
  $('who').hidden = true;
  $('updated').hidden = true;
  if (clearStatus) status('Token forgotten.');
}

async function signIn() {
  const caller = await api('GET', '/caller');
  state.caller = caller;
  $('login').hidden = true;
  $('home').hidden = false;
  $('forget').hidden = false;
  const who = $('who');
  who.hidden = false;
  who.textContent = caller.caller + (caller.admin ? ' (operator)' : '');
  who.title = (caller.scopes || []).join('\n');
  renderNamespaces();
  $('operator').hidden = !caller.admin;
  const names = (caller.namespaces || []).map((n) => n.namespace);
  if (state.selected && !names.includes(state.selected)) {
    state.selected = null;
  }
  if (!state.selected && names.length === 1) {
    select(names[0]);
  } else {
    renderSelected();
  }
  status('');
}

// ---- namespaces -----------------------------------------------------------------------------------------------

function renderNamespaces() {
  const list = state.caller.namespaces || [];
  $('no-namespaces').hidden = list.length > 0;
  $('namespaces').hidden = list.length === 0;
  $('more-namespaces').hidden = !state.caller.more;
  fill($('namespaces').tBodies[0], list.map((n) => {
    const link = el('button', { text: n.namespace, className: 'link', onClick: () => select(n.namespace) });
    const row = el('tr', { attrs: { 'data-namespace': n.namespace } },
      el('td', {}, link), timeCell(n.expires), timeCell(n.reclaimAt),
      cell(number(n.alertThreshold) + ' / ' + number(n.deleteThreshold)));
    if (n.namespace === state.selected) row.classList.add('selected');
    return row;
  }), [list, state.selected]);
}

function details() {
  return (state.caller.namespaces || []).find((n) => n.namespace === state.selected);
}

function select(name) {
  state.selected = name;
  state.tab = 'queues';
  state.queuePages = 1;
  state.historyPages = 1;
  renderNamespaces();
  renderSelected();
  fillSettings(details());
  refreshTab().catch(showError);
}

function renderSelected() {
  const section = $('namespace');
  const d = state.selected && details();
  section.hidden = !d;
  if (!d) return;
  $('ns-title').textContent = d.namespace;
  $('ns-summary').textContent = 'Expires ' + when(d.expires) + ' · claim again before ' + when(d.reclaimAt)
    + ' · created ' + when(d.created);
  for (const button of document.querySelectorAll('.tabs [data-tab]')) {
    button.setAttribute('aria-selected', String(button.dataset.tab === state.tab));
  }
  for (const tab of ['queues', 'connections', 'history', 'settings']) {
    $('tab-' + tab).hidden = tab !== state.tab;
  }
}

// ---- queues ---------------------------------------------------------------------------------------------------

async function loadQueues() {
  const name = state.selected;
  const rows = [];
  let continuation = null;
  let answer = null;
  for (let page = 0; page < state.queuePages; page++) {
    const query = continuation ? '?continuationToken=' + encodeURIComponent(continuation) : '';
    answer = await api('GET', ns(name) + '/queues' + query);
    rows.push(...answer.queues);
    continuation = answer.continuationToken || null;
    if (!continuation) break;
  }
  if (name !== state.selected) return;
  state.queueToken = continuation;
  $('queues-more').hidden = !continuation;
  $('no-queues').hidden = rows.length > 0;
  fill($('queues').tBodies[0], rows.map((q) => queueRow(name, q, answer.alertThreshold, answer.deleteThreshold)),
    [name, rows, answer.alertThreshold, answer.deleteThreshold]);
}

function queueRow(name, q, alert, del) {
  const short = q.name.startsWith('queue/' + name + '/') ? q.name.slice(('queue/' + name + '/').length) : q.name;
  const flags = [q.durable ? 'durable' : 'transient', q.autoDelete ? 'auto-delete' : null].filter(Boolean);
  const bindings = el('td', { className: 'bindings' });
  for (const b of q.bindings || []) {
    bindings.append(el('div', { text: b.exchange + (b.routingKey ? ' → ' + b.routingKey : '') }));
  }
  const purge = el('button', { text: 'Purge', className: 'secondary purge', onClick: () => purgeQueue(name, q) });
  const remove = el('button', { text: 'Delete', className: 'danger delete', onClick: () => deleteQueue(name, q) });
  return el('tr', { attrs: { 'data-queue': q.name, 'data-state': q.state } },
    el('td', { className: 'name', title: q.name + ' (' + flags.join(', ') + ')' }, el('span', { text: short })),
    el('td', { className: 'messages num', text: number(q.messages), title: number(q.ready) + ' ready, '
      + number(q.unacknowledged) + ' unacknowledged' }),
    el('td', { className: 'wide' }, sizeBar(q.messages, alert, del, q.state)),
    el('td', { className: 'state' }, stateBadge(q.state, q.since, q.exemption)),
    cell(number(q.consumers), 'num'),
    cell(rate(q.publishRate) + ' / ' + rate(q.deliverRate), 'num'),
    bindings,
    el('td', { className: 'actions' }, purge, remove));
}

async function purgeQueue(name, q) {
  if (!await confirmAction('Purge ' + q.name + '? Its ' + number(q.ready) + ' ready messages are dropped;'
    + ' this cannot be undone.', 'Purge')) return;
  try {
    const answer = await api('POST', ns(name) + '/queue/' + encodeURIComponent(q.name) + '/purge');
    status('Purged ' + number(answer.purged) + ' messages from ' + answer.queue + '.');
    await loadQueues();
  } catch (e) {
    showError(e);
  }
}

async function deleteQueue(name, q) {
  if (!await confirmAction('Delete ' + q.name + '? Its ' + number(q.messages) + ' messages are lost and its'
    + ' consumers are disconnected; this cannot be undone.', 'Delete')) return;
  try {
    await api('DELETE', ns(name) + '/queue/' + encodeURIComponent(q.name));
    status('Deleted ' + q.name + '.');
    await loadQueues();
  } catch (e) {
    showError(e);
  }
}

// ---- connections ----------------------------------------------------------------------------------------------

async function loadConnections() {
  const name = state.selected;
  const answer = await api('GET', ns(name) + '/connections');
  if (name !== state.selected) return;
  const list = answer.connections || [];
  $('no-connections').hidden = list.length > 0;
  fill($('connections').tBodies[0], list.map((c) => {
    const client = c.client || {};
    const product = [client.product, client.version].filter(Boolean).join(' ');
    const label = [client.connectionName, product, client.platform].filter(Boolean).join(' · ');
    return el('tr', {}, cell(c.user), cell(label), cell((c.peerHost || '') + ':' + (c.peerPort || '')),
      timeCell(c.since), cell(number(c.channels), 'num'));
  }), [name, list]);
}

// ---- history --------------------------------------------------------------------------------------------------

const SUMMARY_KEYS = new Set(['id', 'namespace', 'event', 'at', 'first', 'count']);

function eventDetails(e) {
  const parts = [];
  if (e.count > 1) parts.push(e.count + ' times since ' + when(e.first));
  for (const [k, v] of Object.entries(e)) {
    if (!SUMMARY_KEYS.has(k) && v !== null && v !== undefined) {
      parts.push(k + ': ' + (typeof v === 'object' ? JSON.stringify(v) : v));
    }
  }
  return parts.join(' · ');
}

async function loadHistory() {
  const name = state.selected;
  const rows = [];
  let continuation = null;
  for (let page = 0; page < state.historyPages; page++) {
    const query = '?limit=25' + (continuation ? '&continuationToken=' + encodeURIComponent(continuation) : '');
    const answer = await api('GET', ns(name) + '/history' + query);
    rows.push(...answer.events);
    continuation = answer.continuationToken || null;
    if (!continuation) break;
  }
  if (name !== state.selected) return;
  state.historyToken = continuation;
  $('history-more').hidden = !continuation;
  fill($('history').tBodies[0], rows.map((e) => el('tr', { attrs: { 'data-event': e.event } },
    timeCell(e.at), el('td', {}, el('span', { className: 'event ' + e.event, text: e.event })),
    cell(eventDetails(e), 'details'))), [name, rows]);
}

// ---- settings -------------------------------------------------------------------------------------------------

function contactInput(value) {
  const input = el('input', { attrs: { type: 'email', autocomplete: 'off', placeholder: 'owner@example.com' } });
  input.value = value || '';
  const remove = el('button', { text: '×', className: 'secondary', title: 'Remove this address',
    attrs: { type: 'button', 'aria-label': 'Remove this address' } });
  const row = el('div', { className: 'contact' }, input, remove);
  remove.addEventListener('click', () => {
    row.remove();
    limitContacts();
  });
  return row;
}

function limitContacts() {
  const d = details();
  const max = d && d.limits ? d.limits.maxContacts : 5;
  $('add-contact').hidden = $('contacts').children.length >= max;
}

function fillSettings(d) {
  if (!d) return;
  const own = d.own || {};
  const limits = d.limits || {};
  $('contacts-hint').textContent = 'Up to ' + (limits.maxContacts || 5) + ' addresses get the warnings. '
    + (own.contacts ? '' : 'None set: warnings go to ' + ((d.contacts || []).join(', ') || 'nobody') + '.');
  $('contacts').replaceChildren(...(own.contacts || []).map(contactInput));
  limitContacts();
  $('alert').value = own.alertThreshold === undefined ? '' : own.alertThreshold;
  $('alert').placeholder = 'default ' + number(d.alertThreshold);
  $('alert').max = limits.maxAlertThreshold || '';
  $('alert-bound').textContent = '(in force: ' + number(d.alertThreshold) + '; at most '
    + number(limits.maxAlertThreshold) + ')';
  $('delete').value = own.deleteThreshold === undefined ? '' : own.deleteThreshold;
  $('delete').placeholder = 'default ' + number(d.deleteThreshold);
  $('delete').max = limits.maxDeleteThreshold || '';
  $('delete-bound').textContent = '(in force: ' + number(d.deleteThreshold) + '; at most '
    + number(limits.maxDeleteThreshold) + ')';
  $('settings-error').textContent = '';
}

function threshold(id) {
  const text = $(id).value.trim();
  if (text === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : text; // the service says what is wrong with it
}

async function saveSettings(event) {
  event.preventDefault();
  const name = state.selected;
  const contacts = [...$('contacts').querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean);
  const body = {
    contacts: contacts.length ? contacts : null,
    alertThreshold: threshold('alert'),
    deleteThreshold: threshold('delete'),
  };
  $('settings-error').textContent = '';
  try {
    const updated = await api('PATCH', ns(name), body);
    const list = state.caller.namespaces;
    const at = list.findIndex((n) => n.namespace === name);
    if (at >= 0) list[at] = updated;
    renderNamespaces();
    renderSelected();
    fillSettings(updated);
    status('Settings of ' + name + ' saved.');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      showError(e);
    } else {
      $('settings-error').textContent = e instanceof ApiError ? e.message : String(e);
    }
  }
}

// ---- operators ------------------------------------------------------------------------------------------------

async function loadOperator() {
  const [biggest, incidents, exemptions] = await Promise.all([
    api('GET', '/queues?sort=messages&limit=20'),
    api('GET', '/history?event=queue-warned,queue-deleted&limit=20'),
    api('GET', '/exemptions'),
  ]);
  fill($('biggest').tBodies[0], (biggest.queues || []).map((q) => el('tr', { attrs: { 'data-queue': q.name } },
    cell(q.name, 'name'), cell(q.namespace), cell(number(q.messages), 'num'),
    el('td', { className: 'wide' }, sizeBar(q.messages, q.alertThreshold, q.deleteThreshold, q.state)),
    el('td', {}, stateBadge(q.state, q.since)), cell(number(q.consumers), 'num'),
    el('td', { className: 'actions' }, el('button', { text: 'Exempt…', className: 'secondary exempt',
      attrs: { type: 'button' }, onClick: () => {
        $('exempt-queue').value = q.name;
        $('exempt-reason').focus();
      } })))), biggest.queues);
  const list = exemptions.exemptions || [];
  $('no-exemptions').hidden = list.length > 0;
  fill($('exemptions').tBodies[0], list.map((x) => el('tr', { attrs: { 'data-queue': x.queue } },
    cell(x.queue, 'name'), cell(x.reason, 'details'), timeCell(x.expires), cell(x.by),
    el('td', { className: 'actions' }, el('button', { text: 'End', className: 'danger end-exemption',
      attrs: { type: 'button' }, onClick: () => endExemption(x.queue) })))), list);
  fill($('incidents').tBodies[0], (incidents.events || []).map((e) => el('tr', { attrs: { 'data-event': e.event } },
    timeCell(e.at), cell(e.namespace), el('td', {}, el('span', { className: 'event ' + e.event, text: e.event })),
    cell(eventDetails(e), 'details'))), incidents.events);
}

async function exempt(event) {
  event.preventDefault();
  const queue = $('exempt-queue').value.trim();
  const days = Number($('exempt-days').value);
  $('exempt-error').textContent = '';
  if (!queue) {
    $('exempt-error').textContent = 'Name the queue: queue/<namespace>/<name>.';
    return;
  }
  if (!Number.isInteger(days) || days < 1) {
    $('exempt-error').textContent = 'The number of days must be a whole number from 1.';
    return;
  }
  const expires = new Date(Date.now() + days * 86400000).toISOString();
  try {
    await api('PUT', '/exemptions/' + encodeURIComponent(queue), { reason: $('exempt-reason').value, expires });
    status('Exempted ' + queue + ' until ' + when(expires) + '.');
    $('exempt-queue').value = '';
    $('exempt-reason').value = '';
    await loadOperator();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showError(e);
    else $('exempt-error').textContent = e instanceof ApiError ? e.message : String(e);
  }
}

async function endExemption(queue) {
  if (!await confirmAction('End the exemption of ' + queue + '? The monitor warns about it and deletes it like any'
    + ' other queue from its next sweep.', 'End exemption')) return;
  try {
    await api('DELETE', '/exemptions/' + encodeURIComponent(queue));
    status('The exemption of ' + queue + ' has ended.');
    await loadOperator();
  } catch (e) {
    showError(e);
  }
}

// ---- refreshing -----------------------------------------------------------------------------------------------

async function refreshTab() {
  if (!state.selected) return;
  if (state.tab === 'queues') await loadQueues();
  else if (state.tab === 'connections') await loadConnections();
  else if (state.tab === 'history') await loadHistory();
}

async function refresh() {
  if (!token() || state.busy || document.hidden || $('confirm').open) return;
  state.busy = true;
  try {
    if (!state.caller) {
      await signIn();
    } else {
      const caller = await api('GET', '/caller');
      state.caller = caller;
      renderNamespaces();
      renderSelected();
    }
    await refreshTab();
    if (state.caller && state.caller.admin) await loadOperator();
    const updated = $('updated');
    updated.hidden = false;
    updated.textContent = 'updated ' + new Date().toLocaleTimeString();
    updated.title = 'Refreshed every ' + POLL_MS / 1000 + ' s while this tab is visible';
  } catch (e) {
    showError(e);
  } finally {
    state.busy = false;
  }
}

function start() {
  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const pasted = $('token').value.trim().replace(/^Bearer\s+/i, '');
    $('token').value = '';
    if (!pasted) return;
    sessionStorage.setItem(TOKEN_KEY, pasted);
    status('Signing in…');
    state.caller = null;
    await refresh();
  });
  $('forget').addEventListener('click', () => forget(true));
  for (const button of document.querySelectorAll('.tabs [data-tab]')) {
    button.addEventListener('click', () => {
      state.tab = button.dataset.tab;
      renderSelected();
      if (state.tab === 'settings') fillSettings(details());
      refreshTab().catch(showError);
    });
  }
  $('queues-more').addEventListener('click', () => {
    state.queuePages += 1;
    loadQueues().catch(showError);
  });
  $('history-more').addEventListener('click', () => {
    state.historyPages += 1;
    loadHistory().catch(showError);
  });
  $('add-contact').addEventListener('click', () => {
    $('contacts').append(contactInput(''));
    limitContacts();
  });
  $('settings').addEventListener('submit', saveSettings);
  $('exempt-form').addEventListener('submit', exempt);
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) refresh();
  });
  setInterval(refresh, POLL_MS);
  if (token()) refresh();
}

start();
