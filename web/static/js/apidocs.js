// Renders the OpenAPI document in #swagger-ui with the vendored Swagger UI
// (web/static/vendor/swagger-ui). Requests from "Try it out" go to the
// same origin, so the browser sends the session cookie and the API acts
// as the signed-in user. Nothing is fetched from elsewhere: the
// validator badge (validator.swagger.io) is off.
(function () {
  "use strict";

  function start() {
    var el = document.getElementById("swagger-ui");
    if (!el || el.dataset.started || typeof window.SwaggerUIBundle === "undefined") return;
    el.dataset.started = "1";
    window.SwaggerUIBundle({
      url: el.dataset.spec,
      domNode: el,
      presets: [window.SwaggerUIBundle.presets.apis],
      layout: "BaseLayout",
      validatorUrl: null,
      deepLinking: false,
      docExpansion: "list",
      defaultModelsExpandDepth: 0,
      displayOperationId: false,
      tryItOutEnabled: false,
      queryConfigEnabled: false,
      withCredentials: true,
      requestInterceptor: function (req) {
        req.credentials = "same-origin";
        return req;
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  window.addEventListener("load", start);
})();
