/* imrassist web page. Plain JavaScript, no dependencies, no build step.
 *
 * Everything shown comes from the HTTP API of the same server (/v1/analyze, /v1/explain, /v1/check): the page
 * adds no logic of its own beyond presenting it. Letter text is untrusted: it only ever reaches the DOM as
 * text nodes (createTextNode / textContent), never as HTML.
 */
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const CHECK_DELAY_MS = 400;
  const LONG_SPAN = 220;
  const reducedMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  const state = {
    token: sessionStorage.getItem("imrassist-token") || "",
    analysis: null, // the /v1/analyze answer
    letterText: "",
    letterName: "",
    lang: "en",
    explanations: { en: null, es: null }, // per language: the current (possibly edited) text
    evidence: [], // [{id, start, end, field, value}]
    findings: { letter: [], explanation: [], summary: [] },
    seen: { explanation: null, summary: null },
    seq: { explanation: 0, summary: 0 },
    timers: {},
    lastSubmit: null,
    double: false, // the letter has a blank line after almost every line (hide every other break)
    softBreaks: [], // [[start, end)] line breaks that only wrap a paragraph, shown as one space
  };

  // ------------------------------------------------------------------------------------------ helpers

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function announce(text) {
    const a = $("announcer");
    a.textContent = "";
    window.setTimeout(() => { a.textContent = text; }, 30);
  }

  const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"];
  function fmtDate(iso) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso || ""));
    return m ? `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}, ${m[1]}` : String(iso);
  }

  function plural(n, one, many) { return `${n} ${n === 1 ? one : many || one + "s"}`; }

  class ApiError extends Error {
    constructor(status, reason, message) { super(message); this.status = status; this.reason = reason; }
  }

  async function api(path, body, { form = false, signal } = {}) {
    const headers = {};
    if (state.token) headers.Authorization = "Bearer " + state.token;
    let payload = body;
    if (!form) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    let r;
    try {
      r = await fetch(path, { method: "POST", headers, body: payload, signal, credentials: "same-origin" });
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(0, "network", "The server could not be reached.");
    }
    let data = null;
    try { data = await r.json(); } catch (_) { data = null; }
    if (r.status === 401) {
      showTokenForm();
      throw new ApiError(401, "unauthorized", "This server needs an access token: enter it at the top of the page.");
    }
    if (!r.ok) {
      const err = data && data.error;
      throw new ApiError(r.status, (err && err.reason) || "http", (err && err.message) || `The server answered ${r.status}.`);
    }
    return data;
  }

  function showTokenForm() {
    const f = $("token-form");
    if (f.hidden) {
      f.hidden = false;
      $("token").focus();
    }
  }

  // ------------------------------------------------------------------------------------- evidence walk

  const FIELD_NAMES = {
    "letter.case_number": "Case number", "letter.priority": "Review priority",
    "worker.age": "Worker's age", "worker.sex": "Worker's sex",
    "dates.injury": "Date of injury", "dates.ur_decision": "Utilization review decision",
    "dates.application_received": "IMR application received", "dates.assigned": "Assigned to reviewer",
    "dates.determination": "Determination date",
    "reviewer.specialty": "Reviewer's specialty", "reviewer.licensed_in": "Reviewer licensed in",
    "reviewer.years_in_practice": "Reviewer's years in practice", "reviewer.hours_per_week": "Reviewer's hours a week",
    "summary.diagnoses": "Diagnosis", "summary.requested": "Requested", "summary.events": "Clinical event",
    "summary.utilization_review.date": "UR date", "summary.utilization_review.outcome": "UR outcome",
    "summary.utilization_review.reason": "UR reason",
  };
  const ITEM_FIELDS = {
    treatment: "treatment", original_request: "original request", authorized: "authorized instead",
    quantity: "quantity", unit: "unit", decision: "decision", guidelines: "guideline relied on",
    guidelines_none_cited: "no guideline cited", ca_guidelines: "claims administrator's guideline",
    ca_guidelines_none_cited: "claims administrator cited none", limit: "limit quoted",
    medically_necessary: "rationale concludes", rationale: "rationale",
  };

  function fieldLabel(path) {
    const parts = path.split(".");
    if (parts[0] === "items" && parts.length >= 3) {
      return `Item ${Number(parts[1]) + 1} · ${ITEM_FIELDS[parts[2]] || parts[2].replace(/_/g, " ")}`;
    }
    const noIdx = parts.filter((p) => !/^\d+$/.test(p));
    for (let n = noIdx.length; n > 0; n--) {
      const key = noIdx.slice(0, n).join(".");
      if (FIELD_NAMES[key]) {
        const rest = noIdx.slice(n).filter((p) => p !== "value");
        return FIELD_NAMES[key] + (rest.length ? " · " + rest.join(" ").replace(/_/g, " ") : "");
      }
    }
    return noIdx.join(" · ").replace(/_/g, " ");
  }

  function citationText(c) {
    const bits = [c.source, c.document, c.year].filter(Boolean).join(" ");
    const topic = c.topic ? ` – ${c.topic}` : "";
    const pages = c.pages && c.pages.length ? `, p. ${c.pages.join(", ")}` : "";
    return bits + topic + pages;
  }

  function valueText(path, v) {
    if (v === null || v === undefined) return "–";
    if (typeof v === "boolean") {
      if (path.endsWith("medically_necessary")) return v ? "medically necessary" : "not medically necessary";
      return v ? "yes" : "no";
    }
    if (typeof v === "object") {
      if ("min" in v || "max" in v) {
        const range = v.min != null && v.max != null && v.min !== v.max ? `${v.min}–${v.max}` : (v.max ?? v.min ?? "");
        return `${range} ${unitText(v.unit, v.max ?? v.min)}`.trim();
      }
      return JSON.stringify(v);
    }
    const s = String(v);
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return fmtDate(s);
    return s.length > 180 ? s.slice(0, 177) + "…" : s;
  }

  function collectEvidence(record) {
    const out = [];
    const walk = (node, path) => {
      if (Array.isArray(node)) { node.forEach((v, i) => walk(v, path ? `${path}.${i}` : String(i))); return; }
      if (!node || typeof node !== "object") return;
      const ev = node.evidence;
      if (ev && typeof ev === "object" && Number.isInteger(ev.start) && Number.isInteger(ev.end) && ev.end > ev.start) {
        let value;
        if ("value" in node) value = valueText(path, node.value);
        else if ("source" in node) value = citationText(node);
        if (value !== undefined) out.push({ id: "e" + out.length, start: ev.start, end: ev.end, field: fieldLabel(path), value });
      }
      for (const [k, v] of Object.entries(node)) {
        if (k === "evidence" || k === "span" || k === "meta") continue;
        if (v && typeof v === "object") walk(v, path ? `${path}.${k}` : k);
      }
    };
    walk(record, "");
    return out;
  }

  // ----------------------------------------------------------------------------------- letter render

  function allFindingSpans() {
    const spans = [];
    for (const list of ["letter", "explanation", "summary"]) {
      state.findings[list].forEach((f, i) => {
        if (Array.isArray(f.span) && f.span[1] > f.span[0]) spans.push({ id: `${list}-${i}`, start: f.span[0], end: f.span[1], f });
      });
    }
    return spans;
  }

  // Text as a node sequence; in a double-spaced letter each blank line stays in the page (offsets and
  // copy-paste are unchanged) but is not shown.
  function appendPlain(parent, piece) {
    if (!state.double) { parent.append(document.createTextNode(piece)); return; }
    const re = /\n([ \t\r]*)(?=\n)/g;
    let pos = 0, m;
    while ((m = re.exec(piece))) {
      parent.append(document.createTextNode(piece.slice(pos, m.index) + "\n"));
      parent.append(h("span", { class: "dbl", "aria-hidden": "true" }, m[1] + "\n"));
      pos = m.index + m[0].length + 1;
      re.lastIndex = pos;
    }
    if (pos < piece.length) parent.append(document.createTextNode(piece.slice(pos)));
  }

  function appendText(parent, text, soft) {
    // A line break that only wraps a paragraph (the server's letter.soft_breaks): shown as one space.
    if (soft) { parent.append(h("span", { class: "soft" }, text)); return; }
    const pieces = text.split("\f");
    pieces.forEach((piece, i) => {
      if (i > 0) parent.append(h("span", { class: "page-break", role: "separator", "aria-label": "page break" }));
      if (piece) appendPlain(parent, piece);
    });
  }

  function renderLetter() {
    const box = $("letter");
    const text = state.letterText;
    const ev = state.evidence;
    const fs = allFindingSpans();
    const soft = state.softBreaks;
    const cuts = new Set([0, text.length]);
    for (const s of ev.concat(fs)) {
      cuts.add(Math.max(0, Math.min(text.length, s.start)));
      cuts.add(Math.max(0, Math.min(text.length, s.end)));
    }
    for (const [s, e] of soft) { cuts.add(s); cuts.add(e); }
    const points = [...cuts].sort((a, b) => a - b);
    const frag = document.createDocumentFragment();
    const focusable = new Set();
    let k = 0; // the first soft break not yet passed
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i], b = points[i + 1];
      const seg = text.slice(a, b);
      while (k < soft.length && soft[k][1] <= a) k++;
      const isSoft = k < soft.length && soft[k][0] <= a && b <= soft[k][1];
      const evs = ev.filter((s) => s.start <= a && s.end >= b);
      const fsh = fs.filter((s) => s.start <= a && s.end >= b);
      if (!evs.length && !fsh.length) { appendText(frag, seg, isSoft); continue; }
      const shortEv = evs.filter((s) => s.end - s.start <= LONG_SPAN);
      let cls = "";
      if (evs.length) cls += shortEv.length ? "ev" : "ev ev-long";
      if (fsh.length) {
        const sev = fsh.some((s) => s.f.severity === "error") ? "error" : fsh.some((s) => s.f.severity === "warning") ? "warning" : "info";
        cls += ` fs sev-${sev}`;
      }
      const attrs = { class: cls.trim() };
      if (evs.length) attrs["data-ev"] = evs.map((s) => s.id).join(" ");
      if (fsh.length) attrs["data-f"] = fsh.map((s) => s.id).join(" ");
      // One tab stop per short evidence span (its first piece), and per finding span.
      const firsts = shortEv.filter((s) => s.start === a && !focusable.has(s.id)).concat(fsh.filter((s) => s.start === a && !focusable.has(s.id)));
      if (firsts.length) {
        firsts.forEach((s) => focusable.add(s.id));
        attrs.tabindex = "0";
        attrs["aria-describedby"] = "tip";
      }
      const mark = h("mark", attrs);
      appendText(mark, seg, isSoft);
      frag.append(mark);
    }
    const scroll = box.scrollTop;
    box.replaceChildren(frag);
    box.scrollTop = scroll;
  }

  // ------------------------------------------------------------------------------------------ tooltip

  const evById = () => new Map(state.evidence.map((e) => [e.id, e]));

  function tipRows(mark) {
    const rows = [];
    const evMap = evById();
    const ids = (mark.getAttribute("data-ev") || "").split(" ").filter(Boolean);
    const evs = ids.map((id) => evMap.get(id)).filter(Boolean).sort((x, y) => (x.end - x.start) - (y.end - y.start));
    for (const e of evs.slice(0, 4)) rows.push([e.field, e.value]);
    if (evs.length > 4) rows.push(["", `and ${evs.length - 4} more`]);
    const fids = (mark.getAttribute("data-f") || "").split(" ").filter(Boolean);
    const spans = new Map(allFindingSpans().map((s) => [s.id, s]));
    for (const id of fids.slice(0, 3)) {
      const s = spans.get(id);
      if (s) rows.push([`${s.f.severity} · ${s.f.kind}`, s.f.message]);
    }
    return rows;
  }

  function showTip(mark) {
    const rows = tipRows(mark);
    const tip = $("tip");
    if (!rows.length) { tip.hidden = true; return; }
    tip.replaceChildren(...rows.map(([field, value]) =>
      h("div", { class: "tip-row" }, field ? h("div", { class: "tip-field" }, field) : null, h("div", {}, value))));
    tip.hidden = false;
    const r = mark.getBoundingClientRect();
    const tw = tip.offsetWidth, th = tip.offsetHeight;
    let left = Math.min(Math.max(8, r.left), window.innerWidth - tw - 8);
    let top = r.bottom + 6;
    if (top + th > window.innerHeight - 8) top = Math.max(8, r.top - th - 6);
    tip.style.left = `${left}px`;
    tip.style.top = `${top}px`;
  }

  function hideTip() { $("tip").hidden = true; }

  function wireTooltip() {
    const box = $("letter");
    box.addEventListener("mouseover", (e) => { const m = e.target.closest("mark"); if (m) showTip(m); });
    box.addEventListener("mouseout", (e) => { if (e.target.closest("mark")) hideTip(); });
    box.addEventListener("focusin", (e) => { const m = e.target.closest("mark"); if (m) showTip(m); });
    box.addEventListener("focusout", hideTip);
    box.addEventListener("scroll", hideTip, { passive: true });
    window.addEventListener("scroll", hideTip, { passive: true });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape") hideTip(); });
  }

  function flash(selector) {
    const marks = [...$("letter").querySelectorAll(selector)];
    if (!marks.length) return false;
    marks[0].scrollIntoView({ block: "center", behavior: reducedMotion ? "auto" : "smooth" });
    for (const m of marks) {
      m.classList.remove("flash");
      void m.offsetWidth; // restart the animation
      m.classList.add("flash");
    }
    window.setTimeout(() => marks.forEach((m) => m.classList.remove("flash")), 1800);
    return true;
  }

  // ---------------------------------------------------------------------------------------- decisions

  function renderOutcome(record) {
    const w = record.worker || {}, d = record.dates || {}, l = record.letter || {};
    const bits = [];
    if (l.case_number) bits.push(`Case ${l.case_number.value}`);
    if (w.age || w.sex) bits.push([w.age && `${w.age.value}-year-old`, w.sex && w.sex.value].filter(Boolean).join(" "));
    if (d.injury) bits.push(`injured ${fmtDate(d.injury.value)}`);
    if (d.determination) bits.push(`decided ${fmtDate(d.determination.value)}`);
    $("case-meta").textContent = bits.join(" · ");
    const list = $("items");
    list.replaceChildren();
    (record.items || []).forEach((item, i) => {
      const over = item.decision && item.decision.value === "overturned";
      const label = over ? "Overturned · approved" : "Upheld · still denied";
      const cls = over ? "approved" : "denied";
      const facts = [];
      if (item.quantity) facts.push(`${item.quantity.value}${item.unit ? " " + unitText(item.unit.value, item.quantity.value) : ""}`);
      if (item.limit && item.limit.value) facts.push(`limit quoted: ${valueText("limit", item.limit.value)}`);
      const g = (item.guidelines || []).map(citationText).filter(Boolean);
      if (g.length) facts.push(`relied on ${g.join("; ")}`);
      else if (item.guidelines_none_cited && item.guidelines_none_cited.value) facts.push("no guideline cited");
      const ev = item.treatment && item.treatment.evidence;
      const goto = ev && Number.isInteger(ev.start)
        ? h("button", { type: "button", class: "linkish", onclick: () => flashEvidence(ev.start, ev.end) }, "Show in letter")
        : null;
      list.append(h("li", { class: `item ${cls}` },
        h("div", { class: "item-top" },
          h("span", { class: "item-name" }, `${i + 1}. ${item.treatment ? item.treatment.value : "(treatment not stated)"}`),
          h("span", { class: `badge ${cls}` }, label)),
        facts.length ? h("p", { class: "item-facts" }, facts.join(" · ")) : null,
        goto));
    });
    if (!(record.items || []).length) list.append(h("li", { class: "item" }, "No disputed items were found."));
  }

  function unitText(unit, n) {
    const u = String(unit || "").toLowerCase();
    return n === 1 || /s$/.test(u) || !/^[a-z]+$/.test(u) ? u : u + "s";
  }

  function flashEvidence(start, end) {
    const e = state.evidence.find((s) => s.start === start && s.end === end);
    if (e) flash(`mark[data-ev~="${e.id}"]`);
  }

  // ----------------------------------------------------------------------------------------- findings

  const findingKey = (f) => [f.code, f.field, f.found, f.expected, String(f.span)].join("|");

  function renderFindings(list, findings, { error } = {}) {
    const ul = $(`${list}-findings`);
    const prev = state.seen[list];
    const next = new Set(findings.map(findingKey));
    ul.replaceChildren();
    if (error) {
      ul.append(h("li", { class: "none not-checked" }, error));
    } else if (!findings.length) {
      ul.append(h("li", { class: "none" }, "No problems found."));
    }
    const fresh = [];
    findings.forEach((f, i) => {
      const isNew = prev !== null && prev !== undefined && !prev.has(findingKey(f));
      if (isNew) fresh.push(f);
      const hasSpan = Array.isArray(f.span) && f.span[1] > f.span[0];
      const fe = [];
      if (f.found) fe.push(h("span", {}, "found ", h("b", {}, f.found)));
      if (f.expected) fe.push(h("span", {}, (fe.length ? " · " : "") + "letter: ", h("b", {}, f.expected)));
      const inner = [
        h("span", { class: "finding-top" },
          h("span", { class: `sev ${f.severity}` }, f.severity),
          h("span", { class: "kind" }, f.kind),
          hasSpan ? h("span", { class: "goto", "aria-hidden": "true" }, "Show in letter →") : null),
        h("span", { class: "finding-msg" }, f.message),
        fe.length ? h("span", { class: "finding-fe" }, fe) : null,
      ];
      const cls = `finding sev-${f.severity}${isNew ? " new" : ""}`;
      const el = hasSpan
        ? h("button", { type: "button", class: cls, "data-kind": f.kind, "data-finding": `${list}-${i}`,
          "aria-label": `${f.severity}, ${f.kind}: ${f.message}. Show in letter.`,
          onclick: () => flash(`mark[data-f~="${list}-${i}"]`) }, inner)
        : h("div", { class: cls, "data-kind": f.kind, "data-finding": `${list}-${i}` }, inner);
      ul.append(h("li", {}, el));
    });
    state.seen[list] = next;
    return fresh;
  }

  function setState(list, text, kind) {
    const el = $(`${list}-state`);
    if (!el) return;
    el.textContent = text;
    el.className = `check-state ${kind || ""}`;
  }

  function summaryCounts(findings) {
    const e = findings.filter((f) => f.severity === "error").length;
    const w = findings.filter((f) => f.severity === "warning").length;
    return { e, w, text: findings.length ? `${plural(e, "error")}, ${plural(w, "warning")}` : "no problems" };
  }

  async function recheck(list) {
    const seq = ++state.seq[list];
    const text = list === "explanation" ? $("explanation-text").value : $("summary-text").value;
    const lang = list === "explanation" ? state.lang : "en";
    setState(list, "Checking…", "");
    try {
      const kind = list === "summary" ? "summary" : "worker";
      const report = await api(`/v1/check?lang=${lang}&kind=${kind}`, { text: state.letterText, name: state.letterName, explanation: text });
      if (seq !== state.seq[list]) return; // a newer edit is on its way
      let findings = report.findings;
      state.findings[list] = findings;
      const fresh = renderFindings(list, findings);
      const c = summaryCounts(findings);
      setState(list, `Checked: ${c.text}`, findings.some((f) => f.severity === "error") ? "dirty" : "clean");
      renderLetter();
      if (fresh.length) {
        announce(`${plural(fresh.length, "new finding")} in the ${list}: ${fresh.map((f) => f.message).join("; ")}`);
        const first = fresh.find((f) => Array.isArray(f.span));
        if (first) {
          const idx = findings.indexOf(first);
          flash(`mark[data-f~="${list}-${idx}"]`);
        }
      }
    } catch (e) {
      if (seq !== state.seq[list]) return;
      state.findings[list] = [];
      renderFindings(list, [], { error: e.message });
      setState(list, e.reason === "empty" ? "Nothing to check" : "Not checked", "");
      renderLetter();
    }
  }

  function scheduleCheck(list) {
    window.clearTimeout(state.timers[list]);
    setState(list, "Edited…", "");
    state.timers[list] = window.setTimeout(() => recheck(list), CHECK_DELAY_MS);
  }

  // --------------------------------------------------------------------------------------- the letter

  function setBusy(on, text) {
    const b = $("analyze");
    b.disabled = on;
    b.textContent = on ? "Reading…" : "Read the letter";
    const busy = $("busy");
    busy.textContent = text || "";
    busy.classList.toggle("working", on);
    $("results").setAttribute("aria-busy", on ? "true" : "false");
  }

  function showInputError(message) {
    const el = $("input-error");
    el.textContent = message;
    el.hidden = !message;
  }

  async function analyze(source) {
    showInputError("");
    state.lastSubmit = source;
    setBusy(true, source.file ? `Reading ${source.file.name}…` : "Reading the pasted text…");
    try {
      let data;
      if (source.file) {
        const fd = new FormData();
        fd.append("letter", source.file, source.file.name);
        data = await api(`/v1/analyze?lang=${state.lang}`, fd, { form: true });
      } else {
        data = await api(`/v1/analyze?lang=${state.lang}`, { text: source.text, name: "pasted text" });
      }
      show(data);
      setBusy(false, "");
    } catch (e) {
      setBusy(false, "");
      showInputError(e.message);
    }
  }

  function show(data) {
    state.analysis = data;
    state.letterText = data.letter.text;
    state.double = Boolean(data.letter.double_spaced);
    state.softBreaks = (data.letter.soft_breaks || []).filter((p) => Array.isArray(p) && p[1] > p[0]);
    state.letterName = data.letter.source;
    state.explanations = { en: null, es: null };
    state.explanations[data.explanation_lang] = data.explanation;
    state.evidence = collectEvidence(data.record);
    state.findings = { letter: [], explanation: [], summary: [] };
    state.seen = { explanation: null, summary: null, letter: null };
    const pages = data.letter.page_count > 1 ? ` · ${data.letter.page_count} pages` : "";
    $("letter-meta").textContent = `${data.letter.source} · layout ${data.letter.layout}${pages} · ${plural(state.evidence.length, "value")} read`;
    renderOutcome(data.record);
    $("explanation-text").value = data.explanation;
    showGrade(data.explanation_meta);
    $("summary-text").value = data.summary;
    renderLetter();
    $("results").hidden = false;
    document.body.classList.add("has-results");
    $("current-name").textContent = data.letter.source;
    $("current").hidden = false;
    setFormOpen(false);
    const items = data.record.items || [];
    const over = items.filter((it) => it.decision && it.decision.value === "overturned").length;
    announce(`Letter read: ${plural(items.length, "item")}, ${over} overturned (approved), ${items.length - over} upheld.`);
    // The three checks, as the CLI runs them: the letter itself, the explanation, the summary.
    api("/v1/check", { text: state.letterText, name: state.letterName }).then((report) => {
      state.findings.letter = report.findings;
      renderFindings("letter", report.findings);
      renderLetter();
    }).catch((e) => renderFindings("letter", [], { error: e.message }));
    recheck("explanation").then(() => { state.seen.explanation = new Set(state.findings.explanation.map(findingKey)); });
    recheck("summary");
  }

  function setFormOpen(open) {
    $("letter-form").hidden = !open;
    $("change-letter").setAttribute("aria-expanded", open ? "true" : "false");
    $("change-letter").textContent = open ? "Cancel" : "Open another letter";
  }

  function showGrade(meta) {
    const g = meta && typeof meta.grade === "number" ? meta.grade : null;
    $("explanation-grade").textContent = g === null ? "" :
      `Reading grade ${g.toFixed(1)} as written (target ${meta.target_grade ?? 6} or below).`;
  }

  async function switchLang(lang) {
    if (!state.analysis || lang === state.lang) { state.lang = lang; return; }
    state.explanations[state.lang] = $("explanation-text").value;
    state.lang = lang;
    document.getElementById("explanation-text").setAttribute("lang", lang);
    if (state.explanations[lang] === null) {
      setState("explanation", lang === "es" ? "Escribiendo en español…" : "Writing in English…", "");
      try {
        const res = await api(`/v1/explain?lang=${lang}`, { text: state.letterText, name: state.letterName,
          record: state.analysis.record });
        state.explanations[lang] = res.text;
        showGrade(res);
      } catch (e) {
        setState("explanation", e.message, "dirty");
        return;
      }
    }
    $("explanation-text").value = state.explanations[lang];
    state.seen.explanation = null;
    await recheck("explanation");
    state.seen.explanation = new Set(state.findings.explanation.map(findingKey));
  }

  async function copySummary() {
    const ta = $("summary-text");
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(ta.value);
        ok = true;
      }
    } catch (_) { ok = false; }
    if (!ok) {
      ta.focus();
      ta.select();
      try { ok = document.execCommand("copy"); } catch (_) { ok = false; }
    }
    $("copy-status").textContent = ok ? "Summary copied to the clipboard." : "Copy failed: select the text and copy it.";
    window.setTimeout(() => { $("copy-status").textContent = ""; }, 4000);
  }

  // ------------------------------------------------------------------------------------------- wiring

  function init() {
    const form = $("letter-form");
    const file = $("file");
    const zone = $("dropzone");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (file.files && file.files[0]) analyze({ file: file.files[0] });
      else if ($("paste").value.trim()) analyze({ text: $("paste").value });
      else showInputError("Choose a PDF or text file, drop one here, or paste the letter text.");
    });
    file.addEventListener("change", () => {
      const f = file.files && file.files[0];
      $("file-name").textContent = f ? f.name : "";
      if (f) analyze({ file: f });
    });
    $("paste").addEventListener("input", () => {
      if (file.value) { file.value = ""; $("file-name").textContent = ""; }
    });
    ["dragenter", "dragover"].forEach((t) => zone.addEventListener(t, (e) => {
      e.preventDefault();
      zone.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((t) => zone.addEventListener(t, () => zone.classList.remove("dragging")));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
      if (f) {
        $("file-name").textContent = f.name;
        analyze({ file: f });
      }
    });
    // A file dropped anywhere else must not navigate away from the page.
    window.addEventListener("dragover", (e) => e.preventDefault());
    window.addEventListener("drop", (e) => e.preventDefault());

    $("explanation-text").addEventListener("input", () => scheduleCheck("explanation"));
    $("summary-text").addEventListener("input", () => scheduleCheck("summary"));
    document.querySelectorAll('input[name="lang"]').forEach((r) => r.addEventListener("change", () => {
      if (r.checked) switchLang(r.value);
    }));
    $("copy-summary").addEventListener("click", copySummary);
    $("change-letter").addEventListener("click", () => {
      const open = $("letter-form").hidden;
      setFormOpen(open);
      if (open) $("file").focus();
    });
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      state.token = $("token").value.trim();
      sessionStorage.setItem("imrassist-token", state.token);
      $("token-form").hidden = true;
      if (state.lastSubmit && !state.analysis) analyze(state.lastSubmit);
    });
    wireTooltip();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
