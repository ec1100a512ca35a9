// The scanner page: pairs the phone, picks a checkpoint, takes codes from a keyboard-wedge
// scanner, the keyboard or the camera, asks the server, and answers from the offline bundle
// (queuing the scan for upload) when the network is gone.
import { parseCode, verifySignature, fromBase64 } from "./code.js";
import { decideOffline } from "./offline.js";
import { showAnswer, hideAnswer, fill, clock } from "./feedback.js";
import { startCamera } from "./camera.js";
import { openStore } from "./store.js";

const root = document.getElementById("scanner");
const API = root.dataset.api;
const t = { ...document.getElementById("scanner-i18n").dataset };
const $ = (id) => document.getElementById(id);
const KEY = { token: "thetsakan.scanner.token", device: "thetsakan.scanner.device", festival: "thetsakan.scanner.festival",
  checkpoint: "thetsakan.scanner.checkpoint", name: "thetsakan.scanner.name", cutOff: "thetsakan.scanner.cut_off" };

const state = { vendor: null, store: null, token: null, bundle: null, etag: null, festival: null, checkpoint: null,
  local: { admits: {}, walkIns: {} }, syncing: false, camera: null, lastCode: "", lastCodeAt: 0, keys: [] };

function uuid() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
}

function deviceId() {
  let id = localStorage.getItem(KEY.device);
  if (!id) {
    id = "web-" + uuid();
    localStorage.setItem(KEY.device, id);
  }
  return id;
}

function say(text) {
  $("setup-message").textContent = text;
  $("setup-message").classList.remove("visually-hidden");
}

async function api(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (options.body) headers["Content-Type"] = "application/json";
  return fetch(API + path, { ...options, headers, body: options.body ? JSON.stringify(options.body) : undefined });
}

async function loadVendor() {
  try {
    return await import(root.dataset.vendor);
  } catch (error) {
    return null; // no build: typed and wedge codes still work, online and offline
  }
}

// --- getting a token ------------------------------------------------------------------

function pairingCodeFrom(text) {
  try {
    const url = new URL(text, location.href);
    return url.searchParams.get("pair");
  } catch (error) {
    return null;
  }
}

// The organiser's Team page lists each member's phones by the name given here ("Gate 2 phone"),
// so a phone is asked for its name before it gets a token.
function askPhoneName() {
  const form = $("phone-name-form");
  const input = $("phone-name");
  const error = $("phone-name-error");
  input.value = localStorage.getItem(KEY.name) || "";
  $("needs-pairing").hidden = true;
  form.hidden = false;
  say(t.name_phone);
  input.focus();
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      event.preventDefault();
      const name = input.value.trim().slice(0, 100);
      if (!name) {
        input.setAttribute("aria-invalid", "true");
        error.hidden = false;
        input.focus();
        return;
      }
      input.removeAttribute("aria-invalid");
      error.hidden = true;
      form.hidden = true;
      form.onsubmit = null;
      localStorage.setItem(KEY.name, name);
      resolve(name);
    };
  });
}

async function pair(code) {
  const label = await askPhoneName();
  say(t.pairing);
  const response = await fetch(API + "/scanner-devices/pair", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ pairing_code: code, label }),
  });
  if (!response.ok) {
    say(t.pair_failed);
    return false;
  }
  const body = await response.json();
  keepToken(body.token);
  localStorage.setItem(KEY.festival, body.festival);
  return true;
}

function keepToken(token) {
  localStorage.setItem(KEY.token, token);
  localStorage.removeItem(KEY.cutOff);
  state.token = token;
}

async function tokenForSignedIn() {
  const festivals = (root.dataset.festivals || "").split(" ").filter(Boolean);
  if (!root.dataset.signedIn || !festivals.length) return false;
  const wanted = localStorage.getItem(KEY.festival);
  const label = await askPhoneName();
  const response = await fetch("/scan/device", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
    body: JSON.stringify({ festival: festivals.includes(wanted) ? wanted : festivals[0], label }),
  });
  if (!response.ok) return false;
  const body = await response.json();
  keepToken(body.token);
  return true;
}

function needPairing() {
  // A token the server no longer takes: the phone's member was removed, switched off or signed out
  // everywhere. Said so, also after a reload, until the phone is paired again: "not set up yet"
  // would send a staff member looking for a set-up step they already did.
  if (state.token) localStorage.setItem(KEY.cutOff, "1");
  const message = localStorage.getItem(KEY.cutOff) ? t.cut_off : t.unpaired;
  localStorage.removeItem(KEY.token);
  state.token = null;
  $("needs-pairing-message").textContent = message;
  say(message);
  // Announced (the status line), but shown once: in the card, above what to do about it.
  $("setup-message").classList.add("visually-hidden");
  // A "welcome to the team" shown when the page opened no longer holds.
  for (const flash of document.querySelectorAll(".flashes")) flash.hidden = true;
  $("needs-pairing").hidden = false;
  $("pickers").hidden = true;
  $("scan-area").hidden = true;
}

// --- festival, bundle and checkpoint ---------------------------------------------------------

