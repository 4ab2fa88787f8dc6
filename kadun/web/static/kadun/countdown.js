/* Live countdown of merchant deadlines: the server rendered the remaining time into every
   [data-deadline] element; this keeps it current. The (translated) phrases come from the
   data attributes of #countdown-labels. No inline script: the page's CSP allows 'self' only. */
(function () {
  "use strict";
  var source = document.getElementById("countdown-labels");
  if (!source) return;
  var L = {d: source.dataset.d, h: source.dataset.h, m: source.dataset.m, over: source.dataset.over};
  function fmt(s, v) { return s.replace(/%\((\w)\)s/g, function (_, k) { return v[k]; }); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-deadline")) - now) / 60000);
      if (isNaN(left)) return;
      if (left < 0) { el.textContent = L.over; el.className = "badge bad countdown"; return; }
      var d = Math.floor(left / 1440), h = Math.floor((left % 1440) / 60), m = left % 60;
      el.textContent = d ? fmt(L.d, {d: d, h: h}) : h ? fmt(L.h, {h: h, m: m}) : fmt(L.m, {m: m});
      if (left <= 120) el.className = "badge bad countdown";
    });
  }
  setInterval(tick, 30000);
})();
