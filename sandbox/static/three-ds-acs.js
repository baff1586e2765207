/* 3DS1 middle frame (#challengeFrame): the bank's page in iframe[name="acsFrame"]; passes its
   "done" message up to the lightbox (same origin). */
(function () {
  'use strict';

  var query = new URLSearchParams(window.location.search);
  query.set('version', '1');
  var frame = document.createElement('iframe');
  frame.name = 'acsFrame';
  frame.title = '3D Secure bank page';
  frame.setAttribute('frameborder', '0');
  frame.src = 'three-ds.html?' + query.toString();
  frame.addEventListener('load', function () { frame.focus(); });
  document.getElementById('acs-slot').appendChild(frame);

  window.addEventListener('message', function (ev) {
    var d = ev.data;
    if (ev.origin !== window.location.origin || ev.source !== frame.contentWindow) return;
    if (!d || d.source !== 'stripe-sandbox' || d.type !== '3ds-done') return;
    window.parent.postMessage(d, window.location.origin);
  });
})();
