/*
 * Stripe.js double served by the paylink Stripe sandbox at /v3/.
 *
 * Same API and result shapes as the parts of real Stripe.js that paylink uses:
 *   Stripe(pk).elements({mode, amount, currency}) -> create('payment') -> mount(selector)
 *   elements.submit(), stripe.createConfirmationToken(), stripe.handleNextAction(),
 *   stripe.confirmPayment(), stripe.retrievePaymentIntent().
 * Card fields live in an iframe served from the sandbox origin; the iframe itself creates the
 * ConfirmationToken, so card data never reaches this page. No eval, no inline styles strings:
 * it runs under a strict CSP.
 */
(function () {
  'use strict';

  var script = document.currentScript;
  var ORIGIN = new URL(script ? script.src : '/', window.location.href).origin;
  var TAG = 'stripe-sandbox';
  var counter = 0;
  // Frame names like Stripe.js's: __privateStripeFrame followed by digits.
  var frameSeq = 1000 + Math.floor(Math.random() * 8000);

  function frameName() { return '__privateStripeFrame' + (frameSeq++); }

  function integrationError(message) {
    var err = new Error(message);
    err.name = 'IntegrationError';
    return err;
  }

  // Stripe's form encoding: {a: {b: 1}} -> a[b]=1, arrays as a[0]=x.
  function encode(params, prefix, out) {
    out = out || new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      var key = prefix ? prefix + '[' + k + ']' : k;
      if (v === undefined || v === null) return;
      if (typeof v === 'object') encode(v, key, out);
      else out.append(key, String(v));
    });
    return out;
  }

  function request(method, path, key, params, account) {
    var body = encode(params);
    body.append('key', key);
    if (account) body.append('_stripe_account', account);  // Connect: the stripeAccount option
    var url = ORIGIN + path;
    var init = { method: method, credentials: 'omit' };
    if (method === 'GET') url += '?' + body.toString();
    else {
      init.body = body;
      init.headers = { 'Content-Type': 'application/x-www-form-urlencoded' };
    }
    return fetch(url, init).then(
      function (res) {
        return res.json().then(function (json) {
          return res.ok ? { data: json } : { error: json.error || { type: 'api_error' } };
        });
      },
      function () {
        return { error: { type: 'api_connection_error', message: 'Could not reach Stripe.' } };
      }
    );
  }

  function piIdFromSecret(clientSecret) {
    var m = /^(pi_[A-Za-z0-9]+)_secret_/.exec(clientSecret || '');
    if (!m) throw integrationError('Invalid value for clientSecret: ' + clientSecret);
    return m[1];
  }

  // A declined or failed PaymentIntent resolves as {error} carrying the PI, like Stripe.js.
  function outcome(pi) {
    if (pi.status === 'requires_payment_method' && pi.last_payment_error) {
      var error = Object.assign({}, pi.last_payment_error, { payment_intent: pi });
      return { error: error };
    }
    return { paymentIntent: pi };
  }

  function withQuery(url, params) {
    return url + (url.indexOf('?') === -1 ? '?' : '&') + new URLSearchParams(params).toString();
  }

  /* ---- 3-D Secure challenge modal ------------------------------------------------------- */

  // As Stripe.js: a full-window container first in <body> holding one __privateStripeFrame;
  // inside it (sandbox origin) the lightbox and its challenge frames (see three-ds-lightbox.js).
  function openChallenge(pi) {
    var sdk = (pi.next_action && pi.next_action.use_stripe_sdk) || {};
    var page = sdk.type === 'three_d_secure_redirect' ? 'authorize-with-url-inner.html' : 'three-ds-2-challenge.html';
    return new Promise(function (resolve) {
      var container = document.createElement('div');
      container.setAttribute('data-stripe-sandbox', 'three-ds-modal');
      Object.assign(container.style, {
        position: 'fixed', inset: '0', zIndex: '2147483647', margin: '0', padding: '0',
        border: 'none', display: 'block', background: 'transparent'
      });
      var frame = document.createElement('iframe');
      frame.title = '3D Secure authentication';
      frame.name = frameName();
      frame.setAttribute('frameborder', '0');
      frame.setAttribute('allowtransparency', 'true');
      frame.setAttribute('allow', 'payment *; publickey-credentials-get *');
      var query = new URLSearchParams({
        payment_intent: pi.id, payment_intent_client_secret: pi.client_secret
      });
      frame.src = ORIGIN + '/v3/' + page + '?' + query.toString() + '#' +
        new URLSearchParams({ parentOrigin: window.location.origin }).toString();
      Object.assign(frame.style, {
        border: '0', width: '100%', height: '100%', display: 'block', background: 'transparent'
      });
      container.appendChild(frame);
      document.body.insertBefore(container, document.body.firstChild);
      frame.focus();

      function onMessage(ev) {
        var d = ev.data;
        if (ev.origin !== ORIGIN || ev.source !== frame.contentWindow) return;
        if (!d || d.source !== TAG || d.type !== '3ds-done') return;
        window.removeEventListener('message', onMessage);
        container.remove();
        resolve();
      }
      window.addEventListener('message', onMessage);
    });
  }

  /* ---- Payment Element --------------------------------------------------------------------- */

  function PaymentElement(elements, options) {
    this._elements = elements;
    this._options = options || {};
    this._id = 'pe' + (++counter) + '-' + Math.random().toString(36).slice(2);
    this._handlers = {};
    this._pending = {};
    this._queue = [];
    this._frame = null;
    this._ready = false;
    this._onMessage = this._onMessage.bind(this);
  }

  PaymentElement.prototype.mount = function (target) {
    var node = typeof target === 'string' ? document.querySelector(target) : target;
    if (!node) throw integrationError('The selector you specified (' + target + ') applies to no DOM elements that are currently on the page.');
    if (this._destroyed) throw integrationError('This Element has already been destroyed.');
    if (this._frame) throw integrationError('This Element is already mounted.');
    // Stripe.js's shape: mount node.StripeElement > div.__PrivateStripeElement > iframe.
    var wrapper = document.createElement('div');
    wrapper.className = '__PrivateStripeElement';
    Object.assign(wrapper.style, {
      margin: '0', padding: '0', border: 'none', display: 'block', background: 'transparent',
      position: 'relative', opacity: '1'
    });
    var frame = document.createElement('iframe');
    frame.title = 'Secure payment input frame';
    frame.name = frameName();
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('allowtransparency', 'true');
    frame.setAttribute('allow', 'payment *; publickey-credentials-get *');
    frame.setAttribute('scrolling', 'no');
    Object.assign(frame.style, {
      border: '0', width: '100%', height: '230px', display: 'block', overflow: 'hidden',
      colorScheme: 'normal'
    });
    var address = ((this._options.defaultValues || {}).billingDetails || {}).address || {};
    var hash = new URLSearchParams({
      id: this._id, parentOrigin: window.location.origin, key: this._elements._stripe._key,
      country: address.country || ''
    });
    if (this._elements._stripe._account) hash.set('stripeAccount', this._elements._stripe._account);
    frame.src = ORIGIN + '/v3/elements-inner-payment.html#' + hash.toString();
    var loader = document.createElement('div');
    loader.className = '__PrivateStripeElementLoader';
    loader.setAttribute('aria-hidden', 'true');
    window.addEventListener('message', this._onMessage);
    this._frame = frame;
    this._node = node;
    this._wrapper = wrapper;
    this._loader = loader;
    node.classList.add('StripeElement', 'StripeElement--empty');
    wrapper.appendChild(frame);
    wrapper.appendChild(loader);
    node.appendChild(wrapper);
  };

  PaymentElement.prototype._onMessage = function (ev) {
    var d = ev.data;
    if (!this._frame || ev.origin !== ORIGIN || ev.source !== this._frame.contentWindow) return;
    if (!d || d.source !== TAG || d.id !== this._id) return;
    if (d.type === 'ready') {
      this._ready = true;
      this._loader.style.display = 'none';
      this._queue.splice(0).forEach(function (msg) { this._post(msg); }, this);
      this._emit('ready', { elementType: 'payment' });
    } else if (d.type === 'resize') {
      this._frame.style.height = d.height + 'px';
    } else if (d.type === 'change') {
      this._elements._submitted = false;
      this._node.classList.toggle('StripeElement--empty', !!d.empty);
      this._node.classList.toggle('StripeElement--complete', !!d.complete);
      this._emit('change', {
        elementType: 'payment', complete: d.complete, empty: d.empty, collapsed: false,
        value: { type: 'card' }
      });
    } else if (d.type === 'focus' || d.type === 'blur') {
      this._node.classList.toggle('StripeElement--focus', d.type === 'focus');
      this._emit(d.type, { elementType: 'payment' });
    } else if (d.type === 'response' && this._pending[d.requestId]) {
      this._pending[d.requestId](d.payload);
      delete this._pending[d.requestId];
    }
  };

  PaymentElement.prototype._post = function (msg) {
    this._frame.contentWindow.postMessage(msg, ORIGIN);
  };

  PaymentElement.prototype._request = function (type, payload) {
    var self = this;
    return new Promise(function (resolve) {
      var requestId = 'r' + (++counter);
      self._pending[requestId] = resolve;
      var msg = { source: TAG, id: self._id, type: type, requestId: requestId, payload: payload };
      if (self._ready) self._post(msg);
      else self._queue.push(msg);
    });
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).slice().forEach(function (cb) { cb(payload); });
  };

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype.off = function (event, handler) {
    var list = this._handlers[event] || [];
    this._handlers[event] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };

  PaymentElement.prototype.focus = function () {
    if (this._frame) this._request('focus');
  };

  PaymentElement.prototype.blur = function () {
    if (this._frame) this._request('blur');
  };

  PaymentElement.prototype.unmount = function () {
    if (!this._frame) return;
    window.removeEventListener('message', this._onMessage);
    this._wrapper.remove();
    this._node.classList.remove('StripeElement', 'StripeElement--empty', 'StripeElement--complete', 'StripeElement--focus');
    this._frame = null;
    this._ready = false;
  };

  PaymentElement.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    delete this._elements._children.payment;
  };

  PaymentElement.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  /* ---- Elements group ---------------------------------------------------------------------- */

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options);
    this._children = {};
    this._submitted = false;
  }

  Elements.prototype.create = function (type, options) {
    if (type !== 'payment') throw integrationError('The sandbox Stripe.js supports only the payment Element, not ' + type + '.');
    if (this._children.payment) throw integrationError('Can only create one Element of type payment.');
    this._children.payment = new PaymentElement(this, options);
    return this._children.payment;
  };

  Elements.prototype.getElement = function (type) {
    return this._children[type] || null;
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
  };

  Elements.prototype.fetchUpdates = function () {
    return Promise.resolve({});
  };

  Elements.prototype.submit = function () {
    var self = this;
    var el = this._children.payment;
    if (!el || !el._frame) {
      return Promise.resolve({ error: { type: 'validation_error', message: 'The Payment Element is not mounted.' } });
    }
    return el._request('validate').then(function (result) {
      if (result.error) return { error: result.error };
      self._submitted = true;
      return {};
    });
  };

  /* ---- Stripe -------------------------------------------------------------------------------- */

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) return new Stripe(key, options);
    if (typeof key !== 'string' || key.indexOf('pk_') !== 0) {
      throw integrationError('Invalid value for Stripe(): apiKey should be a publishable key (pk_...). You passed: ' + key + '.');
    }
    this._key = key;
    this._options = options || {};
    this._account = this._options.stripeAccount || null;
  }

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options || {});
  };

  Stripe.prototype._tokenFrom = function (elements, params) {
    var el = elements && elements.getElement('payment');
    if (!el || !el._frame) return Promise.reject(integrationError('A mounted Payment Element is required.'));
    if (!elements._submitted) {
      return Promise.reject(integrationError('elements.submit() must be called before stripe.createConfirmationToken(). Call elements.submit() as soon as your customer presses pay, prior to any asynchronous work.'));
    }
    return el._request('createToken', { params: params || {} });
  };

  Stripe.prototype.createConfirmationToken = function (options) {
    options = options || {};
    return this._tokenFrom(options.elements, options.params).then(function (result) {
      return result.error ? { error: result.error } : { confirmationToken: result.token };
    });
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var id;
    try { id = piIdFromSecret(clientSecret); } catch (e) { return Promise.reject(e); }
    return request('GET', '/v1/payment_intents/' + id, this._key, { client_secret: clientSecret },
                   this._account)
      .then(function (res) { return res.error ? { error: res.error } : { paymentIntent: res.data }; });
  };

  // Runs the PI's next_action (3DS modal or redirect) and resolves with Stripe.js's shape.
  Stripe.prototype._runNextAction = function (pi) {
    var self = this;
    var action = pi.next_action;
    if (pi.status !== 'requires_action' || !action) return Promise.resolve(outcome(pi));
    if (action.type === 'redirect_to_url') {
      window.location.assign(action.redirect_to_url.url);
      return new Promise(function () {});  // the page is navigating away
    }
    return openChallenge(pi).then(function () {
      return self.retrievePaymentIntent(pi.client_secret);
    }).then(function (res) {
      return res.error ? res : outcome(res.paymentIntent);
    });
  };

  Stripe.prototype.handleNextAction = function (options) {
    var self = this;
    if (!options || !options.clientSecret) return Promise.reject(integrationError('handleNextAction: clientSecret is required.'));
    return this.retrievePaymentIntent(options.clientSecret).then(function (res) {
      return res.error ? res : self._runNextAction(res.paymentIntent);
    });
  };

  Stripe.prototype.confirmPayment = function (options) {
    var self = this;
    options = options || {};
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var confirmParams = options.confirmParams || {};
    var redirect = options.redirect || 'always';
    var id;
    try { id = piIdFromSecret(clientSecret); } catch (e) { return Promise.reject(e); }
    if (redirect !== 'if_required' && !confirmParams.return_url) {
      return Promise.reject(integrationError('stripe.confirmPayment(): the `confirmParams.return_url` argument is required unless passing `redirect: \'if_required\'`'));
    }
    return this._tokenFrom(elements, { return_url: confirmParams.return_url }).then(function (tok) {
      if (tok.error) return { error: tok.error };
      var params = {
        client_secret: clientSecret, confirmation_token: tok.token.id,
        return_url: confirmParams.return_url, use_stripe_sdk: 'true'
      };
      return request('POST', '/v1/payment_intents/' + id + '/confirm', self._key, params,
                     self._account).then(function (res) {
        if (res.error) return { error: res.error };
        return self._runNextAction(res.data);
      }).then(function (result) {
        if (result.error || redirect === 'if_required') return result;
        window.location.assign(withQuery(confirmParams.return_url, {
          payment_intent: result.paymentIntent.id,
          payment_intent_client_secret: clientSecret,
          redirect_status: 'succeeded'
        }));
        return new Promise(function () {});
      });
    });
  };

  Stripe.version = 3;
  Stripe.sandbox = true;
  window.Stripe = Stripe;
})();
