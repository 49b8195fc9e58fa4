(function () {
  "use strict";
  var data = {};
  try { data = JSON.parse(document.getElementById("ann-data").textContent || "{}"); } catch (e) { data = {}; }
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  /* ---------------------------------------------------------------- tabs */
  var tabs = Array.prototype.slice.call(document.querySelectorAll('[role="tab"]'));
  function select(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.hidden = !on;
    });
    if (focus) tab.focus();
  }
  tabs.forEach(function (t, i) {
    t.addEventListener("click", function () { select(t, false); });
    t.addEventListener("keydown", function (ev) {
      var j = null;
      if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
      else if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
      else if (ev.key === "Home") j = 0;
      else if (ev.key === "End") j = tabs.length - 1;
      if (j !== null) { ev.preventDefault(); select(tabs[j], true); }
    });
  });
  function tabByName(name) {
    for (var i = 0; i < tabs.length; i++) if (tabs[i].id === "tab-" + name) return tabs[i];
    return null;
  }

  /* ---------------------------------------------------------------- tooltip */
  var tip = document.getElementById("tip");
  var tipFor = null;
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function showTip(el) {
    var ids = (el.getAttribute("data-anns") || "").split(/\s+/).filter(Boolean);
    var rows = ids.map(function (id) {
      var d = data[id];
      if (!d) return "";
      return '<div class="' + (d.severity ? "sev-" + esc(d.severity) : "") + '"><dt>' + esc(d.label) + "</dt><dd>" + esc(d.value) + "</dd></div>";
    }).join("");
    if (!rows) return;
    tip.innerHTML = "<dl>" + rows + "</dl>";
    tip.hidden = false;
    var r = el.getBoundingClientRect();
    var tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = Math.min(Math.max(8, r.left + window.scrollX), window.scrollX + document.documentElement.clientWidth - tw - 8);
    var top = r.bottom + window.scrollY + 8;
    if (r.bottom + th + 16 > window.innerHeight && r.top > th + 16) top = r.top + window.scrollY - th - 8;
    tip.style.left = left + "px";
    tip.style.top = top + "px";
    tipFor = el;
    el.setAttribute("aria-describedby", "tip");
  }
  function hideTip() {
    if (tipFor) tipFor.removeAttribute("aria-describedby");
    tip.hidden = true;
    tipFor = null;
  }
  function markOf(node) {
    while (node && node.nodeType === 1) {
      if (node.tagName === "MARK" && node.hasAttribute("data-anns")) return node;
      node = node.parentNode;
    }
    return null;
  }
  document.addEventListener("mouseover", function (ev) { var m = markOf(ev.target); if (m) showTip(m); });
  document.addEventListener("mouseout", function (ev) { if (markOf(ev.target) && !markOf(ev.relatedTarget)) hideTip(); });
  document.addEventListener("focusin", function (ev) { var m = markOf(ev.target); if (m) showTip(m); else hideTip(); });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hideTip(); });
  window.addEventListener("scroll", function () { if (tipFor && document.activeElement !== tipFor) hideTip(); }, { passive: true });

  /* ---------------------------------------------------------------- go to a span */
  function go(id, tabName) {
    if (tabName) { var t = tabByName(tabName); if (t) select(t, false); }
    var marks = Array.prototype.slice.call(document.querySelectorAll('mark[data-anns~="' + id.replace(/[^a-z0-9]/gi, "") + '"]'));
    if (!marks.length) return false;
    var first = marks[0];
    first.scrollIntoView({ behavior: reduce ? "auto" : "smooth", block: "center", inline: "nearest" });
    if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
    try { first.focus({ preventScroll: true }); } catch (e) { first.focus(); }
    marks.forEach(function (m) {
      m.classList.remove("flash");
      void m.offsetWidth;
      m.classList.add("flash");
    });
    window.setTimeout(function () { marks.forEach(function (m) { m.classList.remove("flash"); }); }, 2200);
    return true;
  }
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest("[data-goto]") : null;
    if (!a) return;
    if (go(a.getAttribute("data-goto"), a.getAttribute("data-tab"))) ev.preventDefault();
  });
})();
