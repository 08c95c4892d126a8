/* Autosave for the wizard's step form: an enhancement, the form works without it.
 *
 * What the user types is posted (form-encoded, files left out) to the form's data-autosave-url
 * a moment after they stop typing. The server keeps it in the draft as "typed, not submitted";
 * "Save and continue" still submits the step as before. The server contract (status codes,
 * JSON, draft_version) is described in projects/autosave.py.
 *
 * Rules this file keeps:
 * - One save in flight at a time; typing during a save queues one more, with the latest values.
 * - The hidden draft_version always holds the revision of the last save, so the later submit
 *   (or save) is not taken for a stale tab. A submit waits for a save in flight for that reason.
 * - Errors are quiet: a status line, a retry with backoff when offline, a message under a field
 *   only once the user has touched it. Focus never moves, typing is never blocked.
 * - Content Security Policy: no inline styles, no eval; state is shown with classes and `hidden`.
 * - Nothing typed is lost (issue 10):
 *   - Every save is first written to localStorage ("pw-pending:<autosave url>") and removed when
 *     the server has answered (but see the next rule). What is left there (the save on leaving a
 *     page, a save while offline, a closed tab) is sent again when a page of that draft is next open and online:
 *     first for the other steps, then this page's own values are put back in the form and saved.
 *   - A save answered after a navigation away began (beforeunload: a reload, a link; until the
 *     next edit, as a download does not leave) is kept, marked with the draft's revision after it:
 *     the same step's next page may have been rendered before that save landed, and then puts its
 *     values back; a page rendered after it forgets it, and other steps' pages drop it.
 *   - A save from an older revision is merged by the server (fields changed only elsewhere are
 *     kept, and shown here in fields the user has not touched); an answer changed here and
 *     elsewhere differently comes back as a conflict: both are shown, and the person chooses.
 */
