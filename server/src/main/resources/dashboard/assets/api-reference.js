// Beacon dashboard: renders /api/openapi.json with Swagger UI on the API reference page. A file of its own, not an
// inline script, so the dashboard's Content-Security-Policy (script-src 'self') stays as it is.
(function () {
  "use strict";
  function start() {
    const root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") return;
    const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
    window.SwaggerUIBundle({
      url: root.dataset.specUrl,
      domNode: root,
      // Off: a deep link is an <a> inside each operation's summary <button>, a control nested in a control that
      // keyboard and screen-reader users cannot reach (axe-core's nested-interactive).
      deepLinking: false,
      validatorUrl: null, // no badge fetched from another site
      // "Try it out" runs as the signed-in session; changes need its CSRF token, as every dashboard request does.
      requestInterceptor: function (request) {
        const method = (request.method || "GET").toUpperCase();
        if (csrf && method !== "GET" && method !== "HEAD" && method !== "OPTIONS") {
          request.headers["X-CSRF-Token"] = csrf;
        }
        return request;
      },
    });
    // Swagger UI wraps its server picker in an empty <label>: give it a name, and again whenever it is drawn anew.
    const nameServerPicker = () => {
      const picker = document.getElementById("servers");
      if (picker && !picker.hasAttribute("aria-label")) picker.setAttribute("aria-label", "Server");
    };
    new MutationObserver(nameServerPicker).observe(root, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
