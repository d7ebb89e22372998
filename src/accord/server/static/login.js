// Sign in from a link without putting the token in a URL the server sees: a link
// /dashboard/login#token=... keeps the token in the fragment (never sent, never logged);
// this fills the form, clears the fragment from the address bar and history, and submits.
(function () {
  var m = /^#token=([^&]+)/.exec(location.hash);
  if (!m) return;
  var form = document.getElementById("login");
  if (!form) return;
  form.elements.token.value = decodeURIComponent(m[1]);
  history.replaceState(null, "", location.pathname + location.search);
  form.submit();
})();
