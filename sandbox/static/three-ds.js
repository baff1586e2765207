/*
 * The sandbox's 3-D Secure challenge page: in the Stripe.js modal (mode=modal) it tells the
 * parent page when the challenge is over; as a redirect_to_url page (mode=redirect) it sends the
 * browser back to the merchant's return_url with Stripe's query parameters.
 */
(function () {
  'use strict';

  var query = new URLSearchParams(window.location.search);
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var pi = query.get('payment_intent');
  var secret = query.get('payment_intent_client_secret');
  var mode = query.get('mode') || 'modal';
  var parentOrigin = hash.get('parentOrigin');
  var status = document.getElementById('status');
  var buttons = document.querySelectorAll('button[data-result]');

  function finish(body) {
    if (mode === 'redirect') {
      if (body.redirect_url) window.location.assign(body.redirect_url);
      else status.textContent = 'Authentication finished. You can close this window.';
    } else if (parentOrigin && parentOrigin !== 'null') {
      window.parent.postMessage({ source: 'stripe-sandbox', type: '3ds-done', payment_intent: pi }, parentOrigin);
    }
  }

  Array.prototype.forEach.call(buttons, function (button) {
    button.addEventListener('click', function () {
      Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
      status.textContent = 'Processing…';
      fetch('/_sandbox/payment_intents/' + encodeURIComponent(pi) + '/authenticate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ result: button.getAttribute('data-result'), client_secret: secret })
      }).then(function (res) { return res.json(); }).then(finish, function () {
        status.textContent = 'Could not reach the sandbox.';
        Array.prototype.forEach.call(buttons, function (b) { b.disabled = false; });
      });
    });
  });

  var first = document.getElementById('complete');
  if (first) first.focus();
})();