(function () {
  "use strict";

  var form = document.getElementById("step-form");
  if (!form || !form.getAttribute("data-autosave-url") || !window.fetch || !window.FormData) {
    return;
  }

  // The status line's words: "Saving…", "Saved 14:05" (local time), "Saved on this device" (kept
  // here until the server has it), "Could not save — retrying".
  var RETRY_DELAYS = [1000, 2000, 4000]; // then "Could not save" until `online` or more typing
  var MAX_RETRY_AFTER = 120; // seconds: a longer Retry-After waits for the user's next change

  var url = form.getAttribute("data-autosave-url");
  var delay = parseInt(form.getAttribute("data-autosave-delay"), 10);
  if (!(delay >= 0)) delay = 1000;
  var step = form.getAttribute("data-step") || "";
  var statusBox = document.getElementById("save-status");
  var conflictBox = document.getElementById("autosave-conflict");

  var changes = 0; // bumped by every edit
  var savedChanges = 0; // `changes` as of the last values the server has
  var sendingChanges = null; // `changes` as of the save in flight
  var inFlight = null; // the save in flight (a promise that never rejects)
  var queued = false; // an edit arrived during the save in flight
  var timer = null; // debounce
  var retryTimer = null;
  var failures = 0; // consecutive network/503 failures
  var stopped = false; // conflict, expired, gone, refused: no more autosaves on this page
  var submitting = false; // the form is being submitted: no more autosaves, never a beacon
  var touched = {}; // input names the user changed or left on this page
  var savedValues = null; // fingerprint() of the last values the server has
  var lastErrors = {};
  var answered = false; // lastErrors holds a save's answer (not yet: the page's errors stand)
  var conflicts = {}; // input name -> the other value, until the person chooses
  var PENDING = "pw-pending:";
  var leaving = false; // a navigation away from this page has begun (beforeunload)
  var PENDING_MAX = 50;

  // --- what is sent --------------------------------------------------------------------------

  function skipped(name, value) {
    // Files travel only with a real submit; "remove" is an action taken on submit.
    return (typeof File !== "undefined" && value instanceof File) || name === step + "-remove";
  }

  function payload() {
    var body = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (!skipped(name, value)) body.append(name, value);
    });
    return body;
  }

  function fingerprint(body) {
    // The values alone: a `change` after `input` (or a blur) sends nothing new.
    var values = new URLSearchParams(body);
    values.delete("draft_version");
    values.delete("csrfmiddlewaretoken");
    return values.toString();
  }

  function csrfToken() {
    return window.ProjectWizard.csrfToken(form);
  }

  function versionInput() {
    return window.ProjectWizard.versionInput(form);
  }

  // --- saves kept on this device until the server has them ---------------------------------------

  function keep(saveUrl, body, revision) {
    try {
      var keys = [];
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(PENDING) === 0 && key !== PENDING + saveUrl) keys.push(key);
      }
      if (keys.length >= PENDING_MAX) {
        keys.sort(function (a, b) { return (pendingAt(a) || 0) - (pendingAt(b) || 0); });
        localStorage.removeItem(keys[0]);
      }
      var entry = { body: body.toString(), at: Date.now() };
      if (revision !== undefined) entry.revision = String(revision); // landed as that revision
      localStorage.setItem(PENDING + saveUrl, JSON.stringify(entry));
      return true;
    } catch (error) {
      return false; // storage full or refused: the save still goes to the server
    }
  }

  function pendingAt(key) {
    try { return JSON.parse(localStorage.getItem(key)).at; } catch (error) { return 0; }
  }

  function kept(saveUrl) {
    try {
      var entry = JSON.parse(localStorage.getItem(PENDING + saveUrl) || "null");
      return entry && typeof entry.body === "string" ? entry : null;
    } catch (error) {
      return null;
    }
  }

  function landed(saveUrl, body, revision) {
    // The save landed as `revision`. Forgotten, unless this page is on its way out: the next page
    // may be rendered from before it, and needs it (restoreOwn).
    if (!leaving || revision === undefined || revision === null || !draftOf(saveUrl) || !keep(saveUrl, body, revision)) {
      forget(saveUrl);
    }
  }

  function forget(saveUrl) {
    try { localStorage.removeItem(PENDING + saveUrl); } catch (error) { /* nothing kept */ }
  }

  function draftOf(saveUrl) {
    // "/projects/new/<draft>/<step>/autosave/" -> "/projects/new/<draft>/" (null for a new draft)
    var match = /^(\/projects\/new\/[0-9a-f-]{36}\/)[a-z]+\/autosave\/$/.exec(saveUrl);
    return match ? match[1] : null;
  }

  // --- status line ---------------------------------------------------------------------------

  function setStatus(text, state) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.hidden = !text;
    statusBox.classList.remove("is-saving", "is-saved", "is-offline", "is-error");
    if (text && state) statusBox.classList.add("is-" + state);
  }

  function clock(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) when = new Date();
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return two(when.getHours()) + ":" + two(when.getMinutes());
  }

  // --- field errors, shown gently ------------------------------------------------------------

  function fieldElement(name) {
    var items = form.querySelectorAll("[name]");
    for (var i = 0; i < items.length; i++) {
      if (items[i].name === name) return items[i];
    }
    return null;
  }

  function errorId(name) {
    return "field-" + name + "-error";
  }

  function describedBy(element, id, add) {
    var ids = (element.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (add) ids.push(id);
    if (ids.length) element.setAttribute("aria-describedby", ids.join(" "));
    else element.removeAttribute("aria-describedby");
  }

  function sameName(name) {
    return Array.prototype.filter.call(form.querySelectorAll("[name]"), function (item) {
      return item.name === name;
    });
  }

  function shownErrors(wrapper) {
    // The field's own messages (the server's or ours), not those of a conflict box inside it.
    return Array.prototype.filter.call(wrapper.querySelectorAll(".error-message"), function (item) {
      return !item.closest(".conflict");
    });
  }

  function updateSummary(wrapper) {
    // An item of the summary goes when its field is fixed.
    window.ProjectWizard.dropFromSummary(function (target) { return wrapper.contains(target); });
  }

  function hideError(name) {
    var wrapper = document.getElementById("field-" + name);
    if (!wrapper || wrapper.querySelector("input[type=file]")) return; // files are checked on submit only
    var shown = shownErrors(wrapper);
    if (!shown.length) return;
    shown.forEach(function (item) { item.parentNode.removeChild(item); });
    wrapper.classList.remove("field-error");
    sameName(name).forEach(function (item) { describedBy(item, errorId(name), false); });
    updateSummary(wrapper);
  }

  function showError(name, messages) {
    // The server's markup, in the field's wrapper, where the server puts it.
    var wrapper = document.getElementById("field-" + name);
    if (!wrapper) return;
    var text = messages.join(" ");
    var shown = shownErrors(wrapper);
    if (shown.length === 1 && shown[0].textContent.indexOf(text) !== -1) return;
    shown.forEach(function (item) { item.parentNode.removeChild(item); });
    var message = document.createElement("p");
    message.className = "error-message";
    message.id = errorId(name);
    var prefix = document.createElement("span");
    prefix.className = "visually-hidden";
    prefix.textContent = "Error:";
    message.appendChild(prefix);
    message.appendChild(document.createTextNode(" " + text));
    var before = wrapper.querySelector(".choices") || fieldElement(name);
    if (before && before.parentNode === wrapper && before.type !== "checkbox") wrapper.insertBefore(message, before);
    else if (before && before.parentNode && before.parentNode.tagName === "FIELDSET") before.parentNode.insertBefore(message, before);
    else wrapper.appendChild(message);
    wrapper.classList.add("field-error");
    sameName(name).forEach(function (item) { describedBy(item, message.id, true); });
  }

  function typingIn(name) {
    var active = document.activeElement;
    return !!active && active.name === name;
  }

  function renderErrors() {
    // A field's error goes as soon as it is valid; a new one is said only once the person has
    // left the field (never while they are typing in it).
    if (!answered) return;
    Array.prototype.forEach.call(form.querySelectorAll(".field[id^='field-']"), function (wrapper) {
      var name = wrapper.id.slice("field-".length);
      if (!lastErrors[name]) hideError(name);
    });
    Object.keys(lastErrors).forEach(function (name) {
      if (name === "__all__" || !touched[name] || typingIn(name)) return;
      showError(name, lastErrors[name]);
    });
  }

  // --- values from elsewhere: merged ones, and conflicts ------------------------------------------

  function setValue(name, values) {
    values = values || [];
    sameName(name).forEach(function (item) {
      if (item.type === "checkbox" || item.type === "radio") {
        item.checked = values.indexOf(item.value) !== -1;
      } else if (item.type !== "file" && item.type !== "hidden") {
        item.value = values.length ? values[0] : "";
      }
    });
  }

  function currentValues(name) {
    return new FormData(form).getAll(name).filter(function (value) { return typeof value === "string"; });
  }

  function showUpdates(updated, body) {
    // Answers merged in from elsewhere (the server keeps them over what this page sent, because
    // this page had not changed them): shown in every field that still holds what was sent,
    // so that the next save or submit keeps them. A field typed in since is left alone.
    var sent = new URLSearchParams(body || "");
    Object.keys(updated || {}).forEach(function (name) {
      if (conflicts[name] || !fieldElement(name)) return;
      if (currentValues(name).join("\u0000") !== sent.getAll(name).join("\u0000")) return;
      setValue(name, updated[name]);
    });
    savedValues = fingerprint(payload());
  }

  function conflictId(name) {
    var element = fieldElement(name);
    return (element && element.id ? element.id : name) + "-conflict";
  }

  function resolved(name) {
    delete conflicts[name];
    var box = document.getElementById(conflictId(name));
    if (box) box.parentNode.removeChild(box);
    if (!Object.keys(conflicts).length) {
      stopped = false;
      leaving = false; // still here
      changes += 1;
      save();
    }
  }

  function showConflicts(found) {
    Object.keys(found).forEach(function (name) {
      var element = fieldElement(name);
      if (!element) return;
      var theirs = found[name].theirs || [];
      conflicts[name] = theirs;
      var id = conflictId(name);
      var box = document.getElementById(id);
      if (box) box.parentNode.removeChild(box);
      box = document.createElement("div");
      box.className = "conflict";
      box.id = id;
      var text = document.createElement("p");
      text.appendChild(document.createTextNode("Saved in another tab or window: "));
      var value = document.createElement("strong");
      value.textContent = theirs.join(", ") || "(empty)";
      text.appendChild(value);
      box.appendChild(text);
      var useTheirs = document.createElement("button");
      useTheirs.type = "button";
      useTheirs.className = "secondary";
      useTheirs.textContent = "Use this instead";
      useTheirs.addEventListener("click", function () {
        setValue(name, theirs);
        resolved(name);
      });
      var keepMine = document.createElement("button");
      keepMine.type = "button";
      keepMine.className = "secondary";
      keepMine.textContent = "Keep mine";
      keepMine.addEventListener("click", function () { resolved(name); });
      box.appendChild(useTheirs);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(keepMine);
      var wrapper = document.getElementById("field-" + name);
      if (wrapper) wrapper.appendChild(box);
      else element.insertAdjacentElement("afterend", box);
    });
  }

  // --- saving --------------------------------------------------------------------------------

  function dirty() {
    return changes !== savedChanges;
  }

  function stop(text, state) {
    stopped = true;
    queued = false;
    clearTimeout(timer);
    clearTimeout(retryTimer);
    setStatus(text, state);
  }

  function saved(data, sent, values, body) {
    failures = 0;
    landed(url, body, data && data.saved !== false ? data.revision : null);
    savedChanges = Math.max(savedChanges, sent);
    savedValues = values;
    if (!data || data.saved === false) {
      lastErrors = {};
      answered = false;
      renderErrors();
      setStatus("");
      return;
    }
    var version = versionInput();
    var isNew = !version;
    if (isNew) {
      version = document.createElement("input");
      version.type = "hidden";
      version.name = "draft_version";
      version.setAttribute("autocomplete", "off");
      form.insertBefore(version, form.firstChild);
    }
    if (data.version !== undefined && data.version !== null) version.value = String(data.version);
    if (isNew && data.stepUrl) {
      // The draft was created by this save: from now on this page is that draft's step, or
      // the submit would start a second draft.
      history.replaceState(null, "", data.stepUrl);
      form.action = data.stepUrl;
      var reload = document.getElementById("autosave-reload");
      if (reload) reload.setAttribute("href", data.stepUrl);
    }
    if (data.autosaveUrl) {
      url = data.autosaveUrl;
      form.setAttribute("data-autosave-url", url);
    }
    lastErrors = data.errors || {};
    answered = true;
    renderErrors();
    showUpdates(data.updated, body);
    setStatus("Saved " + clock(data.savedAt), "saved");
    if (data.expiresAt) {
      // A save restarts the draft's lifetime: tell the expiry warning (expiry.js).
      document.dispatchEvent(new CustomEvent("draft:kept", { detail: { expiresAt: data.expiresAt } }));
    }
  }

  function offline() {
    var onDevice = !!kept(url);
    if (failures < RETRY_DELAYS.length) {
      setStatus(onDevice ? "Saved on this device" : "Could not save — retrying", "offline");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(save, RETRY_DELAYS[failures]);
    } else {
      setStatus(onDevice ? "Saved on this device" : "Could not save", onDevice ? "offline" : "error");
    }
    failures += 1;
  }

  function refused(response, error, body) {
    var code = error.code || "";
    var status = response.status;
    if ((status !== 429 && status !== 503) || code === "STORE_FULL") forget(url); // a final answer: nothing to send again
    if (status === 409 && error.conflicts) {
      // Changed here and elsewhere: nothing was saved; the page now holds the latest revision.
      var version = versionInput();
      if (version && error.version !== undefined) version.value = String(error.version);
      var merged = {};
      Object.keys(error.merged || {}).forEach(function (name) {
        if (!error.conflicts[name]) merged[name] = error.merged[name];
      });
      showConflicts(error.conflicts);
      showUpdates(merged, body);
      stop("Not saved: choose which answers to keep", "error");
    } else if (code === "TOO_MANY_DRAFTS" || code === "STORE_FULL") {
      // No new draft for now (issue 12): the submit shows why, with the drafts to resume.
      stop(error.message || "Not saved", "error");
    } else if (status === 409) {
      if (conflictBox) conflictBox.hidden = false;
      stop("Not saved", "error");
    } else if (status === 410 || status === 404) {
      stop(error.message || "Could not save: this draft is no longer available", "error");
      if (status === 410 && !error.projectId) {
        // Expired: offer to start a new draft with what is on the page (expiry.js's notice).
        document.dispatchEvent(new CustomEvent("draft:expired"));
      }
    } else if (status === 429) {
      var wait = parseInt(response.headers.get("Retry-After"), 10);
      if (!(wait >= 0)) wait = 5;
      setStatus("Could not save — retrying", "offline");
      clearTimeout(retryTimer);
      if (wait <= MAX_RETRY_AFTER) retryTimer = setTimeout(save, wait * 1000);
    } else if (status === 413) {
      setStatus("Could not save: too long", "error");
    } else if (status === 503) {
      offline();
    } else if (status === 400 && code === "INVALID_STEP") {
      stop("Could not save", "error");
    } else if (status === 400 || status === 403) {
      // A refused request (CSRF, malformed) will be refused again: stop asking.
      stop("Could not save", "error");
    } else {
      setStatus("Could not save", "error");
    }
  }

  function save(options) {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    if (stopped || submitting) return Promise.resolve();
    if (inFlight) {
      queued = true;
      return inFlight;
    }
    var sent = changes;
    var body = payload();
    var values = fingerprint(body);
    if (values === savedValues) {
      savedChanges = sent;
      return Promise.resolve();
    }
    sendingChanges = sent;
    if (draftOf(url)) keep(url, body); // a new draft's first save is not replayed: it would start another
    setStatus("Saving…", "saving");
    var request = {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken(), Accept: "application/json" },
    };
    if (options && options.keepalive) request.keepalive = true;
    inFlight = fetch(url, request)
      .then(
        function (response) {
          if (response.ok) {
            return response.json().then(function (data) { saved(data, sent, values, body); });
          }
          return response
            .json()
            .catch(function () { return {}; })
            .then(function (answer) { refused(response, (answer && answer.error) || {}, body); });
        },
        function () { offline(); }
      )
      .catch(function () {
        // A 200 that wasn't JSON (a proxy's page, say).
        setStatus("Could not save", "error");
      })
      .then(function () {
        inFlight = null;
        sendingChanges = null;
        if (queued && !stopped && !submitting) {
          queued = false;
          schedule();
        }
      });
    return inFlight;
  }

  function schedule() {
    clearTimeout(timer);
    if (stopped || submitting) return;
    timer = setTimeout(save, delay);
  }

  // --- events --------------------------------------------------------------------------------

  function edited(event) {
    var target = event.target;
    if (!target || !target.name || submitting || stopped) return;
    if (target.type === "file" || target.name === step + "-remove") return;
    touched[target.name] = true;
    changes += 1;
    failures = 0; // typing again is a reason to try again
    leaving = false; // still here: that navigation did not happen
    if (inFlight) queued = true;
    else schedule();
  }

  form.addEventListener("input", edited);
  form.addEventListener("change", edited);

  form.addEventListener("focusout", function (event) {
    var target = event.target;
    if (!target || !target.name || target.type === "file" || target.type === "hidden") return;
    touched[target.name] = true;
    renderErrors(); // the errors held back while typing in it
  });

  form.addEventListener("submit", function (event) {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    queued = false;
    if (inFlight && !submitting) {
      // Let the save finish first: it brings the draft_version this submit must carry.
      event.preventDefault();
      var submitter = event.submitter || null;
      submitting = true;
      inFlight.then(function () {
        if (submitter && form.requestSubmit) form.requestSubmit(submitter);
        else if (form.requestSubmit) form.requestSubmit();
        else form.submit();
      });
      return;
    }
    submitting = true;
  });

  window.addEventListener("online", function () {
    if (!stopped && !submitting && dirty()) {
      failures = 0;
      save();
    }
  });

  document.addEventListener("visibilitychange", function () {
    // Hidden may be the last chance (a phone tab is often killed, not closed). The page is still
    // alive, so save the normal way and keep draft_version current; keepalive lets it finish.
    if (document.visibilityState === "hidden" && !stopped && !submitting && dirty()) {
      save({ keepalive: true });
    }
  });

  window.addEventListener("beforeunload", function () {
    leaving = true; // no prompt: only noted, for a save answered before the next page arrives
  });

  window.addEventListener("pagehide", function () {
    clearTimeout(timer);
    clearTimeout(retryTimer);
    if (stopped || submitting || !dirty() || sendingChanges === changes) return;
    if (fingerprint(payload()) === savedValues) return;
    // The page is going away: nobody will read an answer. The body carries csrfmiddlewaretoken.
    // (visibilitychange to hidden comes after pagehide: count these values as sent, or a second
    // request would go out, and on step 1 start a second draft.)
    var body = payload();
    savedChanges = changes;
    if (draftOf(url)) keep(url, body); // sent again by the next page if this one does not land first
    var sent = false;
    try {
      sent = navigator.sendBeacon && navigator.sendBeacon(url, body);
    } catch (error) {
      sent = false;
    }
    if (!sent) {
      try {
        fetch(url, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          keepalive: true,
          headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken() },
        }).catch(function () {});
      } catch (error) {
        // Nothing more can be done while the page unloads.
      }
    }
  });

  window.addEventListener("pageshow", function (event) {
    // Back/forward cache: this page's draft_version may be old by now.
    if (event.persisted) window.location.reload();
  });

  // --- at load: what this device still holds for this draft ----------------------------------------

  function replayOthers() {
    // Saves of the draft's other steps left on this device: send them as they were.
    var draft = draftOf(url);
    var others = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (!key || key.indexOf(PENDING) !== 0) continue;
        var other = key.slice(PENDING.length);
        if (other !== url && draftOf(other) === draft) others.push(other);
      }
    } catch (error) {
      return Promise.resolve();
    }
    return others.reduce(function (previous, other) {
      return previous.then(function () {
        var entry = kept(other);
        if (!entry) return null;
        if (entry.revision !== undefined) {
          forget(other); // a save that landed: only its own step's page may still need it
          return null;
        }
        return fetch(other, {
          method: "POST",
          body: new URLSearchParams(entry.body),
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch", "X-CSRFToken": csrfToken(), Accept: "application/json" },
        }).then(
          function (response) {
            // Kept for that step's page when the server could not take it now (busy), or asks the
            // person to choose (409): that page shows the values and the question.
            if (response.ok || response.status === 404 || response.status === 410) forget(other);
          },
          function () { /* still offline: kept for later */ }
        );
      });
    }, Promise.resolve());
  }

  function restoreOwn() {
    // This page's own values left on this device (typed just before a reload or on leaving, or
    // offline) may be newer than what the page was rendered with: put them back in the form and
    // save them from the revision they were typed on, so the server merges them with whatever
    // was saved since (or asks the person about an answer changed both ways).
    var entry = kept(url);
    if (!entry) return;
    var version = versionInput();
    if (entry.revision !== undefined && version && Number(version.value) >= Number(entry.revision)) {
      forget(url); // a save the server had before it rendered this page
      return;
    }
    var values = new URLSearchParams(entry.body);
    var names = {};
    values.forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      (names[name] = names[name] || []).push(value);
    });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox][name]"), function (box) {
      if (!names[box.name] && box.name.indexOf(step + "-") === 0) box.checked = false; // unticked then
    });
    Object.keys(names).forEach(function (name) {
      if (name === "draft_version") {
        var version = versionInput();
        if (version) version.value = names[name][0];
        return;
      }
      if (touched[name]) return; // typed in since this page loaded: that is newer still
      if (currentValues(name).join("\u0000") !== names[name].join("\u0000")) touched[name] = true;
      setValue(name, names[name]);
    });
    changes += 1;
    save();
  }

  // --- at load: what was typed (or put back by the browser) before this script ran ------------------

  function changedBeforeLoad(element) {
    // (edited() leaves out what autosave never sends: a file box, step 2's remove boxes.)
    if (!element.name || element.disabled || element.type === "hidden") return false;
    if (element.type === "checkbox" || element.type === "radio") return element.checked !== element.defaultChecked;
    if (element.tagName === "SELECT") {
      var options = element.options;
      var marked = Array.prototype.some.call(options, function (option) { return option.defaultSelected; });
      if (!marked) return !element.multiple && options.length > 0 && element.selectedIndex !== 0;
      return Array.prototype.some.call(options, function (option) { return option.selected !== option.defaultSelected; });
    }
    if (!("defaultValue" in element) || element.value === element.defaultValue) return false;
    // The page's own value as this kind of box keeps it: a date box shows "01/03/2027" as empty,
    // an email box trims spaces. That is the browser's doing, not an edit to save over the answer.
    if (element.tagName === "INPUT") {
      var same = document.createElement("input");
      same.type = element.type;
      same.multiple = element.multiple;
      same.value = element.defaultValue;
      if (element.value === same.value) return false;
    }
    return true;
  }

  Array.prototype.forEach.call(form.elements, function (element) {
    if (changedBeforeLoad(element)) edited({ target: element });
  });

  if (draftOf(url)) {
    // This page's own values first and at once (before the person types on), then the others'.
    restoreOwn();
    replayOthers();
  }
})();
