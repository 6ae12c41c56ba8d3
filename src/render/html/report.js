// oracle report: zoom, pan, tooltips and finding links over the timeline SVG.
// Reads only the JSON block #oracle-data (numbers and escaped lane names);
// loads nothing, writes nothing but this page's DOM.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("oracle-data").textContent);
  var svg = document.getElementById("tl");
  var X0 = data.plot_x, PW = data.plot_w, UMAX = data.umax;
  var v0 = 0, v1 = UMAX;
  var els = svg ? svg.querySelectorAll("[data-u]") : [];
  var tip = document.getElementById("tip");
  var ticks = document.getElementById("ticks");
  var NS = "http://www.w3.org/2000/svg";

  function X(u) { return X0 + (u - v0) * PW / (v1 - v0); }
  function num(el, k) { var v = el.getAttribute(k); return v === null ? null : parseFloat(v); }

  function layout() {
    for (var i = 0; i < els.length; i++) {
      var el = els[i], u = num(el, "data-u"), u2 = num(el, "data-u2");
      var tag = el.tagName.toLowerCase();
      var dx = num(el, "data-dx") || 0;
      if (tag === "rect") {
        var x = X(u), w = u2 === null ? 0 : X(u2) - x;
        var mw = num(el, "data-minw") || 0;
        if (w < mw) { x -= (mw - w) / 2; w = mw; }
        el.setAttribute("x", x.toFixed(2));
        el.setAttribute("width", Math.max(w, 0).toFixed(2));
      } else if (tag === "line") {
        el.setAttribute("x1", (X(u) + dx).toFixed(2));
        el.setAttribute("x2", X(u2 === null ? u : u2).toFixed(2));
      } else if (tag === "circle") {
        el.setAttribute("cx", (X(u) + dx).toFixed(2));
      } else if (tag === "text") {
        el.setAttribute("x", (X(u) + dx).toFixed(2));
      }
    }
    // Segment labels on two rows; one that fits on neither is hidden.
    var segs = svg ? svg.querySelectorAll("text.segt") : [];
    var right = [-1e9, -1e9];
    for (var j = 0; j < segs.length; j++) {
      var sx = parseFloat(segs[j].getAttribute("x"));
      var inside = sx >= X0 - 1 && sx <= X0 + PW;
      var row = !inside ? -1 : (sx >= right[0] + 8 ? 0 : (sx >= right[1] + 8 ? 1 : -1));
      segs[j].style.visibility = row < 0 ? "hidden" : "visible";
      if (row >= 0) {
        segs[j].setAttribute("y", row === 0 ? 13 : 27);
        right[row] = sx + segs[j].getComputedTextLength();
      }
    }
    drawTicks();
    if (svg) { svg.setAttribute("data-view", v0.toFixed(1) + "," + v1.toFixed(1)); }
    var z = document.getElementById("zoom-level");
    if (z) { z.textContent = "zoom " + (UMAX / (v1 - v0)).toFixed(1) + "\u00d7"; }
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function fmt(ms, step) {
    var d = new Date(ms);
    var s = two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
    if (step < 60000) { s += ":" + two(d.getUTCSeconds()); }
    if (step < 1000) { s += "." + ("00" + d.getUTCMilliseconds()).slice(-3); }
    return s;
  }
  var STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5,
    6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5];

  function drawTicks() {
    if (!ticks) { return; }
    while (ticks.firstChild) { ticks.removeChild(ticks.firstChild); }
    var scale = PW / (v1 - v0);
    data.segs.forEach(function (s) {
      var t0 = s[0], t1 = s[1], u0 = s[2], u1 = s[3];
      if (u1 < v0 || u0 > v1 || t1 <= t0) { return; }
      var pxPerMs = (u1 - u0) / (t1 - t0) * scale;
      var step = STEPS[STEPS.length - 1];
      for (var i = 0; i < STEPS.length; i++) { if (STEPS[i] * pxPerMs >= 80) { step = STEPS[i]; break; } }
      var first = Math.ceil(t0 / step) * step;
      for (var t = first; t <= t1; t += step) {
        var u = u0 + (t - t0) / (t1 - t0) * (u1 - u0);
        if (u < v0 || u > v1) { continue; }
        var x = X(u);
        if (x - X(u0) < 40 && u0 >= v0) { continue; }
        var ln = document.createElementNS(NS, "line");
        ln.setAttribute("class", "tick");
        ln.setAttribute("x1", x); ln.setAttribute("x2", x);
        ln.setAttribute("y1", data.axis_h - 16); ln.setAttribute("y2", data.height);
        ticks.appendChild(ln);
        var tx = document.createElementNS(NS, "text");
        tx.setAttribute("class", "tickt");
        tx.setAttribute("x", x + 2); tx.setAttribute("y", data.axis_h - 18);
        tx.textContent = fmt(t, step);
        ticks.appendChild(tx);
      }
    });
  }

  function zoomTo(a, b) {
    var w = Math.max(b - a, UMAX / 5000);
    if (w >= UMAX) { a = 0; b = UMAX; } else {
      a = Math.max(0, Math.min(a, UMAX - w)); b = a + w;
    }
    v0 = a; v1 = b; layout();
  }
  function zoomAt(u, f) { zoomTo(u - (u - v0) / f, u + (v1 - u) / f); }
  function uAt(clientX) {
    var r = svg.getBoundingClientRect();
    var x = (clientX - r.left) * (svg.viewBox.baseVal.width / r.width);
    return v0 + (x - X0) * (v1 - v0) / PW;
  }

  if (svg) {
    svg.addEventListener("wheel", function (e) {
      var u = uAt(e.clientX);
      if (u < v0 || u > v1) { return; }
      e.preventDefault();
      zoomAt(u, e.deltaY < 0 ? 1.25 : 0.8);
    }, { passive: false });
    var drag = null;
    svg.addEventListener("mousedown", function (e) {
      var u = uAt(e.clientX);
      if (u >= v0 && u <= v1) { drag = { x: e.clientX, a: v0, b: v1 }; }
    });
    window.addEventListener("mousemove", function (e) {
      if (!drag) { return; }
      var r = svg.getBoundingClientRect();
      var du = (e.clientX - drag.x) * (svg.viewBox.baseVal.width / r.width) * (drag.b - drag.a) / PW;
      zoomTo(drag.a - du, drag.b - du);
    });
    window.addEventListener("mouseup", function () { drag = null; });
  }
  function btn(id, f) { var b = document.getElementById(id); if (b) { b.addEventListener("click", f); } }
  btn("zin", function () { zoomAt((v0 + v1) / 2, 2); });
  btn("zout", function () { zoomAt((v0 + v1) / 2, 0.5); });
  btn("zreset", function () { zoomTo(0, UMAX); });

  // Tooltips: each mark's <title> becomes data-tip (one tooltip, shown at once).
  var titled = svg ? svg.querySelectorAll("title") : [];
  for (var i = titled.length - 1; i >= 0; i--) {
    var t = titled[i], p = t.parentNode;
    p.setAttribute("data-tip", t.textContent);
    p.removeChild(t);
  }
  if (svg && tip) {
    svg.addEventListener("mousemove", function (e) {
      var el = e.target.closest ? e.target.closest("[data-tip]") : null;
      if (!el || drag) { tip.style.display = "none"; return; }
      var lane = el.closest("[data-lane]");
      var head = lane ? data.lanes[+lane.getAttribute("data-lane")] + "\n" : "";
      tip.textContent = head + el.getAttribute("data-tip");
      tip.style.display = "block";
      var x = e.clientX + 14, y = e.clientY + 12;
      if (x + 520 > window.innerWidth) { x = Math.max(4, e.clientX - 530); }
      tip.style.left = x + "px"; tip.style.top = y + "px";
    });
    svg.addEventListener("mouseleave", function () { tip.style.display = "none"; });
  }

  // Links from findings, the tree and the cost tables to a place on the timeline.
  var cursor = document.getElementById("cursor");
  function focusOn(lane, u) {
    var rows = svg.querySelectorAll(".row.hl");
    for (var i = 0; i < rows.length; i++) { rows[i].classList.remove("hl"); }
    var row = svg.querySelector('.row[data-row="' + lane + '"]');
    if (row) { row.classList.add("hl"); }
    if (u !== null && !isNaN(u)) {
      var w = Math.max(UMAX / 30, 1);
      zoomTo(u - w / 2, u + w / 2);
      if (cursor) {
        cursor.setAttribute("data-u", u);
        cursor.classList.add("on");
        cursor.setAttribute("x1", X(u)); cursor.setAttribute("x2", X(u));
      }
    } else {
      zoomTo(0, UMAX);
      if (cursor) { cursor.classList.remove("on"); }
    }
  }
  if (cursor) { els = svg.querySelectorAll("[data-u]"); }
  var links = document.querySelectorAll("a.goto");
  for (var k = 0; k < links.length; k++) {
    links[k].addEventListener("click", function (e) {
      var a = e.currentTarget;
      var lane = a.getAttribute("data-lane"), u = a.getAttribute("data-u");
      focusOn(lane === null ? -1 : +lane, u === null ? null : parseFloat(u));
      if (lane !== null && u !== null) {
        try { history.replaceState(null, "", "#focus=" + lane + "," + u); } catch (err) { /* a view that cannot be shared */ }
      }
      document.getElementById("timeline").scrollIntoView({ block: "start" });
      e.preventDefault();
    });
  }

  // Proof for tests and readers: the script ran, and the page fetched nothing.
  var loaded = function () {
    var res = (window.performance && performance.getEntriesByType) ?
      performance.getEntriesByType("resource").length : -1;
    document.body.setAttribute("data-resources", String(res));
  };
  var violations = 0;
  document.addEventListener("securitypolicyviolation", function () {
    violations += 1;
    document.body.setAttribute("data-csp-violations", String(violations));
  });
  document.body.setAttribute("data-csp-violations", "0");
  loaded();
  window.addEventListener("load", loaded);
  // A view to open on: #view=U0,U1 (plot units), or #focus=ROW,U (a lane and an instant).
  var m = /^#view=([\d.]+),([\d.]+)$/.exec(location.hash);
  var f = /^#focus=(\d+),([\d.]+)$/.exec(location.hash);
  if (m) { zoomTo(parseFloat(m[1]), parseFloat(m[2])); } else if (f) { focusOn(+f[1], parseFloat(f[2])); } else { layout(); }
  var st = document.getElementById("oracle-status");
  if (st) {
    st.textContent = "interactive: " + data.lanes.length +
      " lane(s); wheel or buttons to zoom, drag to pan, hover a mark for details, click a flag or a link to go to a finding";
  }
  document.body.setAttribute("data-oracle-ready", "1");
})();
