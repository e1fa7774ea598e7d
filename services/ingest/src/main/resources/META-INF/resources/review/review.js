// LineSight operator review page: label the review queue with the keyboard, undo within a grace period.
'use strict';

const GRACE_MS = 3000;          // a label is sent this long after the key press, so "z" can take it back
const QUEUE_REFILL_BELOW = 5;
// Each item fetched is claimed for this operator for linesight.review.claim-lease (2 min): fetch few, and fetch again
// well within the lease, which renews the claims of the items still waiting here.
const QUEUE_FETCH = 10;
const CLAIM_RENEW_MS = 30000;
// This page's own claims, apart from another page on the same account (one log-in may be shared by a shift).
const REVIEW_SESSION = Array.from({ length: 4 }, () => Math.random().toString(36).slice(2, 10)).join('');
const $ = (id) => document.getElementById(id);

const HEATMAP_OPACITY = 0.6;     // alpha of the map's peak cell; a cell at or below zero is transparent

const state = {
  auth: null,
  showHeatmap: true,            // toggled with h
  user: null,
  classes: [],
  queue: [],
  current: null,
  pending: null,                // {item, label, timer}: the label in its grace period
  seen: new Set(),              // frames labelled (or being labelled) in this session
  images: new Map(),            // frameId -> object URL, prefetched
};

class HttpError extends Error {
  constructor(status, body) { super(body && body.detail ? body.detail : 'HTTP ' + status); this.status = status; this.body = body; }
}

async function api(path, options = {}) {
  let response;
  try {
    // X-Requested-With: ingest then answers 401 without a Basic challenge, so no browser log-in dialog opens.
    response = await fetch(path, { ...options,
      headers: { ...(options.headers || {}), Authorization: state.auth, 'X-Requested-With': 'XMLHttpRequest' } });
  } catch (networkError) {
    setConnection(false);
    throw networkError;
  }
  setConnection(true);
  if (response.status === 401) { logout('Wrong user or password.'); throw new HttpError(401); }
  if (response.status === 403) { logout('This user may not label: an operator account is needed.'); throw new HttpError(403); }
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch (ignored) { /* not JSON */ }
    throw new HttpError(response.status, body);
  }
  return response;
}

function setConnection(ok) {
  const badge = $('connection');
  badge.textContent = ok ? 'connected' : 'connection lost — retrying';
  badge.className = 'connection ' + (ok ? 'ok' : 'lost');
}

function toast(message) {
  $('toast').textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { $('toast').textContent = ''; }, 4000);
}

function logout(message) {
  state.auth = null;
  $('review').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

async function login(event) {
  event.preventDefault();
  const user = $('user').value;
  state.auth = 'Basic ' + btoa(user + ':' + $('password').value);
  try {
    await refreshSummary();
  } catch (e) {
    if (!(e instanceof HttpError)) { $('login-error').textContent = 'Cannot reach LineSight ingest.'; }
    return;
  }
  state.user = user;
  $('operator').textContent = 'operator ' + user;
  $('login').hidden = true;
  $('review').hidden = false;
  $('login-error').textContent = '';
  await refillQueue();
  showNext();
}

async function refreshSummary() {
  const summary = await (await api('/api/v1/review/summary')).json();
  state.classes = summary.classes || [];
  $('model').textContent = summary.version ? summary.model + ' v' + summary.version : 'no model serving';
  $('audit-accuracy').textContent = summary.auditAccuracy == null ? 'audit accuracy – (no audits yet)'
    : 'audit accuracy ' + (100 * summary.auditAccuracy).toFixed(1) + ' % (' + summary.auditLabels + ')';
  $('waiting').textContent = summary.waiting + ' waiting';
}

// The queue waiting here becomes what the server just handed (and so claimed for) this page: an item it no longer
// hands out (claimed elsewhere after a lapse, or labelled) leaves, so every item shown holds a fresh claim.
async function refillQueue() {
  const items = await (await api('/api/v1/review/queue?limit=' + QUEUE_FETCH, { headers: { 'X-Review-Session': REVIEW_SESSION } })).json();
  state.queue = items.filter((item) => !state.seen.has(item.frameId) && (!state.current || state.current.frameId !== item.frameId));
  state.queue.slice(0, 3).forEach(prefetch);
}

async function imageUrl(item) {
  if (!state.images.has(item.frameId)) {
    const blob = await (await api('/api/v1/frames/' + encodeURIComponent(item.frameId) + '/image')).blob();
    state.images.set(item.frameId, URL.createObjectURL(blob));
  }
  return state.images.get(item.frameId);
}

function prefetch(item) { imageUrl(item).catch(() => { /* shown (or skipped) when its turn comes */ }); }

async function showNext() {
  if (state.queue.length < QUEUE_REFILL_BELOW) {
    refillQueue().catch(() => {});
  }
  const item = state.queue.shift();
  state.current = item || null;
  $('item').hidden = !item;
  $('empty').hidden = !!item;
  if (!item) {
    setTimeout(() => { if (!state.current && state.auth) { refillQueue().then(showNext, () => setTimeout(showNext, 2000)); } }, 2000);
    return;
  }
  render(item);
  try {
    show(item, await imageUrl(item));
  } catch (e) {
    if (e.status === 410 || e.status === 404) {
      toast('Frame ' + item.frameId.slice(0, 8) + ' has expired — skipped.');
      state.seen.add(item.frameId);
      showNext();
    }
  }
  state.queue.slice(0, 2).forEach(prefetch);
}

function render(item) {
  const box = $('item');
  box.dataset.frameId = item.frameId;
  box.dataset.kind = item.kind;
  $('frame-image').removeAttribute('src');
  const audit = item.kind === 'AUDIT';
  $('kind').textContent = audit ? 'AUDIT — blind: choose the class yourself (the model\'s answer is hidden)'
    : item.decision === 'RECHECK' ? 'RECHECK — the line holds this part until you decide (v' + item.modelVersion + ')'
    : 'REVIEW — the model was unsure (v' + item.modelVersion + ')';
  $('kind').className = 'kind ' + (audit ? 'audit' : 'review');
  $('camera').textContent = 'camera ' + item.cameraId + ' · frame ' + item.frameId.slice(0, 8);
  $('enter-help').hidden = audit;
  $('heatmap').hidden = true;
  $('heatmap').dataset.frameId = '';
  $('heatmap-help').hidden = !item.heatmap;
  const predictions = $('predictions');
  predictions.replaceChildren();
  predictions.hidden = audit;
  const suggested = audit || !item.topK || !item.topK.length ? null : item.topK[0].className;
  if (!audit) {
    (item.topK || []).slice(0, 3).forEach((score, i) => {
      const li = document.createElement('li');
      li.textContent = score.className + ' — ' + (100 * score.probability).toFixed(1) + ' %';
      if (i === 0) { li.className = 'top'; }
      predictions.appendChild(li);
    });
  }
  const classes = $('classes');
  classes.replaceChildren();
  state.classes.forEach((name, i) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.dataset.label = name;
    button.textContent = (i < 9 ? (i + 1) + '  ' : '') + name;
    if (name === suggested) { button.className = 'suggested'; }
    button.addEventListener('click', () => choose(name));
    classes.appendChild(button);
  });
}

