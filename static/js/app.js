/* MyAgent BackOffice behaviour: small, dependency-free, progressive enhancement only. */
(function () {
  "use strict";

  var TOAST_LIFETIME_MS = 6000;

  function closeDropdowns(except) {
    document.querySelectorAll("details.dropdown[open]").forEach(function (el) {
      if (el !== except) el.removeAttribute("open");
    });
  }

  function dismissToast(toast) {
    if (!toast || !toast.parentNode) return;
    toast.style.transition = "opacity 0.2s ease";
    toast.style.opacity = "0";
    setTimeout(function () { toast.remove(); }, 200);
  }

  function scheduleToasts(root) {
    (root || document).querySelectorAll(".toast:not([data-scheduled])").forEach(function (toast) {
      toast.setAttribute("data-scheduled", "1");
      // Errors stay until dismissed: the user may need to read them twice.
      if (!toast.classList.contains("toast-error")) {
        setTimeout(function () { dismissToast(toast); }, TOAST_LIFETIME_MS);
      }
    });
  }

  function showToast(message, level) {
    var container = document.getElementById("toasts");
    var template = document.getElementById("toast-template");
    if (!container || !template) return;
    var toast = template.content.firstElementChild.cloneNode(true);
    toast.classList.add("toast-" + (level || "error"));
    toast.querySelector("[data-toast-message]").textContent = message;
    container.appendChild(toast);
    scheduleToasts(container);
  }

  document.addEventListener("click", function (event) {
    var target = event.target;

    var toggle = target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    if (target.closest("[data-nav-close]")) {
      document.body.classList.remove("nav-open");
      return;
    }

    var close = target.closest("[data-toast-close]");
    if (close) {
      dismissToast(close.closest(".toast"));
      return;
    }

    var copy = target.closest("[data-copy-target]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy-target"));
      if (!source) return;
      var text = source.value !== undefined ? source.value : source.textContent;
      var done = function () {
        var label = copy.querySelector("[data-copy-label]") || copy;
        var original = label.textContent;
        label.textContent = copy.getAttribute("data-copied-text") || original;
        setTimeout(function () { label.textContent = original; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text.trim()).then(done);
      } else {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for manual copy */ }
      }
      return;
    }

    var inside = target.closest("details.dropdown");
    closeDropdowns(inside);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      closeDropdowns(null);
      document.body.classList.remove("nav-open");
    }
  });

  document.addEventListener("DOMContentLoaded", function () { scheduleToasts(document); });

  // Domain errors come back from the server as a toast fragment with HX-Retarget; htmx
  // does not swap 4xx/5xx responses by default, so let exactly those through.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
      // A refused change must not keep showing as if it happened (e.g. a role select).
      var form = event.detail.requestConfig && event.detail.requestConfig.elt.closest("form[data-reset-on-error]");
      if (form) form.reset();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.getResponseHeader("HX-Retarget")) return;
    showToast(document.body.getAttribute("data-error-message") || "Error", "error");
  });

  document.addEventListener("htmx:sendError", function () {
    showToast(document.body.getAttribute("data-network-error-message") || "Network error", "error");
  });

  document.addEventListener("htmx:afterSettle", function (event) { scheduleToasts(event.target.ownerDocument); });
})();
