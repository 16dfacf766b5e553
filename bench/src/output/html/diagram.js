// The message diagram of one run (diagram.rs embeds this script and the run's data).
// Time runs downwards in µs; each message is 8 numbers in D.m:
// src lane, dest lane, type, sent, end (delivery, drop or run end), fate (0 delivered,
// 1 dropped, 2 in flight), parent + 1 (0: none), journal id.
"use strict";
const D = JSON.parse(document.getElementById("data").textContent), parsedAt = performance.now();
const M = D.m, S = 8, N = M.length / S, L = D.lanes.length, T = D.types.length;
const cv = document.getElementById("c"), g = cv.getContext("2d");
const tip = document.getElementById("tip"), info = document.getElementById("info");
const TOP = 46, LEFT = 58, PAL = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
  "#bcbd22", "#7f7f7f", "#ff7f0e", "#393b79", "#637939", "#8c6d31"];
const OUT = ["#17692a", "#c62828", "#d08a00", "#999"];
let W = 0, H = 0, t0 = 0, t1 = D.end * 1.01 + 1;
let laneOn = new Array(L).fill(true), typeOn = new Array(T).fill(true), col = [], laneW = 1;
let mark = null, selOp = -1, selMsg = -1;
// Delivery times never precede sends; the longest flight bounds the window search.
let maxFlight = 0;
for (let i = 0; i < N; i++) if (M[i * S + 5] !== 2) maxFlight = Math.max(maxFlight, M[i * S + 4] - M[i * S + 3]);
const inFlight = [];
for (let i = 0; i < N; i++) if (M[i * S + 5] === 2) inFlight.push(i);
const opAt = new Map(D.ops.map((o, k) => [o[0], k]));

// Each client lane sits, narrow, right after the node it talks to; services come last.
const home = new Array(L).fill(-1);
for (let i = 0; i < N; i++) {
  const a = M[i * S], b = M[i * S + 1];
  if (home[a] < 0 && D.lanes[a][0] === "c" && D.lanes[b][0] === "n") home[a] = b;
}
const isClient = (l) => /^c\d+$/.test(D.lanes[l]), isNode = (l) => /^n\d+$/.test(D.lanes[l]);
const order = [];
for (let l = 0; l < L; l++) {
  if (!isNode(l)) continue;
  order.push(l);
  for (let c = 0; c < L; c++) if (isClient(c) && home[c] === l) order.push(c);
}
for (let l = 0; l < L; l++) if (!order.includes(l)) order.push(l);
const weight = (l) => (isClient(l) ? 0.35 : 1);
let mid = [];
function layout() {
  const hdr = document.querySelector("header").getBoundingClientRect().height;
  const dpr = window.devicePixelRatio || 1;
  W = Math.max(400, innerWidth); H = Math.max(200, innerHeight - hdr);
  cv.width = W * dpr; cv.height = H * dpr; cv.style.width = W + "px"; cv.style.height = H + "px";
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  col = new Array(L).fill(-1); mid = new Array(L).fill(0);
  let sum = 0;
  for (const l of order) if (laneOn[l]) { col[l] = 1; mid[l] = sum + weight(l) / 2; sum += weight(l); }
  laneW = (W - LEFT - 10) / Math.max(1, sum);
}
const X = (l) => LEFT + mid[l] * laneW;
const Y = (t) => TOP + (t - t0) / (t1 - t0) * (H - TOP - 4);
const tOf = (y) => t0 + (y - TOP) / (H - TOP - 4) * (t1 - t0);
const shown = (i) => laneOn[M[i * S]] && laneOn[M[i * S + 1]] && typeOn[M[i * S + 2]];

