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
  };
})();
