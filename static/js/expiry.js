/* The draft's expiry, for a page left open: an enhancement (without it the page still says
 * until when the draft is kept, and a submit into an expired draft offers the same way out).
 *
 * - DRAFT_EXPIRY_WARNING seconds before the draft expires, a warning with "Keep my draft"
 *   appears; the button posts to the keep URL (one click), and the warning goes away.
 * - Every autosave restarts the draft's lifetime too (autosave.js sends "draft:kept").
 * - Once the draft has expired (the clock, or an autosave answered 410: "draft:expired"), the
 *   page offers "Start a new draft with what is on this page", which submits the step form to
 *   the restart URL (a plain button with formaction: no script needed to send it).
 * CSP: no inline style or script; state is shown with `hidden`.
 */
(function () {
  "use strict";

  var warning = document.getElementById("expiry-warning");
  var expired = document.getElementById("draft-expired");
  var keepForm = document.getElementById("keep-form");
  if (!warning || !expired || !keepForm || !window.fetch) return;

  var expiresAt = Date.parse(warning.getAttribute("data-expires-at"));
  var warnMs = parseInt(warning.getAttribute("data-warn-seconds"), 10) * 1000;
  if (isNaN(expiresAt) || !(warnMs >= 0)) return;
  var text = document.getElementById("expiry-warning-text");
  var statusTime = document.getElementById("draft-expires");
  var statusLeft = document.getElementById("draft-expires-in");
  var timer = null;
  var over = false;

  function hhmm(ms) {
    var when = new Date(ms);
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(when.getHours()) + ":" + two(when.getMinutes());
  }

  function showExpired() {
    if (over) return;
    over = true;
    clearTimeout(timer);
    warning.hidden = true;
    expired.hidden = false;
  }

  function tick() {
    clearTimeout(timer);
    if (over) return;
    var left = expiresAt - Date.now();
    if (left <= 0) {
      showExpired();
      return;
    }
    if (left <= warnMs) {
      if (text) text.textContent = "This draft will be deleted at " + hhmm(expiresAt) + " unless you keep it.";
      warning.hidden = false;
    } else {
      warning.hidden = true;
    }
    // Check again at the next moment that matters (the warning, or the end), at least each minute.
    var next = left > warnMs ? left - warnMs : left;
    timer = setTimeout(tick, Math.max(250, Math.min(next, 60000)));
  }

  function kept(iso) {
    var when = Date.parse(iso);
    if (isNaN(when)) return;
    expiresAt = when;
    if (statusTime) {
      statusTime.setAttribute("datetime", iso);
      // The same form as the page's own ("2 Dec 2026, 14:05 UTC"), not the browser's default.
      statusTime.textContent = new Date(when).toLocaleString("en-GB", {
        day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"
      });
    }
    if (statusLeft) statusLeft.textContent = "kept again just now";
    tick();
  }

  function csrfToken() {
    return window.ProjectWizard.csrfToken(keepForm);
  }

  keepForm.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(keepForm.action, {
      method: "POST",
      body: new URLSearchParams(new FormData(keepForm)),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        if (response.ok) return response.json().then(function (data) { kept(data.expiresAt); });
        if (response.status === 410 || response.status === 404) showExpired();
        else keepForm.submit(); // let the server answer the plain form
      })
      .catch(function () { keepForm.submit(); });
  });

  document.addEventListener("draft:kept", function (event) { kept(event.detail.expiresAt); });
  document.addEventListener("draft:expired", showExpired);
  tick();
})();
