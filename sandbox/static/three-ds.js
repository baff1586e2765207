/*
 * The sandbox's 3-D Secure test page, with Stripe's test-page ids (#test-source-authorize-3ds,
 * #test-source-fail-3ds). In the lightbox (mode=challenge) it tells its parent frame (same
 * origin) when the challenge is over; as a redirect_to_url page (mode=redirect) it sends the
 * browser back to the merchant's return_url with Stripe's query parameters.
 * 3DS2 labels are "Complete" / "Fail"; the older 3DS1 page (version=1) says "Complete
 * authentication" / "Fail authentication", as the public suites written against each one expect.
 */
(function () {
  'use strict';

  var query = new URLSearchParams(window.location.search);
  var pi = query.get('payment_intent');
  var secret = query.get('payment_intent_client_secret');
  var mode = query.get('mode') || 'challenge';
  var status = document.getElementById('status');
  var complete = document.getElementById('test-source-authorize-3ds');
  var fail = document.getElementById('test-source-fail-3ds');
  var buttons = [complete, fail];

  if (query.get('version') === '1') {
    document.title = '3D Secure Test Page';
    document.getElementById('heading').textContent = '3D Secure Test Page';
    complete.textContent = 'Complete authentication';
    fail.textContent = 'Fail authentication';
  }

  function finish(body) {
    if (mode === 'redirect') {
      if (body.redirect_url) window.location.assign(body.redirect_url);
      else status.textContent = 'Authentication finished. You can close this window.';
    } else if (window.parent !== window) {
      window.parent.postMessage({ source: 'stripe-sandbox', type: '3ds-done', payment_intent: pi }, window.location.origin);
    }
  }

  buttons.forEach(function (button) {
    button.addEventListener('click', function () {
      buttons.forEach(function (b) { b.disabled = true; });
      status.textContent = 'Processing…';
      fetch('/_sandbox/payment_intents/' + encodeURIComponent(pi) + '/authenticate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ result: button.getAttribute('data-result'), client_secret: secret })
      }).then(function (res) { return res.json(); }).then(finish, function () {
        status.textContent = 'Could not reach the sandbox.';
        buttons.forEach(function (b) { b.disabled = false; });
      });
    });
  });

  complete.focus();
})();
