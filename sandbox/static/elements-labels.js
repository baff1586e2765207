/*
 * The Payment Element double's labels in the locale the page asked for
 * (stripe.elements({locale})), as Stripe.js does: en, de, fr, es, ja, ar (right-to-left).
 * Runs before elements-inner.js; touches only the labels, the method name and <html>.
 */
(function () {
  'use strict';
  var LABELS = {
    en: { card: 'Card', number: 'Card number', expiry: 'Expiration date', cvc: 'Security code', postalCode: 'Postal code' },
    de: { card: 'Karte', number: 'Kartennummer', expiry: 'Ablaufdatum', cvc: 'Sicherheitscode', postalCode: 'Postleitzahl' },
    fr: { card: 'Carte', number: 'Numéro de carte', expiry: "Date d'expiration", cvc: 'Code de sécurité', postalCode: 'Code postal' },
    es: { card: 'Tarjeta', number: 'Número de tarjeta', expiry: 'Fecha de caducidad', cvc: 'Código de seguridad', postalCode: 'Código postal' },
    ja: { card: 'カード', number: 'カード番号', expiry: '有効期限', cvc: 'セキュリティコード', postalCode: '郵便番号' },
    ar: { card: 'البطاقة', number: 'رقم البطاقة', expiry: 'تاريخ انتهاء الصلاحية', cvc: 'رمز الأمان', postalCode: 'الرمز البريدي' }
  };
  var RTL = { ar: true, he: true };
  var asked = new URLSearchParams(window.location.hash.slice(1)).get('locale') || 'auto';
  if (asked === 'auto') asked = navigator.language || 'en';
  var lang = asked.toLowerCase().split('-')[0];
  var table = LABELS[lang] || LABELS.en;
  document.documentElement.lang = LABELS[lang] ? asked : 'en';
  if (RTL[lang]) document.documentElement.dir = 'rtl';
  ['number', 'expiry', 'cvc', 'postalCode'].forEach(function (name) {
    var label = document.querySelector('label[for="' + name + '"]');
    if (label) label.textContent = table[name];
  });
  var method = document.querySelector('.method');
  if (method && method.lastChild && method.lastChild.nodeType === 3) method.lastChild.textContent = table.card;
})();
