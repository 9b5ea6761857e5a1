/* Behaviour every page shares, served by the app (no inline script: the pages' policy
   allows none).
   - An element <div hidden data-focus-on-load="ID"> (anywhere, the scripts block too) moves
     the focus to #ID once the page is parsed (the error summary after a refused form, WCAG 3.3.1).
   - A form with data-busy-status="ID" says on submit that it is working: its submit
     button is disabled and relabelled (data-busy-label), #ID reads data-busy-message. */
(function () {
  "use strict";
  function ready(run) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", run);
    } else {
      run();
    }
  }
  ready(function () {
  document.querySelectorAll("[data-focus-on-load]").forEach(function (marker) {
    var target = document.getElementById(marker.getAttribute("data-focus-on-load"));
    if (target) { target.focus(); }
  });
  document.querySelectorAll("form[data-busy-status]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.disabled = true;
        button.textContent = form.getAttribute("data-busy-label") || button.textContent;
      }
      var status = document.getElementById(form.getAttribute("data-busy-status"));
      if (status) { status.textContent = form.getAttribute("data-busy-message") || ""; }
    });
  });
  });
}());
