// paylink embed: put this where the payment form should appear on your page.
//   <script src="https://PAYLINK_HOST/static/embed.js" data-pay-url="https://PAYLINK_HOST/pay/TOKEN" async></script>
// It inserts the pay page in an iframe, keeps the iframe as tall as its content, and raises
// DOM events on the iframe (they bubble to document): paylink:ready, paylink:paid.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-pay-url")) return;
  var url = new URL(script.getAttribute("data-pay-url"), script.src);
  var frame = document.createElement("iframe");
  frame.src = url.href;
  frame.title = script.getAttribute("data-title") || "Payment";
  frame.allow = "payment";  // Payment Request / wallets inside the frame
  frame.className = "paylink-frame";
  frame.style.width = "100%";
  frame.style.minWidth = "300px";
  frame.style.height = "720px";
  frame.style.border = "0";
  var target = script.getAttribute("data-target");
  var container = target && document.querySelector(target);
  if (container) { container.appendChild(frame); } else { script.parentNode.insertBefore(frame, script.nextSibling); }

  function raise(name, detail) {
    frame.dispatchEvent(new CustomEvent(name, { detail: detail, bubbles: true }));
  }
  window.addEventListener("message", function (event) {
    // Only the pay page in this very frame may talk to us.
    if (event.origin !== url.origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "paylink:resize" && data.height > 0) {
      frame.style.height = Math.ceil(data.height) + "px";
    } else if (data.type === "paylink:ready" || data.type === "paylink:paid") {
      raise(data.type, data.detail || {});
    }
  });
})();
