// The receipt page's Print button (handlers/receipt.go): counter tablets
// have no keyboard shortcut for the browser's print dialog.
'use strict';
document.querySelectorAll('[data-print]').forEach(function (b) {
  b.addEventListener('click', function () { window.print(); });
});
