/* The error summary (GOV.UK's pattern): it takes the focus when the page loads (or, without
 * one, the notice saying why the step could not be saved), and its links
 * focus their field with the field's label (or a group's legend) scrolled into view above it,
 * not the input at the very top edge of the window. The links work without this file. */
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (!summary) {
    // No field errors, but the step could not be saved (a notice says why and what to do): it
    // takes the focus instead, so a screen reader starts there.
    var notice = document.getElementById("notice");
    if (notice) notice.focus();
    return;
  }

  function labelFor(input) {
    var legend = input.closest("fieldset") && input.closest("fieldset").querySelector("legend");
    if (legend && input.type !== "text" && input.tagName !== "SELECT" && input.tagName !== "TEXTAREA") return legend;
    return (input.id && document.querySelector("label[for='" + input.id + "']")) || legend || input;
  }

  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    // A group (radio buttons) is linked by its container: focus its first choice.
    var input = target.matches("input, select, textarea, button") ? target : target.querySelector("input, select, textarea");
    if (!input) return;
    event.preventDefault();
    labelFor(input).scrollIntoView();
    input.focus({ preventScroll: true });
  });

  summary.focus();
})();
