"""The review page's inline stylesheet and script (no CDN, no network: the page opens from disk).

The script sorts the account table and draws the per-account drill-down from the JSON data
island; it writes client text only through ``textContent``, never as HTML. The URL fragment
holds the state, so a link can open a view: ``#account=ACC-1``, ``#sort=te_after:desc``,
``#status=FLAGGED`` and ``#kind=TE_LIMIT`` (``ANY``: any exception, ``NONE``: none).
"""

CSS = """
:root{--navy:#1f3b5c;--teal:#2a7f8f;--grey:#5f6b7a;--rule:#d5dbe3;--band:#f2f5f8;--red:#b23b3b;
--amber:#c9822b;--green:#1e7b4a}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1c2530;
background:#fff}
header{background:var(--navy);color:#fff;padding:14px 28px;display:flex;align-items:baseline;gap:18px}
header h1{font-size:19px;margin:0;font-weight:600}
header .meta{opacity:.85;font-size:13px}
main{padding:18px 28px 60px;max-width:1500px}
h2{color:var(--navy);font-size:16px;margin:26px 0 10px;border-bottom:1px solid var(--rule);padding-bottom:4px}
h3{color:var(--navy);font-size:14px;margin:16px 0 6px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(215px,1fr));gap:10px}
.card{background:var(--band);border:1px solid var(--rule);border-radius:6px;padding:10px 12px}
.card .label{font-size:11.5px;color:var(--grey);text-transform:uppercase;letter-spacing:.03em}
.card .value{font-size:21px;font-weight:600;color:var(--navy);font-variant-numeric:tabular-nums}
.card.alert .value{color:var(--red)}
td.alert{color:var(--red);font-weight:600}
.badge{display:inline-block;min-width:22px;padding:0 7px;border-radius:10px;background:var(--red);color:#fff;
font-size:12px;text-align:center;margin-left:6px;vertical-align:middle}
.badge.ok{background:var(--green)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--rule);text-align:left;white-space:nowrap}
td.wrap{white-space:normal}td.wrap div{min-width:300px;max-width:640px}
th{background:var(--navy);color:#fff;font-weight:600;position:sticky;top:0}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
#account-table th{cursor:pointer;user-select:none}
#account-table th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
#account-table th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
#account-table tbody tr,#exception-table tbody tr{cursor:pointer}
#account-table tbody tr:hover,#exception-table tbody tr:hover{background:#e8f1f5}
.status{display:inline-block;padding:0 7px;border-radius:3px;font-size:11.5px;font-weight:600;color:#fff;
background:var(--grey)}
.status.FAILED{background:var(--red)}.status.HELD{background:#d0632b}.status.FLAGGED{background:var(--amber)}
.status.TRADED{background:var(--teal)}.status.NO_TRADE{background:#9aa5b1}
.kind{font-weight:600;color:var(--red)}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:18px;align-items:start}
.scroll{max-height:560px;overflow:auto;border:1px solid var(--rule)}
.toolbar{display:flex;flex-wrap:wrap;gap:8px 12px;align-items:center;margin-bottom:8px}
.toolbar input{padding:5px 8px;border:1px solid var(--rule);border-radius:4px;width:220px;max-width:100%;font:inherit}
.muted{color:var(--grey)}
.gain{color:var(--green)}.loss{color:var(--red)}
#drill{position:fixed;top:0;right:0;bottom:0;width:min(760px,92vw);background:#fff;
box-shadow:-6px 0 24px rgba(20,35,55,.25);overflow:auto;padding:0 22px 40px;z-index:5}
#drill[hidden]{display:none}
#drill .bar{position:sticky;top:0;background:#fff;padding:14px 0 8px;border-bottom:2px solid var(--navy);
display:flex;justify-content:space-between;align-items:center}
#drill .bar h2{border:0;margin:0}
#drill dl{display:grid;grid-template-columns:repeat(4,1fr);gap:6px 14px;margin:12px 0}
#drill dt{font-size:11px;color:var(--grey);text-transform:uppercase}
#drill dd{margin:0;font-weight:600;font-variant-numeric:tabular-nums}
#drill td:last-child{white-space:normal}
tr.lot td{background:#f6f8fa;color:var(--grey);font-size:12px}
button{font:inherit;border:1px solid var(--rule);background:var(--band);border-radius:4px;padding:3px 10px;
cursor:pointer}
footer{color:var(--grey);font-size:12px;margin-top:30px}
.card .sub{font-size:11.5px;color:var(--grey)}
.card.tax{border-left:3px solid var(--amber)}
.card.blotter .value .state{font-size:17px}
.state.APPROVED,.state.RELEASED{color:var(--green)}.state.REJECTED,.state.CANCELLED{color:var(--red)}
.note{font-size:12.5px;color:var(--grey);margin:8px 0 0;max-width:1100px}
.filters{display:flex;flex-wrap:wrap;gap:10px;align-items:center}
.filters label{font-size:12.5px;color:var(--grey)}
.filters select{font:inherit;padding:4px 6px;border:1px solid var(--rule);border-radius:4px;margin-left:4px}
@media (max-width:640px){
header{padding:10px 12px;flex-wrap:wrap;gap:4px 12px}
main{padding:10px 12px 40px}
.cards{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.card{padding:8px}.card .value{font-size:17px;overflow-wrap:anywhere}
.toolbar{flex-wrap:wrap}.toolbar input{width:100%}
td.wrap div{min-width:240px}
#drill{left:0;width:auto;padding:0 12px 30px}
#drill dl{grid-template-columns:repeat(2,minmax(0,1fr))}
}
"""

JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("drill-data").textContent);
  var table = document.getElementById("account-table");
  var tbody = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;

  function params() { return new URLSearchParams(location.hash.slice(1)); }
  function setParam(key, value) {
    var p = params();
    if (value === null) { p.delete(key); } else { p.set(key, value); }
    location.hash = p.toString();
  }
  function value(row, i, type) {
    var td = row.cells[i], v = td.getAttribute("data-value");
    if (v === null) { v = td.textContent; }
    if (type !== "num") { return v.toLowerCase(); }
    var x = parseFloat(v);
    return isNaN(x) ? -Infinity : x;
  }
  function sortBy(key, dir) {
    var idx = -1, type = "text";
    for (var i = 0; i < heads.length; i++) {
      if (heads[i].dataset.key === key) {
        idx = i; type = heads[i].dataset.type;
        heads[i].setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
      } else { heads[i].removeAttribute("aria-sort"); }
    }
    if (idx < 0) { return; }
    var sign = dir === "asc" ? 1 : -1;
    var rows = Array.prototype.slice.call(tbody.rows);
    rows.sort(function (a, b) {
      var x = value(a, idx, type), y = value(b, idx, type);
      return x < y ? -sign : (x > y ? sign : 0);
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    table.setAttribute("data-sorted", key + ":" + dir);
  }
  Array.prototype.forEach.call(heads, function (th) {
    th.addEventListener("click", function () {
      var current = (params().get("sort") || "").split(":");
      var dir = current[0] === th.dataset.key && current[1] === "desc" ? "asc" : "desc";
      if (current[0] !== th.dataset.key && th.dataset.type !== "num") { dir = "asc"; }
      setParam("sort", th.dataset.key + ":" + dir);
    });
  });
  document.addEventListener("click", function (e) {  // a row of the account or exception table
    var tr = e.target.closest("tr[data-account]");
    if (tr) { setParam("account", tr.dataset.account); }
  });
  // Filters: a status, an exception kind (ANY, NONE or one kind) and a search of account id and
  // client name only, so "trade" finds a client called Trade, not every TRADED row.
  var search = document.getElementById("account-filter");
  var statusMenu = document.getElementById("status-filter"), kindMenu = document.getElementById("kind-filter");
  var exceptionTable = document.getElementById("exception-table");
  function kindMatches(kinds, kind) {
    if (kind === "") { return true; }
    if (kind === "ANY") { return kinds !== ""; }
    if (kind === "NONE") { return kinds === ""; }
    return (" " + kinds + " ").indexOf(" " + kind + " ") >= 0;
  }
  function filter() {
    var p = params(), status = p.get("status") || "", kind = p.get("kind") || "";
    var q = search.value.toLowerCase(), shown = 0;
    statusMenu.value = status; kindMenu.value = kind;
    Array.prototype.forEach.call(tbody.rows, function (r) {
      var who = (r.cells[0].textContent + " " + r.cells[1].textContent).toLowerCase();
      r.hidden = !((status === "" || r.dataset.status === status) && kindMatches(r.dataset.kinds, kind)
                   && (q === "" || who.indexOf(q) >= 0));
      if (!r.hidden) { shown += 1; }
    });
    if (exceptionTable) {
      Array.prototype.forEach.call(exceptionTable.tBodies[0].rows, function (r) {
        r.hidden = kind !== "" && kind !== "ANY" && !kindMatches(r.dataset.kinds, kind);
      });
    }
    document.getElementById("filter-count").textContent = shown.toLocaleString("en-US") + " shown";
    table.setAttribute("data-filter", "status=" + status + "&kind=" + kind);
  }
  search.addEventListener("input", filter);
  statusMenu.addEventListener("change", function () { setParam("status", statusMenu.value || null); });
  kindMenu.addEventListener("change", function () { setParam("kind", kindMenu.value || null); });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }
  var money = new Intl.NumberFormat("en-US", {style: "currency", currency: "USD", maximumFractionDigits: 0});
  var cents = new Intl.NumberFormat("en-US", {style: "currency", currency: "USD"});
  function pct(x, d) { return x === null ? "\u2013" : (x * 100).toFixed(d === undefined ? 2 : d) + "%"; }
  function num(x) { return x === null ? "\u2013" : x.toLocaleString("en-US", {maximumFractionDigits: 4}); }
  // An amount that shows as zero shows without a sign: never "-$0".
  function usd(x) { return x === null ? "\u2013" : money.format(Math.round(x) === 0 ? 0 : x); }
  function usdc(x) { return x === null ? "\u2013" : cents.format(Math.round(x * 100) === 0 ? 0 : x); }

  function grid(headers, rows, numeric, rowClass) {
    var t = el("table"), thead = el("thead"), hr = el("tr"), body = el("tbody");
    headers.forEach(function (h, i) { hr.appendChild(el("th", numeric[i] ? "num" : "", h)); });
    thead.appendChild(hr); t.appendChild(thead);
    rows.forEach(function (cells, r) {
      var tr = el("tr", rowClass ? rowClass[r] : "");
      cells.forEach(function (c, i) { tr.appendChild(el("td", numeric[i] ? "num" : "", c)); });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }
  function sectorChart(sectors) {  // rows [sector, before, after, target, securities] over every holding
    var by = {};
    sectors.forEach(function (g) { by[g[0]] = [g[2], g[3]]; });
    var names = Object.keys(by).sort(function (a, b) { return by[b][1] - by[a][1]; });
    var NS = "http://www.w3.org/2000/svg", row = 22, left = 170, w = 680;
    var top = Math.max.apply(null, names.map(function (n) { return Math.max(by[n][0], by[n][1]); }).concat([0.01]));
    var svg = document.createElementNS(NS, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + (row * names.length + 26));
    svg.setAttribute("width", "100%"); svg.setAttribute("class", "chart sector-chart");
    function add(tag, attrs, text) {
      var e = document.createElementNS(NS, tag);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      if (text !== undefined) { e.textContent = text; }
      svg.appendChild(e); return e;
    }
    add("rect", {x: left, y: 4, width: 10, height: 10, fill: "#1f3b5c"});
    add("text", {x: left + 14, y: 13, "font-size": 11}, "after trades");
    add("rect", {x: left + 110, y: 4, width: 10, height: 10, fill: "#9aa5b1"});
    add("text", {x: left + 124, y: 13, "font-size": 11}, "target");
    names.forEach(function (n, i) {
      var y = 22 + i * row, scale = (w - left - 120) / top;
      add("text", {x: left - 8, y: y + 14, "text-anchor": "end", "font-size": 11}, n);
      add("rect", {x: left, y: y + 3, width: by[n][0] * scale, height: 8, fill: "#1f3b5c"});
      add("rect", {x: left, y: y + 11, width: by[n][1] * scale, height: 8, fill: "#9aa5b1"});
      add("text", {x: left + Math.max(by[n][0], by[n][1]) * scale + 5, y: y + 15, "font-size": 10,
                   fill: "#5f6b7a"}, pct(by[n][0], 1) + " / " + pct(by[n][1], 1));
    });
    return svg;
  }
  function showAccount(id) {
    var panel = document.getElementById("drill"), body = document.getElementById("drill-body");
    var a = id === null ? undefined : data.accounts[id];
    body.textContent = "";
    if (!a) { panel.hidden = true; return; }
    var d = a.d, u = data.unit;
    var holdings = a.h.s.map(function (s, i) {
      return [data.symbols[s], data.sectors[a.h.c[i]], a.h.b[i] / u, a.h.a[i] / u, a.h.t[i] / u];
    });
    var sectors = a.g.map(function (g) { return [data.sectors[g[0]], g[1] / u, g[2] / u, g[3] / u, g[4]]; });
    var securities = sectors.reduce(function (n, g) { return n + g[4]; }, 0);
    document.getElementById("drill-title").textContent = id + " \u00b7 " + d.client_name;
    var chip = el("span", "status " + d.status, d.status);
    var head = el("p"); head.appendChild(chip);
    head.appendChild(el("span", "muted",
      "  " + d.account_type + " \u00b7 household " + d.household_id + " \u00b7 " + d.reason));
    body.appendChild(head);
    var dl = el("dl");
    [["TE before", pct(d.te_before)], ["TE after", pct(d.te_after)], ["TE limit", pct(d.max_tracking_error)],
     ["Turnover", pct(d.turnover, 1)], ["Market value", usd(d.market_value)], ["Cash before", usd(d.cash_before)],
     ["Cash after", usd(d.cash_after)], ["Losses harvested", usd(d.losses_harvested)],
     ["Realized ST", usd(d.realized_st)], ["Realized LT", usd(d.realized_lt)], ["Est. tax saved", usd(d.est_tax_saved)],
     ["Est. tax cost", usd(d.tax_cost)], ["Gains ST", usd(d.gains_st)], ["Gains LT", usd(d.gains_lt)],
     ["Gain budget", usd(d.gain_budget)], ["Realized YTD", usd(d.realized_ytd)], ["Budget used", usd(d.budget_used)],
     ["Budget left", usd(d.budget_left)]
    ].forEach(function (p) { dl.appendChild(el("dt", "", p[0])); dl.appendChild(el("dd", "", p[1])); });
    body.appendChild(dl);

    body.appendChild(el("h3", "", "Holdings vs target (" + (holdings.length === securities ? securities :
      holdings.length + " listed of " + securities + ": traded tonight and the largest gaps") + ")"));
    if (sectors.length) { body.appendChild(sectorChart(sectors)); }
    if (holdings.length) {
      var hs = holdings.slice().sort(function (x, y) {
        return Math.abs((y[3] || 0) - (y[4] || 0)) - Math.abs((x[3] || 0) - (x[4] || 0)); });
      var box = el("div", "scroll");
      box.appendChild(grid(["Symbol", "Sector", "Before", "After", "Target", "After \u2212 target"],
        hs.map(function (h) { return [h[0], h[1], pct(h[2]), pct(h[3]), pct(h[4]), pct((h[3] || 0) - (h[4] || 0))]; }),
        [false, false, true, true, true, true]));
      box.id = "drill-holdings";
      body.appendChild(box);
    } else {
      body.appendChild(el("p", "muted", sectors.length ? "" : "Holdings are listed for the accounts that trade " +
        "tonight or have an exception; this account's are in the night's proposal."));
    }

    body.appendChild(el("h3", "", "Trades and lots (" + a.t.length + ")"));
    if (a.t.length) {
      var rows = [], classes = [];
      a.t.forEach(function (t) {
        rows.push([t[0], t[1], num(t[2]), usdc(t[3]), usd(t[4]), t[5]]); classes.push("trade");
        if (t[1] === "SELL") {
          a.l.filter(function (l) { return l[0] === t[0]; }).forEach(function (l) {
            rows.push(["  lot " + l[1], l[6], num(l[2]), "basis " + usd(l[3]), "proceeds " + usd(l[4]),
                       "gain " + usd(l[5])]);
            classes.push("lot");
          });
        }
      });
      var tt = grid(["Symbol", "Side", "Shares", "Price", "Notional", "Reason"], rows,
                    [false, false, true, true, true, false], classes);
      tt.id = "drill-trades";
      var tbox = el("div", "scroll"); tbox.appendChild(tt); body.appendChild(tbox);
    } else { body.appendChild(el("p", "muted", "No trades tonight.")); }

    body.appendChild(el("h3", "", "Wash-sale blocks in force (" + a.w.length + ")"));
    if (a.w.length) {
      var wt = grid(["Symbol", "Block", "Until", "Why"], a.w.map(function (w) { return [w[0], w[1], w[2], w[3]]; }),
                    [false, false, false, false]);
      wt.id = "drill-wash";
      var wbox = el("div", "scroll"); wbox.appendChild(wt); body.appendChild(wbox);
    } else { body.appendChild(el("p", "muted", "None.")); }
    panel.hidden = false;
    panel.setAttribute("data-account", id);
  }
  document.getElementById("drill-close").addEventListener("click", function () { setParam("account", null); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { setParam("account", null); } });

  function apply() {
    var p = params(), s = (p.get("sort") || "").split(":");
    if (s[0]) { sortBy(s[0], s[1] === "asc" ? "asc" : "desc"); }
    filter();
    showAccount(p.get("account"));
  }
  window.addEventListener("hashchange", apply);
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""
