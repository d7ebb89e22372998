/* accord report: optional conveniences; the page reads the same without them. */
(function () {
"use strict";
var each = function (sel, f) { Array.prototype.forEach.call(document.querySelectorAll(sel), f); };
/* A link into a closed section opens it and every section around it. */
function reveal() {
  var el = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  for (; el; el = el.parentElement) if (el.tagName === "DETAILS") el.open = true;
}
addEventListener("hashchange", reveal);
reveal();
/* Printing shows every section; those opened for it close again afterwards. */
var opened = [];
addEventListener("beforeprint", function () {
  each("details:not([open])", function (d) { d.open = true; opened.push(d); });
});
addEventListener("afterprint", function () {
  opened.forEach(function (d) { d.open = false; });
  opened = [];
});
/* Tables with class "sortable" sort by a column when its header is clicked. */
each("table.sortable", function (table) {
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, i) {
    th.setAttribute("aria-sort", "none");
    th.tabIndex = 0;
    var sort = function () {
      var asc = th.getAttribute("aria-sort") !== "ascending", body = table.tBodies[0];
      Array.prototype.forEach.call(heads, function (h) { h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      Array.prototype.slice.call(body.rows).sort(function (a, b) {
        var x = a.cells[i].textContent, y = b.cells[i].textContent;
        return x.localeCompare(y, undefined, { numeric: true }) * (asc ? 1 : -1);
      }).forEach(function (r) { body.appendChild(r); });
    };
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
});
})();