// First message sent at or after time t (messages are in send order).
function firstAt(t) {
  let lo = 0, hi = N;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (M[mid * S + 3] < t) lo = mid + 1; else hi = mid; }
  return lo;
}
// Every message drawn in the window: sent before its end, arriving after its start.
function visible(fn) {
  const end = firstAt(t1 + 1);
  for (let i = firstAt(t0 - maxFlight); i < end; i++) if (M[i * S + 4] >= t0 && M[i * S + 5] !== 2) fn(i);
  for (const i of inFlight) if (M[i * S + 3] <= t1) fn(i);
}
function fmtT(us) { return (us / 1e6).toFixed(us < 1e7 && t1 - t0 < 2e5 ? 4 : 3) + " s"; }

let drawMs = 0;
function draw() {
  const began = performance.now();
  paint();
  drawMs = performance.now() - began;
}
function paint() {
  g.clearRect(0, 0, W, H);
  g.font = "11px system-ui,sans-serif";
  // Partitions.
  g.fillStyle = "rgba(244,185,185,0.35)";
  for (const p of D.parts) {
    const a = Math.max(TOP, Y(p[0])), b = Math.min(H, Y(p[1]));
    if (b > a) g.fillRect(LEFT, a, W - LEFT, b - a);
  }
  // Lanes and their names.
  g.strokeStyle = "#e4e4e4"; g.lineWidth = 1; g.fillStyle = "#333"; g.textAlign = "center";
  for (let l = 0; l < L; l++) {
    if (col[l] < 0) continue;
    const x = X(l);
    g.strokeStyle = isClient(l) ? "#f2f2f2" : "#dedede";
    g.beginPath(); g.moveTo(x, TOP); g.lineTo(x, H); g.stroke();
    if (isClient(l) && laneW * weight(l) < 9) continue;
    g.save(); g.translate(x, TOP - 4);
    if (laneW * weight(l) < 40) { g.rotate(-Math.PI / 2.6); g.textAlign = "left"; }
    g.fillStyle = isClient(l) ? "#888" : "#000";
    g.fillText(D.lanes[l], 0, 0); g.restore();
  }
  // Time axis.
  const span = t1 - t0, step = niceStep(span / 10);
  g.textAlign = "right"; g.fillStyle = "#555"; g.strokeStyle = "#f0f0f0";
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    const y = Y(t); g.fillText(fmtT(t), LEFT - 4, y + 4);
    g.beginPath(); g.moveTo(LEFT, y); g.lineTo(W, y); g.stroke();
  }
  // Operations: a bar on the client's lane from invocation to completion.
  for (const o of D.ops) {
    if (o[2] < 0 || col[o[2]] < 0) continue;
    const end = o[5] < 0 ? D.end : o[5];
    if (end < t0 || o[4] > t1) continue;
    const y0 = Y(o[4]), y1 = Math.max(Y(end), y0 + 2), x = X(o[2]);
    const on = selOp < 0 || D.ops[selOp] === o;
    g.fillStyle = on ? OUT[o[6]] : "rgba(150,150,150,0.3)";
    g.fillRect(x - 3, y0, 6, y1 - y0);
    if (D.ops[selOp] === o) { g.strokeStyle = "#000"; g.lineWidth = 2; g.strokeRect(x - 5, y0 - 2, 10, y1 - y0 + 4); }
  }
  // Messages, one path per colour (dimmed ones in one grey path under the others).
  let count = 0;
  const paths = new Map(), dim = new Path2D(), drops = new Path2D(), heads = [];
  visible((i) => {
    if (!shown(i)) return;
    count++;
    const o = i * S, x0 = X(M[o]), y0 = Y(M[o + 3]), x1 = X(M[o + 1]), y1 = Y(M[o + 4]);
    let p;
    if (mark && !mark[i]) p = dim;
    else if (M[o + 5] === 1) p = drops;
    else { p = paths.get(M[o + 2]); if (!p) { p = new Path2D(); paths.set(M[o + 2], p); } heads.push(i); }
    if (M[o + 5] === 1) {
      // A drop ends where the partition took it, part way to its receiver.
      const xm = x0 + (x1 - x0) * 0.6, ym = y0 + (y1 - y0) * 0.6 + 0.01;
      p.moveTo(x0, y0); p.lineTo(xm, ym);
      if (p === drops) { p.moveTo(xm - 3, ym - 3); p.lineTo(xm + 3, ym + 3); p.moveTo(xm + 3, ym - 3); p.lineTo(xm - 3, ym + 3); }
    } else { p.moveTo(x0, y0); p.lineTo(x1, y1); }
  });
  g.lineWidth = 1; g.strokeStyle = "rgba(160,160,160,0.25)"; g.stroke(dim);
  g.lineWidth = mark ? 2 : 1;
  for (const [ty, p] of paths) { g.strokeStyle = PAL[ty % PAL.length]; g.stroke(p); }
  g.strokeStyle = "#d32f2f"; g.stroke(drops);
  if (heads.length < 4000) {
    for (const i of heads) {
      const o = i * S, x0 = X(M[o]), y0 = Y(M[o + 3]), x1 = X(M[o + 1]), y1 = Y(M[o + 4]);
      const a = Math.atan2(y1 - y0, x1 - x0);
      g.fillStyle = PAL[M[o + 2] % PAL.length];
      g.beginPath(); g.moveTo(x1, y1);
      g.lineTo(x1 - 7 * Math.cos(a - 0.35), y1 - 7 * Math.sin(a - 0.35));
      g.lineTo(x1 - 7 * Math.cos(a + 0.35), y1 - 7 * Math.sin(a + 0.35)); g.fill();
    }
  }
  let sel = "";
  if (mark) { let n = 0; for (let i = 0; i < N; i++) n += mark[i]; sel = ` · ${n} highlighted`; }
  info.textContent = `${fmtT(t0)} – ${fmtT(t1)} · ${count} of ${N} messages in view${sel}` +
    (D.total > N ? ` · only the first ${N} of ${D.total} messages are drawn` : "") +
    (D.exact ? "" : " · causes inferred (process run)");
}
function niceStep(x) {
  const p = Math.pow(10, Math.floor(Math.log10(Math.max(x, 1)))), r = x / p;
  return p * (r < 2 ? 2 : r < 5 ? 5 : 10);
}

