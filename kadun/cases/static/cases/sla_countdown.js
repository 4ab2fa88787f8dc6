/* kadun: SLA countdowns of the staff console (time to breach).
 *
 * Every element with data-sla-due="<ISO 8601 time>" shows the time left before the SLA target
 * is breached ("剩余 3小时5分"), or, once past, how long ago ("已超时 12分"), in whole minutes
 * rounded down, kept current once a second; the badge turns "bad" (red) once breached and "warn"
 * within 30 minutes. The server rendered the same text (cases.selectors_staff.left_text); the
 * wording comes from this <script> tag's data attributes (translated by the page), and
 * data-server-now corrects a wrong clock on the visitor's device.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = (script && script.dataset) || {};
  var labels = {
    left: data.labelLeft || "剩余 %(t)s", over: data.labelOver || "已超时 %(t)s",
    days: data.labelDays || "%(d)s天%(h)s小时", hours: data.labelHours || "%(h)s小时%(m)s分", mins: data.labelMins || "%(m)s分"
  };
  function parse(text) {
    return Date.parse(String(text || "").replace(/(\.\d{3})\d+/, "$1"));
  }
  var serverNow = parse(data.serverNow);
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function fill(text, values) {
    return text.replace(/%\((\w)\)s/g, function (_, key) { return String(values[key]); });
  }

  function render(el, now) {
    var due = parse(el.getAttribute("data-sla-due"));
    if (isNaN(due)) return;
    var seconds = Math.trunc((due - now) / 1000);
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    var t = d ? fill(labels.days, {d: d, h: h}) : h ? fill(labels.hours, {h: h, m: m}) : fill(labels.mins, {m: m});
    var text = fill(seconds > 0 ? labels.left : labels.over, {t: t});
    if (el.textContent !== text) el.textContent = text;
    el.setAttribute("data-countdown", "live");
    el.classList.toggle("bad", seconds <= 0);
    el.classList.toggle("warn", seconds > 0 && seconds <= 1800);
    el.classList.toggle("ok", seconds > 1800);
    if (seconds <= 0) el.setAttribute("data-breached", ""); else el.removeAttribute("data-breached");
  }

  function tick() {
    var now = Date.now() + skew;
    var els = document.querySelectorAll("[data-sla-due]");
    for (var i = 0; i < els.length; i++) render(els[i], now);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tick); else tick();
  setInterval(tick, 1000);
})();
