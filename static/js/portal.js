// The little script the site needs (no inline script is allowed by the Content-Security-Policy).
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function focusErrors(root) {
    var summary = (root || document).querySelector(".nhsuk-error-summary");
    if (summary) { summary.focus(); }
  }

  // htmx requests carry the CSRF token in a header, as forms carry it in a field.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  // htmx does not swap error responses: say something happened instead of showing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var box = document.getElementById("htmx-error");
    if (!box) { return; }
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var text = "Something went wrong. Reload the page and try again.";
    if (status === 403) { text = "You do not have access to that."; }
    if (status === 404) { text = "That could not be found. It may have been removed."; }
    if (status === 409) { text = "Someone else changed this first. Reload the page to see the latest version."; }
    if (status === 400) { text = "This page has expired. Reload it and try again."; }
    box.textContent = text;
    box.hidden = false;
    box.setAttribute("tabindex", "-1");
    box.focus();
  });

  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("htmx-error");
    if (!box) { return; }
    box.textContent = "The portal could not be reached. Check your connection and try again.";
    box.hidden = false;
  });

  document.addEventListener("htmx:afterSwap", function (event) { focusErrors(event.detail.target); });
  document.addEventListener("DOMContentLoaded", function () { focusErrors(document); });
})();