// The messages an operation (or a message) caused: its requests and, in "chain" mode, every
// message whose parent is marked (a parent is always sent before its child); in "after" mode,
// everything sent by an endpoint after a marked message reached it (Lamport's happened-after).
function causedBy(roots) {
  const m = new Uint8Array(N);
  if (!roots.length) return m;
  for (const r of roots) m[r] = 1;
  if (document.getElementById("mode").value === "chain") {
    for (let i = 0; i < N; i++) { const p = M[i * S + 6]; if (p && m[p - 1]) m[i] = 1; }
    return m;
  }
  const since = new Float64Array(L).fill(Infinity);
  let from = N;
  for (const r of roots) { from = Math.min(from, r); since[M[r * S]] = Math.min(since[M[r * S]], M[r * S + 3]); }
  for (let i = from; i < N; i++) {
    const o = i * S;
    if (!m[i] && since[M[o]] <= M[o + 3]) m[i] = 1;
    if (m[i] && M[o + 5] === 0) since[M[o + 1]] = Math.min(since[M[o + 1]], M[o + 4]);
  }
  return m;
}
function selectOp(k, zoom) {
  selOp = k; selMsg = -1;
  const o = D.ops[k];
  mark = o ? causedBy(o[7]) : null;
  if (o && zoom) {
    let a = o[4], b = o[5] < 0 ? D.end : o[5];
    if (document.getElementById("mode").value === "chain") {
      for (let i = 0; i < N; i++) if (mark[i]) { a = Math.min(a, M[i * S + 3]); b = Math.max(b, M[i * S + 4]); }
    }
    const pad = Math.max((b - a) * 0.15, 500);
    t0 = Math.max(0, a - pad); t1 = b + pad;
  }
  draw();
}
function selectMsg(i) { selOp = -1; selMsg = i; mark = causedBy([i]); draw(); }
function clear() { selOp = -1; selMsg = -1; mark = null; draw(); }

