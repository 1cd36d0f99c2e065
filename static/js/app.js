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
})();
