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
      deepLinking: true,
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
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
