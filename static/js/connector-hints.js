// The sources step: the "URL or identifier" hint follows the chosen connector type
// (the hints come from the type's data-hints; the server shows the same after a submit).
// Also at load: a type chosen before this script arrived, or put back by the browser on
// back/forward, gets its hint too.
(function () {
  "use strict";
  function follow(select) {
    if (!select.matches || !select.matches("select[data-hints]")) return;
    var hint = document.getElementById(select.id.replace(/connector_type$/, "target") + "_helptext");
    if (!hint) return;
    var hints = JSON.parse(select.getAttribute("data-hints"));
    var text = hints[select.value] || hints[""];
    if (hint.textContent !== text) hint.textContent = text;
  }
  document.addEventListener("change", function (event) { follow(event.target); });
  Array.prototype.forEach.call(document.querySelectorAll("select[data-hints]"), follow);
})();
