// Psyplan page behaviour. No inline scripts: everything is wired from here.
(function () {
  "use strict";

  // Warn a minute before the idle sign-out, and let the person stay.
  const body = document.body;
  const timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  const warning = document.getElementById("idle-warning");
  if (timeout > 0 && warning) {
    let warnTimer, outTimer;
    const arm = function () {
      clearTimeout(warnTimer);
      clearTimeout(outTimer);
      warning.hidden = true;
      warnTimer = setTimeout(function () {
        warning.hidden = false;
        document.getElementById("idle-stay").focus();
      }, Math.max(timeout - 60, 1) * 1000);
      outTimer = setTimeout(function () {
        window.location.href = body.dataset.loginUrl;
      }, (timeout + 2) * 1000);
    };
    document.getElementById("idle-stay").addEventListener("click", function () {
      // Any ordinary request counts as activity on the server.
      fetch(window.location.href, { method: "HEAD", credentials: "same-origin" }).then(arm);
    });
    document.addEventListener("htmx:afterRequest", arm);
    arm();
  }

  // The server answers 503 with this event when the database is briefly unavailable
  // (core/dbfailure.py): nothing on the page is replaced, so say why the save did not happen.
  // A malformed request (core/params.py) answers 400 with psyplan:bad-request, shown the same way.
  const showNotice = function (event) {
    const main = document.getElementById("main") || body;
    let notice = document.getElementById("unavailable-notice");
    if (!notice) {
      notice = document.createElement("p");
      notice.id = "unavailable-notice";
      notice.className = "message message-error";
      notice.setAttribute("role", "alert");
      main.insertBefore(notice, main.firstChild);
    }
    notice.textContent = (event.detail && event.detail.message) || "Please try again in a moment.";
  };
  document.addEventListener("psyplan:unavailable", showNotice);
  document.addEventListener("psyplan:bad-request", showNotice);
  // The next successful request clears the notice.
  document.addEventListener("htmx:afterRequest", function (event) {
    const notice = document.getElementById("unavailable-notice");
    if (notice && event.detail.successful) {
      notice.remove();
    }
  });

  // Parts of a form shown only for some answers: data-shown-when="name:a,b" shows the element while
  // the field `name` of its form has one of those values; data-shown-unless hides it then. A hidden
  // part keeps what was typed in it (the server decides what it needs, and says so by field).
  const fieldValue = function (form, name) {
    const inputs = form ? form.querySelectorAll('[name="' + name + '"]') : [];
    for (const input of inputs) {
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) return input.value;
      } else {
        return input.value;
      }
    }
    return "";
  };
  const applyShown = function (root) {
    (root || document).querySelectorAll("[data-shown-when], [data-shown-unless]").forEach(function (el) {
      const rule = el.dataset.shownWhen || el.dataset.shownUnless;
      const name = rule.split(":")[0];
      const values = rule.split(":")[1].split(",");
      const matches = values.indexOf(fieldValue(el.closest("form"), name)) !== -1;
      el.hidden = el.dataset.shownWhen ? !matches : matches;
    });
  };
  document.addEventListener("change", function () { applyShown(document); });
  document.addEventListener("htmx:afterSettle", function () { applyShown(document); });
  applyShown(document);

  // "Add a row": data-add-row names the container, data-row-template the <template> whose `__i__`
  // becomes the new row's index (the count of rows so far) and `__n__` its number as people count.
  // data-clear empties an element (Cancel on a form swapped into the page).
  document.addEventListener("click", function (event) {
    const adder = event.target.closest("[data-add-row]");
    if (adder) {
      const container = document.querySelector(adder.dataset.addRow);
      const template = document.querySelector(adder.dataset.rowTemplate);
      if (!container || !template) return;
      const index = container.children.length;
      const fill = function (text) {
        return text.split("__i__").join(String(index)).split("__n__").join(String(index + 1));
      };
      // A copy of the template's nodes with the placeholders filled in: no HTML is parsed from strings.
      const row = template.content.cloneNode(true);
      row.querySelectorAll("*").forEach(function (el) {
        for (const attribute of Array.from(el.attributes)) {
          if (attribute.value.indexOf("__") !== -1) el.setAttribute(attribute.name, fill(attribute.value));
        }
      });
      const walker = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        if (walker.currentNode.nodeValue.indexOf("__") !== -1) walker.currentNode.nodeValue = fill(walker.currentNode.nodeValue);
      }
      container.appendChild(row);
      const first = container.lastElementChild && container.lastElementChild.querySelector("select, input");
      if (first) first.focus();
      return;
    }
    const clearer = event.target.closest("[data-clear]");
    if (clearer) {
      const target = document.querySelector(clearer.dataset.clear);
      if (target) target.replaceChildren();
    }
  });

  // An autosave of the whole form went through: what an earlier save marked wrong is right now.
  document.addEventListener("psyplan:saved-clean", function (event) {
    const form = event.target.closest("form");
    if (!form) return;
    form.querySelectorAll(".error-summary, .errors").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
  });
})();
