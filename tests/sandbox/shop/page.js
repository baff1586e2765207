// The bare test page's script: mounts the Payment Element from the Stripe.js double and pays.
(function () {
  'use strict';
  var body = document.body;
  var stripe = Stripe(body.getAttribute('data-pk'));
  var elements = stripe.elements({ mode: 'payment', amount: 2500, currency: 'eur' });
  var paymentElement = elements.create('payment');
  var out = document.getElementById('result');
  window.__messages = [];
  window.addEventListener('message', function (ev) { window.__messages.push(JSON.stringify(ev.data)); });

  paymentElement.on('ready', function () { body.setAttribute('data-ready', '1'); });
  paymentElement.on('change', function (ev) {
    document.getElementById('complete').textContent = String(ev.complete);
  });
  paymentElement.mount('#payment-element');

  function post(path, data) {
    return fetch(path, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data)
    }).then(function (r) { return r.json(); });
  }

  function show(text) { out.textContent = text; }

  function finish(result) {
    if (result.error) {
      var pi = result.error.payment_intent;
      show('error:' + result.error.code + ':' + (pi ? pi.id : ''));
    } else {
      show('done:' + result.paymentIntent.status + ':' + result.paymentIntent.id);
    }
  }

  // Flow 1, as paylink does it: token in the browser, create+confirm on the server.
  document.getElementById('pay').addEventListener('click', async function () {
    var submitted = await elements.submit();
    if (submitted.error) return show('submit-error:' + submitted.error.message);
    var made = await stripe.createConfirmationToken({ elements: elements });
    if (made.error) return show('token-error:' + made.error.message);
    var pi = await post('/pay', { token: made.confirmationToken.id });
    if (pi.error) return show('declined:' + pi.error.code + ':' + pi.error.decline_code);
    if (pi.status === 'requires_action') {
      return finish(await stripe.handleNextAction({ clientSecret: pi.client_secret }));
    }
    show('done:' + pi.status + ':' + pi.id);
  });

  // Flow 2: confirmPayment with a client secret from the server.
  document.getElementById('confirm-pay').addEventListener('click', async function () {
    var submitted = await elements.submit();
    if (submitted.error) return show('submit-error:' + submitted.error.message);
    var pi = await post('/intent', {});
    finish(await stripe.confirmPayment({
      elements: elements, clientSecret: pi.client_secret,
      confirmParams: { return_url: window.location.origin + '/return' }, redirect: 'if_required'
    }));
  });
})();
