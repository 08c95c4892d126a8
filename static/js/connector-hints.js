// The sources step: the "URL or identifier" hint follows the chosen connector type
// (the hints come from the type's data-hints; the server shows the same after a submit).
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-hints]")) return;
    var hint = document.getElementById(select.id.replace(/connector_type$/, "target") + "_helptext");
    if (!hint) return;
    var hints = JSON.parse(select.getAttribute("data-hints"));
    hint.textContent = hints[select.value] || hints[""];
  });
})();