// The frame and its map, unless the operator has moved on while its image downloaded: a late image must never appear
// under another item's answer.
function show(item, url) {
  if (state.current !== item) { return; }
  $('frame-image').src = url;
  drawHeatmap(item);
}

// The top class's activation map over the frame: cell (row, column) of the grid covers the same share of the image,
// since the model saw the whole frame scaled to its square input. Yellow to red with rising evidence.
function drawHeatmap(item) {
  const canvas = $('heatmap');
  const map = item.heatmap;
  if (!map) { return; }
  canvas.width = map.width;
  canvas.height = map.height;
  const context = canvas.getContext('2d');
  const pixels = context.createImageData(map.width, map.height);
  map.cells.forEach((cell, i) => {
    pixels.data.set([255, 255 - cell, 0, Math.round(cell * HEATMAP_OPACITY)], 4 * i);
  });
  context.putImageData(pixels, 0, 0);
  canvas.dataset.frameId = item.frameId;
  canvas.hidden = !state.showHeatmap;
}

function toggleHeatmap() {
  state.showHeatmap = !state.showHeatmap;
  // Only a map drawn for the item on screen: before its image arrives the canvas still holds the previous one's.
  if (state.current && $('heatmap').dataset.frameId === state.current.frameId) { $('heatmap').hidden = !state.showHeatmap; }
  toast(state.showHeatmap ? 'Heatmap shown — h to hide' : 'Heatmap hidden — h to show');
}

function choose(label) {
  const item = state.current;
  if (!item) { return; }
  if (state.pending) { send(state.pending); }
  state.seen.add(item.frameId);
  const pending = { item, label, timer: null };
  pending.timer = setTimeout(() => send(pending), GRACE_MS);
  state.pending = pending;
  toast('Labelled as ' + label + ' — z to undo');
  showNext();
}

function undo() {
  const pending = state.pending;
  if (!pending) { toast('Nothing to undo.'); return; }
  clearTimeout(pending.timer);
  state.pending = null;
  state.seen.delete(pending.item.frameId);
  if (state.current) { state.queue.unshift(state.current); }
  state.current = pending.item;
  $('item').hidden = false;
  $('empty').hidden = true;
  render(pending.item);
  imageUrl(pending.item).then((url) => show(pending.item, url), () => {});
  toast('Undone: ' + pending.label + ' was not sent.');
}

async function send(pending, keepalive = false) {
  clearTimeout(pending.timer);
  if (state.pending === pending) { state.pending = null; }
  const body = JSON.stringify({ frameId: pending.item.frameId, label: pending.label, source: pending.item.kind });
  try {
    await api('/api/v1/labels', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body, keepalive });
    refreshSummary().catch(() => {});
  } catch (e) {
    if (e.status === 410) {
      toast('Frame ' + pending.item.frameId.slice(0, 8) + ' expired before its label arrived.');
    } else if (e.status === 400 || e.status === 429) {
      toast('Label refused: ' + e.message);
    } else if (!(e instanceof HttpError) || e.status >= 500 || e.status === 409) {
      // Lost connection, a broker outage, or the same label still being published: keep it and try again.
      pending.timer = setTimeout(() => send(pending), 2000);
    }
  }
}

document.addEventListener('keydown', (event) => {
  if ($('review').hidden || event.target.tagName === 'INPUT') { return; }
  if (event.key === 'z' || event.key === 'Z') { undo(); return; }
  if (event.key === 'h' || event.key === 'H') { toggleHeatmap(); return; }
  if (event.key === 'Enter' && state.current && state.current.kind === 'REVIEW' && state.current.topK && state.current.topK.length) {
    choose(state.current.topK[0].className);
    return;
  }
  const digit = Number.parseInt(event.key, 10);
  if (digit >= 1 && digit <= state.classes.length) { choose(state.classes[digit - 1]); }
});

window.addEventListener('pagehide', () => { if (state.pending) { send(state.pending, true); } });
$('login-form').addEventListener('submit', login);
$('grace').textContent = String(GRACE_MS / 1000);
setInterval(() => { if (state.auth) { refreshSummary().catch(() => {}); } }, 5000);
setInterval(() => { if (state.auth) { refillQueue().catch(() => {}); } }, CLAIM_RENEW_MS);