// What is under the pointer: an operation bar, else the nearest message within 5 px.
function hit(x, y) {
  for (let k = 0; k < D.ops.length; k++) {
    const o = D.ops[k];
    if (o[2] < 0 || col[o[2]] < 0 || Math.abs(x - X(o[2])) > 4) continue;
    const y0 = Y(o[4]), y1 = Math.max(Y(o[5] < 0 ? D.end : o[5]), y0 + 2);
    if (y >= y0 - 1 && y <= y1 + 1) return { op: k };
  }
  let best = -1, bd = 25;
  visible((i) => {
    if (!shown(i)) return;
    const o = i * S, x0 = X(M[o]), y0 = Y(M[o + 3]);
    let x1 = X(M[o + 1]), y1 = Y(M[o + 4]);
    if (M[o + 5] === 1) { x1 = x0 + (x1 - x0) * 0.6; y1 = y0 + (y1 - y0) * 0.6; }
    const dx = x1 - x0, dy = y1 - y0, len = dx * dx + dy * dy;
    const u = len ? Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len)) : 0;
    const ex = x0 + u * dx - x, ey = y0 + u * dy - y, d = ex * ex + ey * ey;
    if (d < bd) { bd = d; best = i; }
  });
  return best >= 0 ? { msg: best } : null;
}
function describe(h) {
  if (h.op !== undefined) {
    const o = D.ops[h.op], end = o[5] < 0 ? "never completed" : `→ ${fmtT(o[5])} ${["ok", "fail", "info", ""][o[6]]}`;
    return `op ${o[0]}: ${o[3]} by process ${o[1]} on ${D.lanes[o[2]]}, ${fmtT(o[4])} ${end}` +
      ` · ${o[7].length} request(s); click to highlight what it caused`;
  }
  const o = h.msg * S, fate = ["delivered", "dropped by a partition", "still in flight at the end"][M[o + 5]];
  const t = M[o + 5] === 2 ? "" : ` ${fmtT(M[o + 4])} (${((M[o + 4] - M[o + 3]) / 1000).toFixed(2)} ms)`;
  return `#${M[o + 7]} ${D.lanes[M[o]]} → ${D.lanes[M[o + 1]]} ${D.types[M[o + 2]]}, sent ${fmtT(M[o + 3])}, ${fate}${t}\n` +
    (typeof D.b[h.msg] === "string" ? D.b[h.msg] : JSON.stringify(D.b[h.msg]));
}
function pos(e) { const r = cv.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
function zoom(f, at) {
  const c = at === undefined ? (t0 + t1) / 2 : at;
  t0 = Math.max(-1e5, c - (c - t0) * f); t1 = c + (t1 - c) * f;
  if (t1 - t0 < 10) t1 = t0 + 10;
  draw();
}

// Controls.
cv.addEventListener("click", (e) => {
  if (dragged) return;
  const [x, y] = pos(e), h = hit(x, y);
  if (!h) clear(); else if (h.op !== undefined) selectOp(h.op, false); else selectMsg(h.msg);
});
cv.addEventListener("wheel", (e) => {
  e.preventDefault();
  const [, y] = pos(e);
  if (e.ctrlKey || e.metaKey) zoom(Math.exp(e.deltaY * 0.002), tOf(y));
  else { const d = e.deltaY / (H - TOP) * (t1 - t0); t0 += d; t1 += d; draw(); }
}, { passive: false });
let drag = null, dragged = false;
cv.addEventListener("mousedown", (e) => { drag = [e.clientY, t0, t1]; dragged = false; });
addEventListener("mouseup", () => { drag = null; });
let pending = false;
cv.addEventListener("mousemove", (e) => {
  if (drag) {
    const d = (e.clientY - drag[0]) / (H - TOP) * (drag[2] - drag[1]);
    if (Math.abs(e.clientY - drag[0]) > 3) dragged = true;
    t0 = drag[1] - d; t1 = drag[2] - d; draw(); return;
  }
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    const [x, y] = pos(e), h = hit(x, y);
    if (!h) { tip.style.display = "none"; return; }
    tip.textContent = describe(h); tip.style.display = "block";
    tip.style.left = Math.min(e.clientX + 14, innerWidth - 580) + "px"; tip.style.top = (e.clientY + 14) + "px";
  });
});
cv.addEventListener("mouseleave", () => { tip.style.display = "none"; });
document.getElementById("zin").onclick = () => zoom(0.5);
document.getElementById("zout").onclick = () => zoom(2);
document.getElementById("all").onclick = () => { t0 = 0; t1 = D.end * 1.01 + 1; draw(); };
document.getElementById("mode").onchange = () => {
  if (selOp >= 0) selectOp(selOp, false); else if (selMsg >= 0) selectMsg(selMsg);
};
document.getElementById("nodes").onchange = (e) => {
  const want = e.target.value.split(/[\s,]+/).filter((w) => w);
  const ok = (n) => want.some((w) => w.endsWith("*") ? n.startsWith(w.slice(0, -1)) : n === w);
  laneOn = D.lanes.map((n) => !want.length || ok(n));
  layout(); draw();
};
document.getElementById("op").onchange = (e) => {
  const k = opAt.get(Number(e.target.value));
  if (k !== undefined) selectOp(k, true);
};
const typesBox = document.getElementById("types");
D.types.forEach((t, k) => {
  const l = document.createElement("label"), c = document.createElement("input");
  c.type = "checkbox"; c.checked = true;
  c.onchange = () => { typeOn[k] = c.checked; draw(); };
  const sw = document.createElement("span"); sw.className = "key"; sw.style.background = PAL[k % PAL.length];
  l.append(c, sw, " " + t); typesBox.append(l);
});
addEventListener("resize", () => { layout(); draw(); });

