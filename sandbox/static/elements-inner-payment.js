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
  // Ids and names as in Stripe's Payment Element (#Field-numberInput, name="number", ...).
  var inputs = {
    number: document.getElementById('Field-numberInput'),
    expiry: document.getElementById('Field-expiryInput'),
    cvc: document.getElementById('Field-cvcInput'),
    postalCode: document.getElementById('Field-postalCodeInput')
  };
  var country = document.getElementById('Field-countryInput');
  var postalField = document.getElementById('postal-field');
  var postalLabel = document.getElementById('postal-label');
  var touched = {};

  // Stripe's Payment Element asks for a postal code only in these countries.
  var POSTAL = { US: 'ZIP code', CA: 'Postal code', GB: 'Postal code' };
  var COUNTRIES = ('AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM ' +
    'BN BO BQ BR BS BT BV BW BY BZ CA CD CF CG CH CI CK CL CM CN CO CR CV CW CY CZ DE DJ DK DM ' +
    'DO DZ EC EE EG EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT ' +
    'GU GW GY HK HN HR HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY ' +
    'KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT MU MV MW ' +
    'MX MY MZ NA NC NE NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PY QA RE ' +
    'RO RS RU RW SA SB SC SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TA TC TD TF TG TH TJ ' +
    'TK TL TM TN TO TR TT TV TW TZ UA UG US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW').split(' ');

  function fillCountries() {
    var names = window.Intl && Intl.DisplayNames ? new Intl.DisplayNames(['en'], { type: 'region' }) : null;
    var rows = COUNTRIES.map(function (code) {
      var name = code;
      try { name = (names && names.of(code)) || code; } catch (e) { name = code; }
      return { code: code, name: name };
    }).sort(function (a, b) { return a.name.localeCompare(b.name); });
    country.textContent = '';
    rows.forEach(function (row) {
      var option = document.createElement('option');
      option.value = row.code;
      option.textContent = row.name;
      country.appendChild(option);
    });
    // Stripe picks the customer's country from their IP; offline the sandbox starts on US.
    country.value = hash.get('country') && COUNTRIES.indexOf(hash.get('country')) !== -1 ? hash.get('country') : 'US';
  }

  function postalShown() { return Object.prototype.hasOwnProperty.call(POSTAL, country.value); }

  function applyCountry() {
    var shown = postalShown();
    postalField.hidden = !shown;
    inputs.postalCode.disabled = !shown;
    inputs.postalCode.required = shown;
    if (shown) {
      postalLabel.textContent = POSTAL[country.value];
      inputs.postalCode.placeholder = country.value === 'US' ? '12345' : '';
      inputs.postalCode.setAttribute('inputmode', country.value === 'US' ? 'numeric' : 'text');
    } else {
      inputs.postalCode.value = '';
      showError('postalCode', null);
    }
  }

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
      if (!postalShown()) return null;
      var value = inputs.postalCode.value.trim();
      if (country.value === 'US') {
        if (!value) return { code: 'incomplete_zip', message: 'Your ZIP is incomplete.' };
        if (!/^\d{5}(-?\d{4})?$/.test(value)) return { code: 'invalid_zip', message: 'Your ZIP is invalid.' };
        return null;
      }
      if (!value) return { code: 'incomplete_zip', message: 'Your postal code is incomplete.' };
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

  fillCountries();
  applyCountry();
  country.addEventListener('change', function () { applyCountry(); emitChange(); });

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
    body.append('payment_method_data[billing_details][address][country]', country.value);
    if (postalShown()) {
      body.append('payment_method_data[billing_details][address][postal_code]', inputs.postalCode.value.trim());
    }
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
