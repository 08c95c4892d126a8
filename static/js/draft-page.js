/* What the wizard's scripts (autosave.js, uploads.js, expiry.js) share: loaded before them. */
(function () {
  "use strict";

  window.ProjectWizard = {
    // The CSRF token: the cookie first, since it follows a login in another tab (which rotates
    // the token) and the form's copy does not; else the form's copy.
    csrfToken: function (form) {
      var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
      if (match) return decodeURIComponent(match[1]);
      var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
      return input ? input.value : "";
    },
    // The hidden input holding the revision of the page's last save (see projects/autosave.py).
    versionInput: function (form) {
      return form.querySelector("input[name=draft_version]");
    },
    // The error summary lists what the last submit found: drop the items whose link goes to an
    // element ``fixed(target)`` says is fixed now, recount the title, hide it when none is left.
    dropFromSummary: function (fixed) {
      var summary = document.getElementById("error-summary");
      if (!summary) return;
      Array.prototype.forEach.call(summary.querySelectorAll("li"), function (item) {
        var link = item.querySelector("a[href^='#']");
        var target = link && document.getElementById(link.getAttribute("href").slice(1));
        if (target && fixed(target)) item.parentNode.removeChild(item);
      });
      var left = summary.querySelectorAll("li").length;
      var title = document.getElementById("error-summary-title");
      if (title) title.textContent = left === 1 ? "There is a problem" : "There are " + left + " problems";
      if (!left) {
        summary.hidden = true;
        document.title = document.title.replace(/^Error: /, "");
      }
    },
  };
})();
