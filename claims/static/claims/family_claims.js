/* The family's claims with void and adjust in place (entry screen, employee page).
   - A row's Void or Adjust opens its form under the row (htmx), its first field focused;
     opening it again focuses the form already open.
   - Escape in the form, or its Cancel button, closes it and gives the focus back to the
     button that opened it. */
(function () {
  "use strict";
  function close(form) {
    var row = form.closest("tr.sw-inline-form-row");
    var opener = document.getElementById(form.getAttribute("data-opener"));
    if (row) { row.remove(); }
    if (opener) { opener.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    var form = event.target.closest && event.target.closest("form.sw-row-form");
    if (form && event.key === "Escape") {
      event.preventDefault();
      close(form);
    }
  });
  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest(".sw-inline-cancel");
    if (cancel) { close(cancel.closest("form.sw-row-form")); }
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (event.detail.requestConfig.verb !== "get" || !target || !target.id || target.id.indexOf("family-claim-") !== 0) { return; }
    var open = target.querySelector("tr.sw-inline-form-row");
    if (open) {
      event.preventDefault();
      var field = open.querySelector("input:not([type=hidden]), select, textarea");
      if (field) { field.focus(); }
    }
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    var focus = event.detail.elt && event.detail.elt.querySelector && event.detail.elt.querySelector("[autofocus]");
    if (!focus && event.detail.target) { focus = event.detail.target.querySelector("[autofocus]"); }
    if (focus && document.activeElement !== focus) { focus.focus(); }
  });
})();
