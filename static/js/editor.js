// The editors' autosave and inline add (issue 16). Wired from data attributes, so every autosaved form
// (formulation sections, goals, objectives, interventions, conflicts, defenses, the session note)
// behaves the same:
//
//   <form data-autosave="edit" data-autosave-url="…">  saved after a pause, on leaving a changed field,
//                                                      when the page is hidden and when it goes away
//   <form data-autosave="add" data-autosave-url="…">   creates a record: never sent while being written
//                                                      (a half-typed objective is not a plan item), only
//                                                      when the page goes away; its one-time form id
//                                                      makes a repeat of the same form create nothing more
//
// Each form's `.save-status` (role=status) says "Unsaved changes", "Saving…", then the server's "Saved
// at …" or "Not saved: …". The page warns before leaving while anything is unsaved or being saved.
// What is typed is kept only in the page and sent to the server: nothing is written to browser storage.
(function () {
  "use strict";

  const PAUSE_MS = 1200;
  const body = document.body;
  const states = new WeakMap();

  const csrfToken = function () {
    try {
      return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  };

  const basePath = function (url) {
    return new URL(url, window.location.href).pathname;
  };

  // What the form would send, without what changes on every save (the version) or never does.
  const snapshot = function (form) {
    const data = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (name === "csrfmiddlewaretoken" || name === "form_id" || /(^|-)version$/.test(name)) continue;
      data.append(name, typeof value === "string" ? value : "");
    }
    return data.toString();
  };

  const stateOf = function (form) {
    let state = states.get(form);
    if (!state) {
      // A form the server answered with its errors (shown again, bound) holds text not yet saved.
      state = { timer: null, dirty: form.hasAttribute("data-autosave-unsaved"), inFlight: 0, problem: false, sent: null };
      states.set(form, state);
    }
    return state;
  };

  const statusOf = function (form) {
    return form.querySelector(".save-status");
  };

  const showStatus = function (form, text, state) {
    const status = statusOf(form);
    if (!status) return;
    status.dataset.state = state;
    status.classList.toggle("save-problem", state === "problem");
    if (status.textContent !== text) status.textContent = text;
  };

  // After the server's answer was swapped in: did it say saved, or not saved (a field error, a conflict)?
  const readOutcome = function (form) {
    const status = statusOf(form);
    const marker = status && status.querySelector("[data-save-outcome]");
    if (!marker) return null;
    const outcome = marker.dataset.saveOutcome;
    status.dataset.state = outcome;
    status.classList.toggle("save-problem", outcome === "problem");
    return outcome;
  };

  const autosaveForms = function () {
    return Array.from(document.querySelectorAll("form[data-autosave]"));
  };

  const isEdit = function (form) {
    return form.dataset.autosave === "edit";
  };

  const unsaved = function (form) {
    const state = stateOf(form);
    return state.dirty || state.inFlight > 0 || state.problem;
  };

  const schedule = function (form) {
    const state = stateOf(form);
    clearTimeout(state.timer);
    state.timer = setTimeout(function () { save(form); }, PAUSE_MS);
  };

  // An ordinary save, through htmx: the answer's out-of-band parts (the new version, the status, a
  // conflict) are swapped in, the form's hx-sync queues it behind a save still on its way, and the
  // idle sign-out timer counts it as activity (app.js).
  const save = function (form) {
    const state = stateOf(form);
    clearTimeout(state.timer);
    if (!form.isConnected || !isEdit(form) || !state.dirty) return;
    htmx.ajax("POST", form.dataset.autosaveUrl, { source: form, swap: "none" });
  };

  const markChanged = function (form) {
    const state = stateOf(form);
    state.problem = false;
    state.dirty = true;
    // The same text again is not written again, so it is announced once, as typing starts.
    showStatus(form, isEdit(form) ? "Unsaved changes" : "Unsaved changes: not added yet", "unsaved");
    if (isEdit(form)) schedule(form);
  };

  const formOfEvent = function (event) {
    const form = event.target.closest && event.target.closest("form[data-autosave]");
    return form && event.target.name ? form : null;
  };

  document.addEventListener("input", function (event) {
    const form = formOfEvent(event);
    if (form) markChanged(form);
  });
  document.addEventListener("change", function (event) {
    const form = formOfEvent(event);
    if (form && snapshot(form) !== stateOf(form).sent) markChanged(form);
  });
  // Leaving a changed field saves it now rather than after the pause.
  document.addEventListener("focusout", function (event) {
    const form = formOfEvent(event);
    if (form && isEdit(form) && stateOf(form).dirty) save(form);
  });
  // "Save now" on a form with no full save of its own (a formulation section).
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.matches("form[data-autosave-submit]")) return;
    event.preventDefault();
    stateOf(form).dirty = true;
    save(form);
  });

  // Requests that save a form: its own (autosave or full save) and "Save mine over theirs" inside it,
  // all to the form's own address. Other requests from inside (the live SMART check) are not saves.
  const savingForm = function (event) {
    const elt = event.detail && event.detail.elt;
    const form = elt && elt.closest && elt.closest("form[data-autosave]");
    const config = event.detail.requestConfig;
    if (!form || !config || config.verb !== "post" || !form.dataset.autosaveUrl) return null;
    return basePath(config.path) === basePath(form.dataset.autosaveUrl) ? form : null;
  };

  document.addEventListener("htmx:beforeRequest", function (event) {
    const form = savingForm(event);
    if (!form) return;
    const state = stateOf(form);
    clearTimeout(state.timer);
    state.inFlight += 1;
    state.sent = snapshot(form);
    state.dirty = false;
    showStatus(form, "Saving…", "saving");
  });

  const settle = function (form, ok) {
    const state = stateOf(form);
    state.inFlight = Math.max(0, state.inFlight - 1);
    if (!form.isConnected) return;
    if (!ok) {
      state.dirty = true;
      showStatus(form, "Not saved: the server could not be reached. Your text is still here and is sent again when you type or press Save.", "problem");
      return;
    }
    state.problem = readOutcome(form) === "problem";
    if (snapshot(form) !== state.sent) {
      // Typed while the save was on its way: that part is still to be saved.
      state.dirty = true;
      showStatus(form, "Unsaved changes", "unsaved");
      schedule(form);
    }
  };

  document.addEventListener("htmx:afterRequest", function (event) {
    const form = savingForm(event);
    if (form) settle(form, event.detail.successful);
  });

  // The page is going away or out of sight: send what is not saved yet now, with keepalive, so it
  // reaches the server even when the page is gone before the answer comes (a reload within the pause).
  const sendNow = function (form) {
    const state = stateOf(form);
    clearTimeout(state.timer);
    if (!state.dirty || !form.dataset.autosaveUrl) return;
    const sent = snapshot(form);
    state.sent = sent;
    state.dirty = false;
    state.inFlight += 1;
    showStatus(form, "Saving…", "saving");
    fetch(form.dataset.autosaveUrl, {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      credentials: "same-origin",
      keepalive: true,
    }).then(function (response) {
      return response.text().then(function (text) {
        if (response.ok && form.isConnected && isEdit(form)) {
          // Only the out-of-band parts: the new version, the status, a conflict.
          htmx.swap(form, text, { swapStyle: "none" });
          // The events the server names (e.g. psyplan:saved-clean, app.js), as htmx would fire them.
          (response.headers.get("HX-Trigger") || "").split(",").forEach(function (name) {
            if (/^[\w:-]+$/.test(name.trim())) form.dispatchEvent(new CustomEvent(name.trim(), { bubbles: true }));
          });
        }
        settle(form, response.ok);
      });
    }).catch(function () {
      settle(form, false);
    });
  };

  const flushEdits = function () {
    autosaveForms().filter(isEdit).forEach(sendNow);
  };

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushEdits();
  });
  window.addEventListener("pagehide", function () {
    flushEdits();
    // A form adding a record is sent only now, when the page is really going: its one-time form id
    // makes this and any other send of the same form one record.
    autosaveForms().filter(function (form) { return !isEdit(form); }).forEach(sendNow);
  });
  window.addEventListener("beforeunload", function (event) {
    flushEdits();
    if (autosaveForms().some(unsaved)) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- Inline add and edit: where focus goes, and what is announced --------------------------------

  const announcer = document.createElement("div");
  announcer.id = "editor-announcer";
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  body.appendChild(announcer);

  const announce = function (message) {
    announcer.textContent = "";
    // A moment apart, so the same message twice in a row is read twice.
    setTimeout(function () { announcer.textContent = message; }, 50);
  };

  const firstField = function (root) {
    return root.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])");
  };

  const focusEl = function (el) {
    if (!el) return;
    if (!el.matches("a, button, input, select, textarea, [tabindex]")) el.setAttribute("tabindex", "-1");
    el.focus();
  };

  const closeInlineAdd = function (slot) {
    const holder = slot.closest("[data-inline-add]");
    const opener = holder && holder.querySelector("[data-inline-opener]");
    slot.replaceChildren();
    if (opener) {
      opener.hidden = false;
      opener.focus();
    }
  };

  document.addEventListener("click", function (event) {
    const cancel = event.target.closest("[data-inline-cancel]");
    if (!cancel) return;
    const slot = cancel.closest("[data-inline-slot]");
    if (slot) closeInlineAdd(slot);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const slot = event.target.closest && event.target.closest("[data-inline-slot]");
    if (slot && slot.firstElementChild) {
      event.preventDefault();
      closeInlineAdd(slot);
    }
  });

  // A Cancel that redraws the page part says where focus goes back to.
  let returnFocusTo = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const elt = event.detail.elt;
    if (elt && elt.dataset && elt.dataset.returnFocus) returnFocusTo = elt.dataset.returnFocus;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    const root = event.detail.elt;
    if (!root || !root.querySelector) return;
    // A form opened in place of its button (inline add) or of the item (edit): focus its first field.
    const parent = root.parentElement;
    const slot = root.matches("[data-inline-slot]") ? root : parent && parent.matches("[data-inline-slot]") ? parent : null;
    if (slot && slot.firstElementChild) {
      const opener = slot.closest("[data-inline-add]").querySelector("[data-inline-opener]");
      if (opener) opener.hidden = true;
    }
    const editor = root.matches(".editor") ? root : root.querySelector(":scope > .editor");
    if (editor && editor.isConnected) {
      const summary = editor.querySelector(".error-summary");
      if (summary) focusEl(summary);
      // Never take focus from a field the person has already moved into (a quick click or tab).
      else if (event.detail.requestConfig && event.detail.requestConfig.verb === "get" && !editor.contains(document.activeElement)) {
      const field = firstField(editor);
      focusEl(field);
      // An edit carries on from the end of what is written.
      if (field && typeof field.value === "string" && field.setSelectionRange && /^(text|search|)$|textarea/.test(field.type)) {
        field.setSelectionRange(field.value.length, field.value.length);
      }
    }
    }
    // After an add or a save the server marks what to announce and where focus goes (plans/_structure.html).
    const marker = document.querySelector("[data-announce]");
    if (marker) {
      const target = marker.dataset.focus && document.getElementById(marker.dataset.focus);
      announce(marker.dataset.announce);
      marker.remove();
      focusEl(target);
      returnFocusTo = null;
    } else if (returnFocusTo) {
      const target = document.querySelector(returnFocusTo);
      if (target) {
        returnFocusTo = null;
        focusEl(target);
      }
    }
  });
})();