// Where the page opens: #t=12.3 (seconds) or #op=417 (history index of an invocation).
function fromHash() {
  const h = location.hash.slice(1), [k, v] = h.split("=");
  if (k === "t" && isFinite(Number(v))) {
    const c = Number(v) * 1e6, half = Math.min(5e5, D.end / 2);
    t0 = Math.max(0, c - half); t1 = c + half; mark = null; selOp = -1; draw();
  } else if (k === "op" && opAt.has(Number(v))) selectOp(opAt.get(Number(v)), true);
}
addEventListener("hashchange", fromHash);
layout();
draw();
fromHash();
const painted = performance.now();

// Self-check (the browser test): `?selftest=417` clicks operation 417's bar as a user would,
// then writes what is highlighted into #selftest for the test to compare.
const st = new URLSearchParams(location.search).get("selftest");
if (st !== null) {
  const out = { parsed_ms: parsedAt, painted_ms: painted, first_draw_ms: drawMs, messages: N };
  zoom(0.1); out.zoomed_draw_ms = drawMs;
  const k = opAt.get(Number(st));
  if (k !== undefined) {
    const o = D.ops[k];
    t0 = Math.max(0, o[4] - 2000); t1 = (o[5] < 0 ? D.end : o[5]) + 2000; mark = null; draw();
    const r = cv.getBoundingClientRect(), y = (Y(o[4]) + Y(o[5] < 0 ? D.end : o[5])) / 2;
    cv.dispatchEvent(new MouseEvent("click", { clientX: r.left + X(o[2]), clientY: r.top + y, bubbles: true }));
    out.selected = selOp >= 0 ? D.ops[selOp][0] : null;
    out.ids = [];
    if (mark) for (let i = 0; i < N; i++) if (mark[i]) out.ids.push(M[i * S + 7]);
  }
  document.getElementById("selftest").textContent = JSON.stringify(out);
}
