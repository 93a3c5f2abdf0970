"""The HTML report's own style sheet and script, and the Content-Security-Policy that allows
only these two (by hash): markup that slipped through escaping could not run or load anything."""

from __future__ import annotations

import base64
import hashlib

CSS = """
:root{color-scheme:light dark;--fg:#1d2330;--bg:#fff;--mut:#5d6677;--line:#d8dde6;--card:#f5f7fa}
@media (prefers-color-scheme:dark){:root{--fg:#e4e8ef;--bg:#14171c;--mut:#9aa3b2;
--line:#2c323c;--card:#1c2027}}
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;padding:1.5rem;max-width:78rem;
color:var(--fg);background:var(--bg)}
h1{font-size:1.5rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
.mut{color:var(--mut)}code,.mono{font-family:ui-monospace,monospace;font-size:.92em;
overflow-wrap:anywhere}
.cards{display:flex;flex-wrap:wrap;gap:.6rem;margin:1rem 0}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:.5rem .8rem;
min-width:7rem}.card b{display:block;font-size:1.35rem}
table{border-collapse:collapse;min-width:24rem}#findings table{width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}meter{width:10rem}
.sev{font-weight:600;text-transform:uppercase;font-size:.8em}
.sev-critical{color:#c0162b}.sev-high{color:#d9480f}.sev-medium{color:#b08800}
.sev-low{color:#1c7ed6}.sev-info{color:var(--mut)}
[data-filter]{cursor:pointer}[data-filter]:hover{text-decoration:underline}
.tools{display:flex;gap:.5rem;align-items:center;margin:.5rem 0}
input,select{font:inherit;padding:.2rem .4rem}.nowrap{white-space:nowrap}
"""

JS = """
(function () {
  var q = document.getElementById("q"), sev = document.getElementById("sev");
  var shown = document.getElementById("shown");
  if (!q || !sev || !shown) { return; }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.finding"));
  function apply() {
    var text = q.value.toLowerCase(), level = sev.value, count = 0;
    rows.forEach(function (row) {
      var ok = (!level || row.getAttribute("data-sev") === level) &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = String(count);
  }
  q.addEventListener("input", apply);
  sev.addEventListener("change", apply);
  document.querySelectorAll("[data-filter]").forEach(function (el) {
    el.addEventListener("click", function () {
      q.value = el.getAttribute("data-filter") || "";
      apply();
      q.scrollIntoView();
    });
  });
  apply();
})();
"""


def csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


CSP = (
    f"default-src 'none'; style-src '{csp_hash(CSS)}'; script-src '{csp_hash(JS)}'; "
    "img-src 'none'; form-action 'none'; base-uri 'none'"
)
