/*
 * The 3-D Secure lightbox, inside the __privateStripeFrame that Stripe.js puts first in <body>.
 * 3DS2 (three-ds-2-challenge.html): iframe#challengeFrame[name="stripe-challenge-frame"] holds
 * the test page. 3DS1 (authorize-with-url-inner.html): iframe#challengeFrame holds a page whose
 * iframe[name="acsFrame"] holds the test page. The loading indicator hides once the challenge
 * frame has loaded. "Done" messages come up the chain and go to the merchant page's origin only.
 */
(function () {
  'use strict';

  var TAG = 'stripe-sandbox';
  var query = new URLSearchParams(window.location.search);
  var parentOrigin = new URLSearchParams(window.location.hash.slice(1)).get('parentOrigin');
  var threeDS1 = /authorize-with-url-inner/.test(window.location.pathname);
  var slot = document.getElementById('challenge-slot');
  var loading = document.querySelector('.LightboxModalLoadingIndicator');

  var frame = document.createElement('iframe');
  frame.id = 'challengeFrame';
  frame.title = '3D Secure challenge';
  frame.setAttribute('frameborder', '0');
  var params = new URLSearchParams({
    payment_intent: query.get('payment_intent') || '',
    payment_intent_client_secret: query.get('payment_intent_client_secret') || '',
    mode: 'challenge'
  });
  if (threeDS1) {
    frame.name = 'challengeFrame';
    frame.className = 'AuthorizeWithUrlApp-content';
    frame.src = 'three-ds-acs.html?' + params.toString();
  } else {
    frame.name = 'stripe-challenge-frame';
    frame.src = 'three-ds.html?' + params.toString();
  }
  frame.addEventListener('load', function () {
    loading.hidden = true;
    frame.focus();
  });
  slot.appendChild(frame);

  window.addEventListener('message', function (ev) {
    var d = ev.data;
    if (ev.origin !== window.location.origin || ev.source !== frame.contentWindow) return;
    if (!d || d.source !== TAG || d.type !== '3ds-done') return;
    if (parentOrigin && parentOrigin !== 'null') window.parent.postMessage(d, parentOrigin);
  });
})();
