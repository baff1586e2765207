// Inside a merchant's iframe: tell the parent our height and when the invoice is paid.
// Messages go only to the parent's origin, and only when the merchant allowed it: never "*".
(function () {
  "use strict";
  if (window.parent === window) return;
  var allowed = JSON.parse(document.getElementById("embed-config").textContent).origins;
  var ancestors = window.location.ancestorOrigins;
  var parentOrigin = ancestors && ancestors.length ? ancestors[0]
    : (document.referrer ? new URL(document.referrer).origin : null);
  if (!parentOrigin || allowed.indexOf(parentOrigin) === -1) return;
  function send(message) { window.parent.postMessage(message, parentOrigin); }
  var lastHeight = 0;
  function resize() {
    var height = document.documentElement.scrollHeight;
    if (height !== lastHeight) { lastHeight = height; send({ type: "paylink:resize", height: height }); }
  }
  new ResizeObserver(resize).observe(document.body);
  var state = document.getElementById("invoice-state");
  send({ type: "paylink:ready", detail: { state: state ? state.getAttribute("data-state") : null } });
  document.addEventListener("paylink:paid", function (event) {
    send({ type: "paylink:paid", detail: event.detail });
  });
})();
