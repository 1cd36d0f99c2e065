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
})();
