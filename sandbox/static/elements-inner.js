/*
 * Inside the "Secure payment input frame" (sandbox origin). Validates and formats the card
 * fields, creates ConfirmationTokens with the publishable key, and talks to the parent page
 * only with postMessage targeted at the parent's origin. No card data leaves this frame except
 * in the POST to /v1/confirmation_tokens.
 */
(function () {
  'use strict';

  var TAG = 'stripe-sandbox';
  var hash = new URLSearchParams(window.location.hash.slice(1));
  var ID = hash.get('id');
  var PARENT = hash.get('parentOrigin');
  var KEY = hash.get('key');
  var ACCOUNT = hash.get('stripeAccount');  // Connect: tokens are made on that account
  var form = document.getElementById('card-form');
  var inputs = {
    number: document.getElementById('number'),
    expiry: document.getElementById('expiry'),
    cvc: document.getElementById('cvc'),
    postalCode: document.getElementById('postalCode')
  };
  var touched = {};

  function send(type, data) {
    if (!PARENT || PARENT === 'null') return;  // never fall back to '*'
    window.parent.postMessage(Object.assign({ source: TAG, id: ID, type: type }, data || {}), PARENT);
  }

  function digits(value) { return value.replace(/\D/g, ''); }

  function luhn(num) {
    var sum = 0;
    for (var i = 0; i < num.length; i++) {
      var d = +num[num.length - 1 - i];
      if (i % 2) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function isAmex(num) { return /^3[47]/.test(num); }

  function expiryParts() {
    var d = digits(inputs.expiry.value);
    return { month: +d.slice(0, 2), year: 2000 + +d.slice(2, 4), complete: d.length === 4 };
  }

  // Each validator returns null or {code, message} with Stripe.js's wording.
  var validators = {
    number: function () {
      var n = digits(inputs.number.value);
      var len = isAmex(n) ? 15 : 16;
      if (n.length < len) return { code: 'incomplete_number', message: 'Your card number is incomplete.' };
      if (!luhn(n)) return { code: 'invalid_number', message: 'Your card number is invalid.' };
      return null;
    },
    expiry: function () {
      var e = expiryParts();
      var now = new Date();
      var year = now.getFullYear();
      var month = now.getMonth() + 1;
      if (!e.complete) return { code: 'incomplete_expiry', message: "Your card's expiration date is incomplete." };
      if (e.month < 1 || e.month > 12) return { code: 'invalid_expiry_month', message: "Your card's expiration date is invalid." };
      if (e.year < year) return { code: 'invalid_expiry_year_past', message: "Your card's expiration year is in the past." };
      if (e.year === year && e.month < month) return { code: 'invalid_expiry_month_past', message: "Your card's expiration date is in the past." };
      return null;
    },
    cvc: function () {
      var c = digits(inputs.cvc.value);
      var len = isAmex(digits(inputs.number.value)) ? 4 : 3;
      if (c.length < len) return { code: 'incomplete_cvc', message: "Your card's security code is incomplete." };
      return null;
    },
    postalCode: function () {
      if (!inputs.postalCode.value.trim()) return { code: 'incomplete_zip', message: 'Your postal code is incomplete.' };
      return null;
    }
  };

  function showError(name, error) {
    inputs[name].setAttribute('aria-invalid', error ? 'true' : 'false');
    document.getElementById(name + '-error').textContent = error ? error.message : '';
  }

  function validateAll(show) {
    var first = null;
    Object.keys(inputs).forEach(function (name) {
      var error = validators[name]();
      if (show) showError(name, error);
      if (error && !first) first = error;
    });
    return first;
  }

  function format() {
    var n = digits(inputs.number.value).slice(0, 19);
    var groups = isAmex(n) ? [4, 6, 5] : [4, 4, 4, 4, 3];
    var parts = [];
    var i = 0;
    groups.forEach(function (g) { if (i < n.length) { parts.push(n.slice(i, i + g)); i += g; } });
    inputs.number.value = parts.join(' ');

    var e = digits(inputs.expiry.value);
    if (e.length === 1 && +e > 1) e = '0' + e;
    e = e.slice(0, 4);
    inputs.expiry.value = e.length > 2 ? e.slice(0, 2) + ' / ' + e.slice(2) : e;

    inputs.cvc.value = digits(inputs.cvc.value).slice(0, 4);
  }

  function emitChange() {
    var empty = Object.keys(inputs).every(function (k) { return !inputs[k].value; });
    send('change', { complete: !validateAll(false), empty: empty });
  }

  Object.keys(inputs).forEach(function (name) {
    var input = inputs[name];
    input.addEventListener('input', function () {
      // Keep the caret at the end when formatting changes the text (typing is linear).
      var before = input.value;
      if (name !== 'postalCode') format();
      if (touched[name] || input.getAttribute('aria-invalid') === 'true') {
        showError(name, validators[name]());
      }
      if (before !== input.value) input.setSelectionRange(input.value.length, input.value.length);
      emitChange();
    });
    input.addEventListener('blur', function () {
      if (input.value) { touched[name] = true; showError(name, validators[name]()); }
    });
  });

  form.addEventListener('submit', function (ev) { ev.preventDefault(); });
  form.addEventListener('focusin', function (ev) {
    if (!form.contains(ev.relatedTarget)) send('focus');
  });
  form.addEventListener('focusout', function (ev) {
    if (!form.contains(ev.relatedTarget)) send('blur');
  });

  function createToken(params) {
    var e = expiryParts();
    var body = new URLSearchParams();
    body.append('key', KEY);
    if (ACCOUNT) body.append('_stripe_account', ACCOUNT);
    body.append('payment_method_data[type]', 'card');
    body.append('payment_method_data[card][number]', digits(inputs.number.value));
    body.append('payment_method_data[card][exp_month]', String(e.month));
    body.append('payment_method_data[card][exp_year]', String(e.year));
    body.append('payment_method_data[card][cvc]', digits(inputs.cvc.value));
    body.append('payment_method_data[billing_details][address][postal_code]', inputs.postalCode.value.trim());
    var billing = ((params.payment_method_data || {}).billing_details) || {};
    ['name', 'email', 'phone'].forEach(function (k) {
      if (billing[k]) body.append('payment_method_data[billing_details][' + k + ']', billing[k]);
    });
    if (params.return_url) body.append('return_url', params.return_url);
    return fetch('/v1/confirmation_tokens', {
      method: 'POST', body: body, credentials: 'omit',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }
    }).then(function (res) {
      return res.json().then(function (json) {
        return res.ok ? { token: json } : { error: json.error };
      });
    }, function () {
      return { error: { type: 'api_connection_error', message: 'Could not reach Stripe.' } };
    });
  }

  function asValidationError(error) {
    return { type: 'validation_error', code: error.code, message: error.message };
  }

  window.addEventListener('message', function (ev) {
    var d = ev.data;
    if (ev.origin !== PARENT || ev.source !== window.parent) return;
    if (!d || d.source !== TAG || d.id !== ID) return;
    var reply = function (payload) { send('response', { requestId: d.requestId, payload: payload }); };
    if (d.type === 'validate') {
      var error = validateAll(true);
      reply(error ? { error: asValidationError(error) } : {});
    } else if (d.type === 'createToken') {
      var invalid = validateAll(true);
      if (invalid) reply({ error: asValidationError(invalid) });
      else createToken((d.payload && d.payload.params) || {}).then(reply);
    } else if (d.type === 'focus') {
      inputs.number.focus();
      reply({});
    } else if (d.type === 'blur') {
      if (document.activeElement) document.activeElement.blur();
      reply({});
    }
  });

  function reportSize() {
    send('resize', { height: Math.ceil(document.body.getBoundingClientRect().height) });
  }
  if (window.ResizeObserver) new ResizeObserver(reportSize).observe(document.body);
  reportSize();
  send('ready');
})();
