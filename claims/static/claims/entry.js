/* The clerk's entry screen, keyboard first.
   - In the employee search, ArrowDown moves into the results; ArrowUp/ArrowDown move
     between them, Escape goes back to the search; Enter opens the one with the focus
     (a link). Enter in the search box searches (one match opens the family directly).
   - After a save, htmx swaps the form in and focuses the date of service (autofocus). */
(function () {
  "use strict";
  function options() {
    return Array.prototype.slice.call(document.querySelectorAll("#employee-options a.sw-employee-option"));
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var search = document.getElementById("employee-search");
    if (!search) { return; }
    var links = options();
    if (target === search && event.key === "ArrowDown" && links.length) {
      links[0].focus();
      event.preventDefault();
      return;
    }
    var index = links.indexOf(target);
    if (index < 0) { return; }
    if (event.key === "ArrowDown" && index < links.length - 1) {
      links[index + 1].focus();
      event.preventDefault();
    } else if (event.key === "ArrowUp") {
      (index > 0 ? links[index - 1] : search).focus();
      event.preventDefault();
    } else if (event.key === "Escape") {
      search.focus();
      event.preventDefault();
    }
  });
  /* The payee directory: a suggested payee picked fills the provider and the payee, and
     the focus goes on to the billed amount; typing in the provider again unpicks it. */
  var picking = false;
  document.addEventListener("click", function (event) {
    var pick = event.target.closest && event.target.closest(".sw-payee-pick");
    if (!pick) { return; }
    var provider = document.getElementById("id_provider");
    var payee = document.getElementById("id_payee");
    if (!provider || !payee) { return; }
    picking = true;
    provider.value = pick.getAttribute("data-name");
    payee.value = pick.getAttribute("data-payee");
    provider.dispatchEvent(new Event("input", {bubbles: true}));
    picking = false;
    var billed = document.getElementById("id_billed");
    if (billed) { billed.focus(); }
  });
  document.addEventListener("input", function (event) {
    if (!picking && event.target && event.target.id === "id_provider") {
      var payee = document.getElementById("id_payee");
      if (payee) { payee.value = ""; }
    }
  });
  /* A save answered with problems: bring the error summary or the warning into view. */
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "entry") {
      var problem = document.getElementById("duplicate-warning") || document.getElementById("error-summary");
      if (problem) { problem.scrollIntoView({block: "nearest"}); }
    }
  });
})();
