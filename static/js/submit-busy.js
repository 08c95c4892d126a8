/* The step form's submit shows that it is under way: a form that posts files can take a while,
 * and a second click would send them again. On a submit that goes ahead (not held back by
 * autosave.js or uploads.js, which send it again later), the button used says "Uploading…" when
 * files go with it ("Saving…" otherwise) and is marked aria-disabled (not `disabled`: the button's
 * own name and value still go with the form). A second submit while this one is under way is
 * ignored. Back from the browser's page cache, the page is as it was before the submit.
 */
(function () {
  "use strict";

  var form = document.getElementById("step-form");
  if (!form) return;
  var posting = false;

  function withFiles() {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    });
  }

  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return; // held back by another script, which submits again
    if (posting) {
      event.preventDefault();
      return;
    }
    posting = true;
    var submitter = event.submitter;
    var button = submitter && !submitter.classList.contains("visually-hidden") ? submitter : form.querySelector(".actions .primary");
    if (!button) return;
    button.setAttribute("data-label", button.innerHTML);
    button.setAttribute("aria-disabled", "true");
    button.classList.add("is-busy");
    button.textContent = withFiles() ? "Uploading…" : "Saving…";
  });

  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    posting = false;
    Array.prototype.forEach.call(form.querySelectorAll(".is-busy[data-label]"), function (button) {
      button.innerHTML = button.getAttribute("data-label");
      button.removeAttribute("data-label");
      button.removeAttribute("aria-disabled");
      button.classList.remove("is-busy");
    });
  });
})();