async function loadFestivals() {
  let festivals = null;
  try {
    const response = await api("/scanner/festivals");
    if (response.status === 401) return null;
    if (response.ok) {
      festivals = (await response.json()).festivals;
      await state.store.set("festivals", festivals);
    }
  } catch (error) {
    // offline: what we knew
  }
  return festivals || (await state.store.get("festivals")) || [];
}

async function refreshBundle() {
  const slug = state.festival;
  const cached = await state.store.get("bundle." + slug);
  if (cached && !state.bundle) useBundle(cached.body, cached.etag);
  try {
    const headers = state.etag ? { "If-None-Match": '"' + state.etag + '"' } : {};
    const response = await api("/festivals/" + encodeURIComponent(slug) + "/scanner-bundle", { headers });
    if (response.status === 401) { needPairing(); return; }
    if (response.ok) {
      const body = await response.json();
      const etag = (response.headers.get("ETag") || "").replace(/^W\//, "").replace(/"/g, "");
      await state.store.set("bundle." + slug, { body, etag });
      useBundle(body, etag);
    }
  } catch (error) {
    // offline: keep the bundle we have
  }
}

function useBundle(body, etag) {
  state.bundle = body;
  state.etag = etag;
  state.keys = body.keys.map((k) => fromBase64(k.base64));
  $("bundle-state").textContent = fill(t.bundle, { time: clock(body.generated_at, body.festival.timezone) });
  const select = $("checkpoint-select");
  const current = select.value || localStorage.getItem(KEY.checkpoint);
  select.innerHTML = "";
  for (const checkpoint of body.checkpoints) {
    const option = document.createElement("option");
    option.value = String(checkpoint.id);
    option.textContent = checkpoint.name;
    select.append(option);
  }
  if (current && body.checkpoints.some((c) => String(c.id) === current)) select.value = current;
  pickCheckpoint();
}

function pickCheckpoint() {
  const id = $("checkpoint-select").value;
  state.checkpoint = state.bundle ? state.bundle.checkpoints.find((c) => String(c.id) === id) || null : null;
  if (!state.checkpoint) {
    say(state.bundle && !state.bundle.checkpoints.length ? t.no_checkpoints : t.pick);
    $("scan-area").hidden = true;
    return;
  }
  localStorage.setItem(KEY.checkpoint, id);
  $("direction").hidden = !(state.checkpoint.kind === "gate" && state.checkpoint.counts_exits);
  $("scan-area").hidden = false;
  root.dataset.ready = "1";
  say(t.ready);
  $("code-input").focus();
}

function direction() {
  const checked = document.querySelector('input[name="direction"]:checked');
  return $("direction").hidden || !checked ? "in" : checked.value;
}

// --- scanning --------------------------------------------------------------------------------

async function localAnswer(item) {
  const parsed = parseCode(item.code);
  const verified = parsed && parsed.festivalId === state.bundle.festival.id
    ? await verifySignature(parsed, state.keys, state.vendor) : false;
  const answer = decideOffline({ bundle: state.bundle, checkpoint: state.checkpoint, parsed, verified,
    direction: item.direction, scannedAt: new Date(item.scanned_at), local: state.local });
  await state.store.set("local." + state.festival, state.local);
  return answer;
}

function rememberAdmit(answer, item) {
  const parsed = parseCode(item.code);
  if (!parsed || answer.result !== "admitted" || answer.rehearsal) return;  // a rehearsal admits nobody for real
  const key = state.checkpoint.id + ":" + parsed.publicId;
  const first = (state.local.admits[key] && state.local.admits[key].first_scanned_at) || item.scanned_at;
  state.local.admits[key] = { first_scanned_at: first, inside: item.direction !== "out" };
  state.store.set("local." + state.festival, state.local);
}

async function submit(code) {
  code = String(code || "").trim();
  if (!code || !state.checkpoint || !state.bundle) return;
  const pairing = pairingCodeFrom(code);
  if (pairing) { await pair(pairing); location.replace("/scan"); return; }
  const item = { local_id: uuid(), code, scanned_at: new Date().toISOString(), checkpoint_id: state.checkpoint.id,
    direction: direction() };
  const zone = state.bundle.festival.timezone;
  if (navigator.onLine) {
    try {
      const response = await api("/checkpoints/" + item.checkpoint_id + "/scans", { method: "POST",
        body: { code, scanned_at: item.scanned_at, device_id: deviceId(), direction: item.direction, local_id: item.local_id } });
      if (response.status === 401) { needPairing(); return; }
      if (response.ok) {
        const answer = await response.json();
        answer.exit = item.direction === "out" && answer.result === "admitted";
        rememberAdmit(answer, item);
        showAnswer(answer, t, { timeZone: zone, offline: false });
        return;
      }
      if (response.status < 500) {
        showAnswer({ result: "invalid" }, t, { timeZone: zone, offline: false });
        return;
      }
    } catch (error) {
      // the network dropped: answer from the bundle and queue it
    }
  }
  const answer = await localAnswer(item);
  await state.store.enqueue(item);
  await showQueue();
  showAnswer(answer, t, { timeZone: zone, offline: true });
}

// --- the offline queue -----------------------------------------------------------------------

async function showQueue() {
  const count = await state.store.count();
  const badge = $("queue-state");
  badge.dataset.count = String(count);
  badge.textContent = fill(t.waiting, { n: count });
  badge.hidden = count === 0;
}

function showNetwork() {
  const online = navigator.onLine;
  $("net-state").textContent = online ? t.online : t.offline;
  $("net-state").className = "badge" + (online ? "" : " bad");
}

async function sync() {
  if (state.syncing || !navigator.onLine || !state.token) return;
  state.syncing = true;
  try {
    const items = await state.store.queued();
    const byCheckpoint = new Map();
    for (const item of items) {
      if (!byCheckpoint.has(item.checkpoint_id)) byCheckpoint.set(item.checkpoint_id, []);
      byCheckpoint.get(item.checkpoint_id).push(item);
    }
    for (const [checkpointId, group] of byCheckpoint) {
      for (let i = 0; i < group.length; i += 200) {
        const chunk = group.slice(i, i + 200);
        const response = await api("/checkpoints/" + checkpointId + "/scans/batch", { method: "POST", body: {
          device_id: deviceId(),
          scans: chunk.map((s) => ({ local_id: s.local_id, code: s.code, scanned_at: s.scanned_at, direction: s.direction })),
        } });
        if (response.status === 401) { needPairing(); return; }
        if (response.ok || response.status === 403 || response.status === 404 || response.status === 422) {
          // Stored (or refused for good: a checkpoint gone or not ours); either way not to be sent again.
          await state.store.remove(chunk.map((s) => s.local_id));
        }
      }
    }
    if (items.length) await refreshBundle();
  } catch (error) {
    // still offline: the next attempt will send them
  } finally {
    state.syncing = false;
    await showQueue();
  }
}

// --- camera ----------------------------------------------------------------------------------

async function toggleCamera(forPairing) {
  const video = $("camera");
  const message = $("camera-message");
  if (state.camera) {
    state.camera.stop();
    state.camera = null;
    video.hidden = true;
    return;
  }
  if (forPairing) $("scan-area").hidden = false;
  video.hidden = false;
  message.hidden = true;
  try {
    state.camera = await startCamera(video, state.vendor, (text) => {
      const now = Date.now();
      if (text === state.lastCode && now - state.lastCodeAt < 4000) return; // the same code still in view
      state.lastCode = text;
      state.lastCodeAt = now;
      const pairing = pairingCodeFrom(text);
      if (pairing) { pair(pairing).then((ok) => ok && location.replace("/scan")); return; }
      submit(text);
    });
    root.dataset.camera = "on";
  } catch (error) {
    video.hidden = true;
    message.hidden = false;
    message.textContent = error.message === "no-decoder" ? t.camera_off : t.camera_denied;
  }
}

// --- start -----------------------------------------------------------------------------------

async function start() {
  showNetwork();
  state.vendor = await loadVendor();
  state.store = await openStore(state.vendor);
  root.dataset.store = state.store.kind;
  root.dataset.npmBundle = state.vendor ? "loaded" : "missing";
  await showQueue();
  const pairing = new URLSearchParams(location.search).get("pair");
  if (pairing) {
    await pair(pairing);
    history.replaceState(null, "", "/scan");
  }
  state.token = state.token || localStorage.getItem(KEY.token);
  if (!state.token && !(await tokenForSignedIn())) { needPairing(); return; }
  const festivals = await loadFestivals();
  if (festivals === null) { needPairing(); return; }
  if (!festivals.length) { say(t.no_festival); return; }
  const select = $("festival-select");
  for (const festival of festivals) {
    const option = document.createElement("option");
    option.value = festival.slug;
    option.textContent = root.dataset.locale === "th" ? festival.name_th : festival.name_en;
    select.append(option);
  }
  const saved = localStorage.getItem(KEY.festival);
  if (saved && festivals.some((f) => f.slug === saved)) select.value = saved;
  $("pickers").hidden = false;
  await chooseFestival();
  setInterval(sync, 15000);
  setInterval(refreshBundle, 60000);
  sync();
}

async function chooseFestival() {
  state.festival = $("festival-select").value;
  localStorage.setItem(KEY.festival, state.festival);
  state.bundle = null;
  state.etag = null;
  state.local = (await state.store.get("local." + state.festival)) || { admits: {}, walkIns: {} };
  await refreshBundle();
}

$("festival-select").addEventListener("change", chooseFestival);
$("checkpoint-select").addEventListener("change", pickCheckpoint);
$("code-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("code-input");
  const code = input.value;
  input.value = "";
  submit(code);
  input.focus();
});
$("answer").addEventListener("click", () => { hideAnswer(); $("code-input").focus(); });
$("camera-button").addEventListener("click", () => toggleCamera(false));
$("pair-camera").addEventListener("click", () => toggleCamera(true));
window.addEventListener("online", () => { showNetwork(); sync(); });
window.addEventListener("offline", showNetwork);

start();
