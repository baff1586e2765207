// The pay page: Payment Element in deferred mode, server-side confirmation, 3-D Secure.
// Plain JS, no build step. Card data stays inside Stripe's iframe; we only see a token id.
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("pay-config").textContent);
  var form = document.getElementById("pay-form");
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("error-message");
  var payAmount = document.getElementById("pay-amount");
  var amountInput = document.getElementById("amount");
  var tipAmount = document.getElementById("tip-amount");
  var money = new Intl.NumberFormat(cfg.locale, { style: "currency", currency: cfg.currency.toUpperCase() });
  var scale = Math.pow(10, cfg.minorUnits);

  if (typeof window.Stripe !== "function") {  // Stripe.js blocked or offline
    errorBox.textContent = "The secure card form could not load. Check your connection and reload the page.";
    errorBox.hidden = false;
    return;
  }
  // Connect: the merchant's own account, so the ConfirmationToken is made on it.
  var stripe = cfg.stripeAccount
    ? window.Stripe(cfg.publishableKey, { stripeAccount: cfg.stripeAccount })
    : window.Stripe(cfg.publishableKey);
  var elements = stripe.elements({ mode: "payment", amount: cfg.amount, currency: cfg.currency });
  var paymentElement = elements.create("payment");
  var cardComplete = false;
  var busy = false;
  // Kept across a retry after a network failure, so the server's idempotency key matches.
  var pendingToken = null;
  var attemptKey = null;

  paymentElement.mount("#payment-element");
  paymentElement.on("change", function (event) { cardComplete = event.complete; refresh(); });

  function agreementBoxes() { return form.querySelectorAll("input[name=agreement]"); }
  function allAccepted() {
    return Array.prototype.every.call(agreementBoxes(), function (box) { return box.checked; });
  }
  function parseCents(text) {
    var clean = String(text || "").replace(/[^0-9.,]/g, "");
    var match = clean.match(/^(.*?)(?:[.,](\d{0,2}))?$/);
    var whole = match[1].replace(/[.,]/g, "");
    if (!whole && !match[2]) return null;
    return Math.round(Number((whole || "0") + "." + (match[2] || "0")) * scale);
  }
  function baseCents() {
    if (!cfg.allowPartial || !amountInput) return cfg.amount;
    return parseCents(amountInput.value);
  }
  function tipCents(base) {
    if (!cfg.allowTip) return 0;
    var chosen = form.querySelector("input[name=tip]:checked");
    if (!chosen || chosen.value === "0") return 0;
    if (chosen.value === "custom") return parseCents(tipAmount.value) || 0;
    return Math.round((base || 0) * Number(chosen.value) / 100);
  }
  function amountProblem(base) {
    if (base === null || base < cfg.minPartial || base > cfg.amount) {
      return "Enter an amount between " + money.format(cfg.minPartial / scale) + " and " +
        money.format(cfg.amount / scale) + ".";
    }
    return null;
  }
  function refresh() {
    var base = baseCents();
    var total = (base || 0) + tipCents(base);
    payAmount.textContent = money.format(total / scale);
    button.disabled = busy || !cardComplete || !allAccepted() || Boolean(amountProblem(base));
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }
  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }
  function newAttemptKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function amountChanged() {
    var base = baseCents();
    showError(amountProblem(base) || "");
    if (!amountProblem(base)) elements.update({ amount: base + tipCents(base) });
    refresh();
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "tip") {
      tipAmount.hidden = event.target.value !== "custom";
    }
    if (event.target.name === "agreement") { refresh(); } else { amountChanged(); }
  });
  form.addEventListener("input", function (event) {
    if (event.target === amountInput || event.target === tipAmount) amountChanged();
  });

  function post(body) {
    body.csrfToken = cfg.csrfToken;
    return fetch(cfg.confirmUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrfToken },
      body: JSON.stringify(body),
      credentials: "omit",
    }).then(function (response) {
      return response.json().then(function (json) { json.httpStatus = response.status; return json; });
    });
  }

  function showConfirmation(confirmation) {
    form.hidden = true;
    var box = document.getElementById("confirmation");
    document.getElementById("confirmation-number").textContent = confirmation.confirmationNumber;
    document.getElementById("confirmation-code").textContent = confirmation.bookingConfirmationCode;
    var paid = confirmation.amountCents + (confirmation.tipCents || 0);
    document.getElementById("confirmation-amount").textContent = money.format(paid / scale);
    var due = document.querySelector("[data-testid=amount-due]");
    due.textContent = money.format(Math.max(cfg.amount - confirmation.amountCents, 0) / scale);
    if (confirmation.refundedCents) {  // the booking was paid already: this was refunded
      var refund = document.getElementById("confirmation-refund");
      refund.textContent = confirmation.message;
      refund.hidden = false;
      due.textContent = money.format(0);
    }
    var state = document.getElementById("invoice-state");
    state.textContent = "paid";
    state.setAttribute("data-state", "paid");
    box.hidden = false;
    box.focus();
    document.dispatchEvent(new CustomEvent("paylink:paid", { detail: confirmation }));
  }

  async function submit() {
    var base = baseCents();
    var submitted = await elements.submit();
    if (submitted.error) return { success: false, message: submitted.error.message, keep: true };
    if (!pendingToken) {
      var created = await stripe.createConfirmationToken({ elements: elements });
      if (created.error) return { success: false, message: created.error.message, keep: true };
      pendingToken = created.confirmationToken.id;
      attemptKey = newAttemptKey();
    }
    var agreements = Array.prototype.filter.call(agreementBoxes(), function (box) { return box.checked; })
      .map(function (box) { return box.value; });
    var result = await post({
      stripeConfirmationToken: pendingToken, attemptKey: attemptKey, agreements: agreements,
      amountCents: base, tipCents: tipCents(base),
    });
    if (result.success && result.requiresAction && result.redirectUrl) {
      return leaveForBank(result.redirectUrl, result.clientSecret.split("_secret_")[0]);
    }
    if (result.success && result.requiresAction) {
      await stripe.handleNextAction({ clientSecret: result.clientSecret });
      // Success or failure, the server checks the PaymentIntent itself and records the outcome.
      result = await post({ handledNextAction: result.clientSecret.split("_secret_")[0] });
    }
    return result;
  }

  // A bank page that must leave the page: at top level go there; inside a merchant's
  // iframe open it in a new tab (banks refuse frames) and wait for the return URL's verdict.
  function leaveForBank(url, intentId) {
    if (window.top === window) {
      window.location.assign(url);
      return new Promise(function () {});
    }
    var link = document.getElementById("bank-link");
    link.querySelector("a").href = url;
    link.hidden = false;
    window.open(url, "_blank");
    return new Promise(function (resolve) {
      var deadline = Date.now() + 15 * 60 * 1000;
      (function poll() {
        fetch(cfg.statusUrl, { credentials: "omit" }).then(function (r) { return r.json(); })
          .then(function (status) {
            if (status.pending && Date.now() < deadline) return setTimeout(poll, 1500);
            link.hidden = true;
            var mine = status.confirmation && status.confirmation.paymentIntent === intentId;
            resolve(mine ? { success: true, confirmation: status.confirmation }
              : { success: false, message: status.message || "The payment was not completed." });
          }, function () { setTimeout(poll, 3000); });
      })();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy || button.disabled) return;
    busy = true;  // set before any await: a double click cannot submit twice
    showError("");
    refresh();
    submit().then(function (result) {
      if (result.success && result.confirmation) return showConfirmation(result.confirmation);
      showError(result.message || "Your payment could not be completed. Please try again.");
      // Only a retry of the very same request may reuse the token and attempt key.
      if (!result.keep && result.code !== "gateway_unavailable") { pendingToken = null; attemptKey = null; }
    }, function () {
      showError("We could not reach the server. Check your connection and try again; you will not be charged twice.");
    }).then(function () { busy = false; refresh(); });
  });
  refresh();
})();
