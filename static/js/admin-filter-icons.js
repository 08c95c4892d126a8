// Django's filter_horizontal widget (admin/js/SelectFilter2.js, loaded just before this; see
// wizard_site/admin.py) names each filter box's magnifier icon with an aria-label on a <span>
// with no role, where ARIA allows no name (axe: aria-prohibited-attr), so screen readers may drop
// it. The icon is an image with a text alternative: once Django has built a widget, say so.
(function () {
  "use strict";
  var init = window.SelectFilter.init;
  window.SelectFilter.init = function () {
    init.apply(this, arguments);
    Array.prototype.forEach.call(
      document.querySelectorAll(".selector .search-label-icon[aria-label]:not([role])"),
      function (icon) { icon.setAttribute("role", "img"); }
    );
  };
})();
