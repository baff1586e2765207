/*
 * The Payment Element double's labels in the locale the page asked for
 * (stripe.elements({locale})), as Stripe.js does: en, de, fr, es, ja, ar (right-to-left).
 * Runs before elements-inner-payment.js; touches only labels, the method name and <html>,
 * and keeps the postal label (which follows the chosen country) in the same language.
 */
(function () {
  'use strict';
  var LABELS = {
    en: { card: 'Card', number: 'Card number', expiry: 'Expiration date', cvc: 'Security code', country: 'Country', postalCode: 'Postal code', zip: 'ZIP code' },
    de: { card: 'Karte', number: 'Kartennummer', expiry: 'Ablaufdatum', cvc: 'Sicherheitscode', country: 'Land', postalCode: 'Postleitzahl', zip: 'Postleitzahl' },
    fr: { card: 'Carte', number: 'Numéro de carte', expiry: "Date d'expiration", cvc: 'Code de sécurité', country: 'Pays', postalCode: 'Code postal', zip: 'Code postal' },
    es: { card: 'Tarjeta', number: 'Número de tarjeta', expiry: 'Fecha de caducidad', cvc: 'Código de seguridad', country: 'País', postalCode: 'Código postal', zip: 'Código postal' },
    ja: { card: 'カード', number: 'カード番号', expiry: '有効期限', cvc: 'セキュリティコード', country: '国', postalCode: '郵便番号', zip: '郵便番号' },
    ar: { card: 'البطاقة', number: 'رقم البطاقة', expiry: 'تاريخ انتهاء الصلاحية', cvc: 'رمز الأمان', country: 'البلد', postalCode: 'الرمز البريدي', zip: 'الرمز البريدي' }
  };
  var RTL = { ar: true, he: true };
  var asked = new URLSearchParams(window.location.hash.slice(1)).get('locale') || 'auto';
  if (asked === 'auto') asked = navigator.language || 'en';
  var lang = asked.toLowerCase().split('-')[0];
  if (!LABELS[lang] || lang === 'en') return;  // English as served
  var table = LABELS[lang];
  document.documentElement.lang = asked;
  if (RTL[lang]) document.documentElement.dir = 'rtl';
  function label(name) {
    return document.querySelector('label[for="Field-' + name + 'Input"]') ||
      document.querySelector('label[for="' + name + '"]');
  }
  ['number', 'expiry', 'cvc', 'country', 'postalCode'].forEach(function (name) {
    var node = label(name);
    if (node) node.textContent = table[name];
  });
  var method = document.querySelector('.method');
  if (method && method.lastChild && method.lastChild.nodeType === 3) method.lastChild.textContent = table.card;
  var postal = label('postalCode');
  if (postal && window.MutationObserver) {  // the country picker rewrites it in English
    var english = { 'ZIP code': table.zip, 'Postal code': table.postalCode };
    new MutationObserver(function () {
      var wanted = english[postal.textContent];
      if (wanted && wanted !== postal.textContent) postal.textContent = wanted;  // no loop
    }).observe(postal, { childList: true, characterData: true, subtree: true });
  }
})();
