/* kadun live countdowns.
 *
 * Every element with data-deadline="<ISO 8601 time>" shows the time left, in whole minutes
 * rounded down, kept current once a second. The server rendered the same text; this only keeps
 * it moving. Wording comes from the <script> tag's data attributes (translated by the page):
 *   data-label-days  "还剩 %(d)s天%(h)s小时"    data-label-hours "还剩 %(h)s小时%(m)s分"
 *   data-label-mins  "还剩 %(m)s分"              data-label-over  "已到期，系统将按规则处理"
 * and data-server-now (the server's time when it rendered the page) corrects a wrong clock on
 * the visitor's device (not when the page came from the HTTP cache). Within two hours an element gets the class "bad" (instead of "warn");
 * once past, data-expired is set; data-countdown="live" marks an element the script keeps.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var labels = {
    days: data.labelDays || "还剩 %(d)s天%(h)s小时",
    hours: data.labelHours || "还剩 %(h)s小时%(m)s分",
    mins: data.labelMins || "还剩 %(m)s分",
    over: data.labelOver || "已到期，系统将按规则处理"
  };
  var serverNow = parse(data.serverNow);  // (function declarations are hoisted)
  var skew = isNaN(serverNow) || fromCache() ? 0 : serverNow - Date.now();
  var URGENT_MINUTES = 120;

  function fill(text, values) {
    return text.replace(/%\((\w)\)s/g, function (_, key) { return String(values[key]); });
  }

  function fromCache() {
    // A page shown again from the HTTP cache carries an old server time: trust the device then.
    var nav = window.performance && performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
    return Boolean(nav && nav.transferSize === 0 && nav.decodedBodySize > 0);
  }

  function parse(text) {
    // Django's "c" format has microseconds; not every browser parses more than milliseconds.
    return Date.parse(String(text || "").replace(/(\.\d{3})\d+/, "$1"));
  }

  function render(el, now) {
    var due = parse(el.getAttribute("data-deadline"));
    if (isNaN(due)) return;
    var seconds = Math.floor((due - now) / 1000);
    var text;
    if (seconds <= 0) {
      text = labels.over;
      el.setAttribute("data-expired", "");
    } else {
      var minutes = Math.floor(seconds / 60);
      var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
      text = d ? fill(labels.days, {d: d, h: h}) : h ? fill(labels.hours, {h: h, m: m}) : fill(labels.mins, {m: m});
      el.removeAttribute("data-expired");
    }
    if (el.textContent !== text) el.textContent = text;
    el.setAttribute("data-countdown", "live");
    if (el.classList.contains("badge")) {
      var urgent = seconds <= URGENT_MINUTES * 60;
      el.classList.toggle("bad", urgent);
      el.classList.toggle("warn", !urgent);
    }
  }

  function tick() {
    var now = Date.now() + skew;
    var els = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < els.length; i++) render(els[i], now);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", tick);
  } else {
    tick();
  }
  setInterval(tick, 1000);
})();
