/* kadun: the little the pages do in the browser. No inline scripts (CSP: scripts from 'self'):
 * everything is wired with data attributes, by delegation, so it also works on what htmx swaps in.
 *
 *   data-copy="#selector"       copy that element's text (a revealed key, the order link)
 *   data-close-details          close the <details> confirmation step it sits in (取消)
 *   data-countdown-seconds="n"  live countdown; at zero shows data-expired-text, hides every
 *                               [data-countdown-hide] and asks the order status to refresh
 *   form[data-download]         post the form, save the answer as a file, then reload the page
 *                               (the export is a logged reveal: the page must show it)
 */
(function () {
  "use strict";

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try {
        document.execCommand("copy") ? resolve() : reject(new Error("copy refused"));
      } catch (err) {
        reject(err);
      } finally {
        document.body.removeChild(area);
      }
    });
  }

  function onCopy(button) {
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target) return;
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    copyText(target.textContent.trim()).then(function () {
      button.textContent = button.getAttribute("data-copied-text") || label;
      button.classList.add("copied");
      setTimeout(function () {
        button.textContent = label;
        button.classList.remove("copied");
      }, 2000);
    }, function () {
      // No clipboard: select the text so the buyer can copy it by hand.
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    });
  }

  document.addEventListener("click", function (event) {
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      event.preventDefault();
      onCopy(copy);
      return;
    }
    var close = event.target.closest("[data-close-details]");
    if (close) {
      var details = close.closest("details");
      if (details) details.open = false;
    }
  });

  // -- countdowns --------------------------------------------------------------------------

  function clockText(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (m < 10 ? "0" : "") + m, ss = (s < 10 ? "0" : "") + s;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  function expire(el) {
    el.textContent = el.getAttribute("data-expired-text") || "";
    el.classList.add("expired");
    document.querySelectorAll("[data-countdown-hide]").forEach(function (node) { node.hidden = true; });
    var status = document.getElementById("order-status");
    if (status && window.htmx) window.htmx.trigger(status, "kadun:expired");
  }

  function startCountdown(el) {
    if (el.getAttribute("data-countdown-started")) return;
    el.setAttribute("data-countdown-started", "1");
    // Counted from what the server said was left, on this device's monotonic clock: a wrong
    // clock on the phone does not matter.
    var deadline = performance.now() + parseInt(el.getAttribute("data-countdown-seconds"), 10) * 1000;
    function tick() {
      var left = Math.max(0, Math.ceil((deadline - performance.now()) / 1000));
      if (left <= 0) {
        expire(el);
        return;
      }
      el.textContent = clockText(left);
      setTimeout(tick, 250);
    }
    tick();
  }

  function startCountdowns(root) {
    (root || document).querySelectorAll("[data-countdown-seconds]").forEach(startCountdown);
  }

  // -- downloads (export .txt) -------------------------------------------------------------

  function filenameOf(response) {
    var disposition = response.headers.get("Content-Disposition") || "";
    var match = /filename="([^"]+)"/.exec(disposition);
    return match ? match[1] : "kadun.txt";
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-download") || !window.fetch) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("export failed: " + response.status);
        return response.blob().then(function (blob) { return { blob: blob, name: filenameOf(response) }; });
      })
      .then(function (file) {
        var url = URL.createObjectURL(file.blob);
        var link = document.createElement("a");
        link.href = url;
        link.download = file.name;
        document.body.appendChild(link);
        link.click();
        document.body.removeChild(link);
        setTimeout(function () { URL.revokeObjectURL(url); window.location.reload(); }, 500);
      })
      .catch(function () {
        if (button) button.disabled = false;
        form.submit(); // the plain form post still downloads
      });
  });

  document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); });
  document.addEventListener("htmx:afterSwap", function (event) { startCountdowns(event.target); });
})();
