/* Step 2's documents, one at a time: an enhancement, the form works without it.
 *
 * Each file chosen is uploaded at once (XMLHttpRequest, for a real progress bar), one after the
 * other in the order chosen, each in its own row with its progress, then its status: it joins
 * the list of attached documents, or its row says why it was refused. Each attached document
 * gets a Remove button that acts at once. "Save and continue" submits the step as before, after
 * the uploads and removals in flight (it carries the draft_version they bring).
 * Server contract: projects/draft_documents.py. Without this script the file input and the
 * "Remove" tick boxes go with the submit.
 *
 * Accessibility: the attached list is a polite live region (a document joining it is read out);
 * a removal or a refused file is said in #documents-status; each <progress> is labelled by its
 * file's name; after Remove the focus goes to the next Remove button, else the previous one,
 * else the file input. CSP: no inline style; state is shown with classes and `hidden`.
 */
(function () {
  "use strict";

  var form = document.getElementById("step-form");
  var box = document.getElementById("documents");
  var input = document.getElementById("id_requirements-documents");
  var announcer = document.getElementById("documents-status");
  if (!form || !box || !input || !box.getAttribute("data-upload-url") || !window.FormData || !window.XMLHttpRequest) {
    return;
  }
  var uploadUrl = box.getAttribute("data-upload-url");
  var inFlight = 0; // uploads and removals not answered yet
  var idle = []; // callbacks waiting for inFlight to reach 0
  var queue = Promise.resolve(); // uploads go one after the other, in the order chosen
  var rows = 0;
  var waiting = false; // a submit waits for the uploads

  // --- small helpers -------------------------------------------------------------------------

  function element(tag, className, text) {
    var item = document.createElement(tag);
    if (className) item.className = className;
    if (text) item.textContent = text;
    return item;
  }

  function hidden(text) {
    return element("span", "visually-hidden", text);
  }

  function csrfToken() {
    return window.ProjectWizard.csrfToken(form);
  }

  function versionInput() {
    return window.ProjectWizard.versionInput(form);
  }

  function adopt(sent, version) {
    // Only if nothing (autosave, another upload) moved the page's revision meanwhile.
    var current = versionInput();
    if (current && current.value === sent && version !== undefined && version !== null) current.value = String(version);
  }

  function say(text) {
    if (!announcer) return;
    announcer.textContent = "";
    announcer.textContent = text;
  }

  function sizeText(bytes) {
    // As Django's filesizeformat writes it (the server's messages use it): "2.0\u00a0KB", rounded
    // as Python's round(value, 1) rounds (half to even: 1.25 KB is "1.2\u00a0KB").
    if (bytes < 1024) return bytes + (bytes === 1 ? "\u00a0byte" : "\u00a0bytes");
    var units = ["KB", "MB", "GB", "TB", "PB"];
    var value = bytes;
    var unit = -1;
    do { value /= 1024; unit += 1; } while (value >= 1024 && unit < units.length - 1);
    var scaled = value * 10; // exact: a whole number of bytes over a power of two, times ten
    var tenths = Math.floor(scaled);
    var rest = scaled - tenths;
    if (rest > 0.5 || (rest === 0.5 && tenths % 2 === 1)) tenths += 1;
    return Math.floor(tenths / 10) + "." + (tenths % 10) + "\u00a0" + units[unit];
  }

  function shownName(name) {
    // The name as the server writes it in its messages (projects.uploads.display_name): no path,
    // NFC, no control characters, the extension in lower case, at most 150 characters.
    name = String(name).replace(/\\/g, "/");
    name = name.slice(name.lastIndexOf("/") + 1);
    if (name.normalize) name = name.normalize("NFC");
    name = name.replace(/\p{C}/gu, "").trim();
    var dot = name.lastIndexOf(".");
    var stem = name;
    var ext = "";
    if (dot > 0 && /[^.]/.test(name.slice(0, dot))) {
      stem = name.slice(0, dot);
      ext = name.slice(dot);
    }
    if (!ext && stem.charAt(0) === "." && stem.indexOf(".", 1) < 0) {
      ext = stem;
      stem = "";
    }
    stem = stem.trim().replace(/^\.+|\.+$/g, "") || "document";
    return Array.from(stem).slice(0, 150 - Array.from(ext).length).join("") + ext.trim().toLowerCase();
  }

  function tooBig(file) {
    // The server's own refusal (forms.too_big_message), without sending the file first; both
    // blanks filled in one pass (a name may itself contain "{size}").
    var most = parseInt(input.getAttribute("data-max-size"), 10);
    var message = input.getAttribute("data-too-big");
    if (!(most > 0) || !message || file.size <= most) return null;
    return message.replace(/\{(name|size)\}/g, function (blank, which) {
      return which === "name" ? shownName(file.name) : sizeText(file.size);
    });
  }

  function busy(button, text) {
    if (!button) return;
    if (!button.hasAttribute("data-label")) button.setAttribute("data-label", button.innerHTML);
    button.setAttribute("aria-disabled", "true");
    button.classList.add("is-busy");
    button.textContent = text;
  }

  function unbusy(button) {
    if (!button || !button.hasAttribute("data-label")) return;
    button.innerHTML = button.getAttribute("data-label");
    button.removeAttribute("data-label");
    button.removeAttribute("aria-disabled");
    button.classList.remove("is-busy");
  }

  // --- requests ------------------------------------------------------------------------------

  function post(url, body, progress) {
    // Resolves with {status, data}; status 0 for a network failure. Never rejects.
    inFlight += 1;
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      if (progress && xhr.upload) {
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) progress(event.loaded / event.total);
        });
      }
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (error) { data = null; }
        resolve({ status: xhr.status, data: data });
      });
      xhr.addEventListener("error", function () { resolve({ status: 0, data: null }); });
      xhr.addEventListener("abort", function () { resolve({ status: 0, data: null }); });
      xhr.send(body);
    }).then(function (answer) {
      inFlight -= 1;
      if (!inFlight) idle.splice(0).forEach(function (callback) { callback(); });
      return answer;
    });
  }

  function whenIdle() {
    return new Promise(function (resolve) {
      if (!inFlight) resolve();
      else idle.push(resolve);
    });
  }

  function problem(answer, what) {
    if (answer.data && answer.data.error && answer.data.error.message) return answer.data.error.message;
    if (answer.status === 0) return what + ": check your connection, then try again.";
    if (answer.status === 403) return what + ": reload the page, then try again.";
    return what + " (error " + answer.status + "). Try again in a moment.";
  }

  // --- the attached list ---------------------------------------------------------------------

  function list() {
    return document.getElementById("attached-list");
  }

  function ensureList() {
    if (list()) return list();
    var fieldset = element("fieldset", "attached");
    fieldset.id = "id_requirements-remove";
    var legend = element("legend", "", "Attached documents (0)");
    var items = element("ul", "file-list");
    items.id = "attached-list";
    items.tabIndex = -1;
    fieldset.appendChild(legend);
    fieldset.appendChild(items);
    box.appendChild(fieldset);
    return items;
  }

  function attachedCount() {
    return list() ? list().children.length : 0;
  }

  function documentsText(count) {
    return count === 1 ? "1 document attached." : count + " documents attached.";
  }

  function labelInput(count) {
    // As the server words it: one document is needed until one is attached, then more are optional.
    var label = document.querySelector("label[for='" + input.id + "']");
    if (!label) return;
    label.textContent = count ? "Add documents " : "Requirements documents";
    if (count) label.appendChild(element("span", "optional", "(optional)"));
  }

  function updateCount() {
    var count = attachedCount();
    labelInput(count);
    var legend = box.querySelector("legend");
    if (legend) legend.textContent = "Attached documents (" + count + ")";
    if (!count && list()) box.removeChild(list().closest("fieldset"));
  }

  function enhance(item) {
    // A Remove button that acts at once, in place of the tick box the submit would read.
    var choice = item.querySelector(".choice");
    if (choice) choice.parentNode.removeChild(choice);
    var name = item.getAttribute("data-name") || "";
    var button = element("button", "secondary small remove-document", "Remove");
    button.type = "button";
    button.appendChild(hidden(" " + name));
    button.addEventListener("click", function () { removeDocument(item, button); });
    item.appendChild(button);
  }

  function addDocument(document_) {
    var item = element("li");
    item.setAttribute("data-remove-url", document_.removeUrl);
    item.setAttribute("data-name", document_.name);
    var link = element("a", "", document_.name);
    link.href = document_.url;
    item.appendChild(link);
    item.appendChild(document.createTextNode(" "));
    item.appendChild(element("span", "meta", document_.sizeText));
    enhance(item);
    ensureList().appendChild(item);
    updateCount();
  }

  function focusAfterRemoving(next) {
    var button = next && next.querySelector(".remove-document");
    if (button) button.focus();
    else if (list()) list().focus();
    else input.focus();
  }

  function removeDocument(item, button) {
    if (button.getAttribute("aria-disabled") === "true") return;
    var name = item.getAttribute("data-name") || "";
    var old = item.querySelector(".error-message");
    if (old) item.removeChild(old);
    busy(button, "Removing…");
    var sent = versionInput() ? versionInput().value : "";
    var body = new FormData();
    body.append("draft_version", sent);
    post(item.getAttribute("data-remove-url"), body).then(function (answer) {
      if (answer.status === 200 && answer.data) {
        adopt(sent, answer.data.version);
        var next = item.nextElementSibling || item.previousElementSibling;
        item.parentNode.removeChild(item);
        updateCount();
        say("“" + name + "” removed. " + documentsText(attachedCount()));
        focusAfterRemoving(next);
        return;
      }
      unbusy(button);
      var message = problem(answer, "“" + name + "” could not be removed");
      var error = element("p", "error-message");
      error.appendChild(hidden("Error: "));
      error.appendChild(document.createTextNode(message));
      item.appendChild(error);
      say(message);
    });
  }

  function clearFieldErrors() {
    // A document is attached now: the errors the last submit found on the file input are out
    // of date (no document, or files refused then); this page's rows say what is wrong now.
    var field = document.getElementById("field-requirements-documents");
    if (!field || !field.classList.contains("field-error")) return;
    Array.prototype.forEach.call(field.querySelectorAll(".error-message"), function (item) {
      item.parentNode.removeChild(item);
    });
    field.classList.remove("field-error");
    window.ProjectWizard.dropFromSummary(function (target) { return target === input; });
  }

  // --- uploads -------------------------------------------------------------------------------

  function uploadList() {
    var items = document.getElementById("upload-list");
    if (items) return items;
    items = element("ul", "upload-list");
    items.id = "upload-list";
    var field = document.getElementById("field-requirements-documents") || input;
    field.parentNode.insertBefore(items, field.nextSibling);
    return items;
  }

  function row(file) {
    rows += 1;
    var item = element("li", "upload-row");
    var label = element("label", "upload-name user-text", file.name);
    label.htmlFor = "upload-" + rows;
    var bar = element("progress");
    bar.id = "upload-" + rows;
    bar.max = 100;
    bar.value = 0;
    var status = element("span", "upload-status", "Waiting…");
    item.appendChild(label);
    item.appendChild(element("span", "meta", sizeText(file.size)));
    item.appendChild(bar);
    item.appendChild(status);
    uploadList().appendChild(item);
    return { item: item, bar: bar, status: status };
  }

  function refused(shown, message) {
    shown.item.classList.add("upload-error");
    shown.item.removeChild(shown.bar);
    shown.status.className = "upload-status error-message";
    shown.status.textContent = "";
    shown.status.appendChild(hidden("Error: "));
    shown.status.appendChild(document.createTextNode(message));
    say(message);
  }

  function upload(file, shown) {
    var refusal = tooBig(file);
    if (refusal) {
      refused(shown, refusal);
      return Promise.resolve();
    }
    shown.status.textContent = "Uploading…";
    var sent = versionInput() ? versionInput().value : "";
    var body = new FormData();
    body.append("draft_version", sent);
    body.append(input.name, file, file.name);
    return post(uploadUrl, body, function (share) {
      shown.bar.value = Math.round(share * 100);
    }).then(function (answer) {
      if (answer.status === 201 && answer.data && answer.data.document) {
        adopt(sent, answer.data.version);
        shown.item.parentNode.removeChild(shown.item);
        addDocument(answer.data.document);
        clearFieldErrors();
        return;
      }
      refused(shown, problem(answer, "“" + file.name + "” could not be uploaded"));
    });
  }

  function chosen() {
    var files = Array.prototype.slice.call(input.files || []);
    if (!files.length) return;
    var shown = files.map(row);
    input.value = ""; // uploaded here: the submit must not send them again
    inFlight += 1; // the queue as a whole: a submit waits until the last file is answered
    files.forEach(function (file, index) {
      queue = queue.then(function () { return upload(file, shown[index]); });
    });
    queue = queue.then(function () {
      inFlight -= 1;
      if (!inFlight) idle.splice(0).forEach(function (callback) { callback(); });
    });
  }

  // --- the submit waits for what is in flight ------------------------------------------------

  function primary() {
    return form.querySelector(".actions .primary");
  }

  document.addEventListener(
    "submit",
    function (event) {
      if (event.target !== form || !inFlight) return;
      // Before autosave's and the busy state's listeners: the submit is sent once this is done.
      event.preventDefault();
      event.stopPropagation();
      if (waiting) return; // a second click while waiting
      waiting = true;
      var submitter = event.submitter || null;
      var shown = submitter && !submitter.classList.contains("visually-hidden") ? submitter : primary();
      busy(shown, "Uploading…");
      whenIdle().then(function () {
        waiting = false;
        unbusy(shown);
        if (form.requestSubmit) form.requestSubmit(submitter);
        else form.submit();
      });
    },
    true
  );

  input.addEventListener("change", chosen);
  Array.prototype.forEach.call(box.querySelectorAll("li[data-remove-url]"), enhance);
  box.setAttribute("aria-live", "polite");
  chosen(); // files chosen before this script arrived (a slow network) upload now
})();
