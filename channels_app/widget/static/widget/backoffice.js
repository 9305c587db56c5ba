/* Web component pages: confirm destructive forms, and keep the live preview in step with the theme form. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Form field name -> <myagent-chat> attribute. Attributes take precedence over the saved
  // theme inside the widget, so the preview shows unsaved changes without a new session.
  var ATTRIBUTES = {
    primary_color: "primary-color",
    position: "position",
    title: "title",
    launcher_text: "launcher-text",
    avatar_url: "avatar",
  };

  function sync(form, preview) {
    Object.keys(ATTRIBUTES).forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (!field) return;
      var value = String(field.value || "").trim();
      if (value) preview.setAttribute(ATTRIBUTES[name], value);
      else preview.removeAttribute(ATTRIBUTES[name]);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-preview-form]");
    if (!form) return;
    var preview = document.getElementById(form.getAttribute("data-preview-form"));
    if (!preview) return;
    form.addEventListener("input", function () { sync(form, preview); });
    form.addEventListener("change", function () { sync(form, preview); });
  });
})();
