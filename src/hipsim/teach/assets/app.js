/* hipsim teaching site. Plain JavaScript, no libraries, no network: the numbers are hipsim's,
   precomputed on grids (data.js, window.HIPSIM) and interpolated here. Nothing is solved in the page. */
(function () {
  "use strict";
  var D = window.HIPSIM;
  var S = D.stance;
  var NS = "http://www.w3.org/2000/svg";
  var G = D.gravity;
  var GROUPS = D.groups;            // fibre groups in display order
  var SHORT = D.short_labels;       // group -> short label
  var COLOURS = D.group_colours;    // group -> label colour
  var AX = {};
  S.axes.forEach(function (a, i) { AX[a.name] = a; a.index = i; });
  var FIELD = {};
  S.fields.forEach(function (f, i) { FIELD[f] = i; });
  var INNER = ["gmed_strength", "gmin_strength", "pelvic_drop_deg", "trunk_lean_deg"].map(function (n) { return AX[n].values.length; });
  var CASE = {};
  S.cases.forEach(function (c, i) { CASE[c[0] + "|" + (c[2] === 0 ? "-" : c[1]) + "|" + c[2]] = i; });
  var GEO = parseNames(S.geometry_names);

  // ------------------------------------------------------------------ interpolation
  function axisWeights(values, x, interp) {
    if (interp === "cuberoot") {   // linear in x^(-1/3) (maximum force per body weight scales so)
      var u = values.map(function (v) { return Math.pow(v, -1 / 3); }), ux = Math.pow(x, -1 / 3);
      for (var j = 0; j < values.length - 1; j++) {
        if (x <= values[j + 1] || j === values.length - 2) {
          var tt = Math.max(0, Math.min(1, (ux - u[j]) / (u[j + 1] - u[j])));
          return [[j, 1 - tt], [j + 1, tt]];
        }
      }
    }
    var n = values.length, h = values[1] - values[0];
    var u = (x - values[0]) / h;
    if (u < 0) u = 0;
    if (u > n - 1) u = n - 1;
    var i = Math.min(Math.floor(u), n - 2), t = u - i;
    if (interp !== "cubic" || n < 3) return [[i, 1 - t], [i + 1, t]];
    // Keys (1981) cubic convolution (a = -0.5): exact for quadratics; ghost nodes by Keys' end rule.
    var t2 = t * t, t3 = t2 * t;
    var w = [(-t3 + 2 * t2 - t) / 2, (3 * t3 - 5 * t2 + 2) / 2, (-3 * t3 + 4 * t2 + t) / 2, (t3 - t2) / 2];
    var out = {};
    function add(k, v) { out[k] = (out[k] || 0) + v; }
    for (var j = 0; j < 4; j++) {
      var k = i - 1 + j;
      if (k < 0) { add(0, 3 * w[j]); add(1, -3 * w[j]); add(2, w[j]); }
      else if (k > n - 1) { add(n - 1, 3 * w[j]); add(n - 2, -3 * w[j]); add(n - 3, w[j]); }
      else add(k, w[j]);
    }
    return Object.keys(out).map(function (k) { return [+k, out[k]]; });
  }
  function linear(values, x) { return axisWeights(values, x, "linear"); }

  function caseWeights(k, lin) {   // lin: linear on every axis (the drawing)
    var out = [];
    axisWeights(AX.mass_kg.values, k.mass_kg, AX.mass_kg.interp).forEach(function (m) {
      axisWeights(AX.load_ratio.values, k.load_kg / k.mass_kg, lin ? "linear" : AX.load_ratio.interp).forEach(function (l) {
        var w = m[1] * l[1];
        if (w === 0) return;
        var key = m[0] + "|" + (l[0] === 0 ? "-" : k.place) + "|" + l[0];
        out.push([CASE[key], w, m[0], l[0]]);
      });
    });
    return out;
  }
  function innerWeights(k, lin) {   // lin: the grid cell only (linear weights), for the "rough" check
    function w(n) { return axisWeights(AX[n].values, k[n], lin ? "linear" : AX[n].interp); }
    var a = w("gmed_strength"), b = w("gmin_strength"), c = w("pelvic_drop_deg"), d = w("trunk_lean_deg");
    var out = [];
    for (var i = 0; i < a.length; i++) for (var j = 0; j < b.length; j++) for (var p = 0; p < c.length; p++)
      for (var q = 0; q < d.length; q++) {
        var w = a[i][1] * b[j][1] * c[p][1] * d[q][1];
        if (w === 0) continue;
        out.push([((a[i][0] * INNER[1] + b[j][0]) * INNER[2] + c[p][0]) * INNER[3] + d[q][0], w]);
      }
    return out;
  }
  var SF = S.fields.indexOf("shortfall_m"), MASK = S.fields.indexOf("mask"), STEPS = S.steps;
  // Stance-side forces are stored per unit of their group's strength (the page multiplies back).
  var STRENGTH_OF = S.fields.map(function (f) {
    if (f.indexOf("f:gluteus_medius") === 0) return "gmed_strength";
    if (f.indexOf("f:gluteus_minimus") === 0) return "gmin_strength";
    return null;
  });
  /* Interpolated per-body-weight values of the fields listed (indices), for knobs k (Keys' cubic on
     the strength, drop and lean axes). out.edge: the largest shortfall (per body weight) among the
     corners of the grid cell around k; out.kinked: whether some fibre group is at full activation,
     or off, at some of those corners and not at others (static optimisation's solution bends inside
     the cell, so any blend across it is rough). The cell, not the cubic's wider stencil, decides:
     measured on the default model, the cubic with all its points is closer to hipsim than a linear
     blend of the cell even where a point outside the cell lies across a bend. */
  function values(k, fields) {
    var nf = S.fields.length, out = new Float64Array(fields.length);
    var cw = caseWeights(k), iw = innerWeights(k), cell = innerWeights(k, true), edge = 0, inside = Infinity, mask = null,
        kinked = false;
    for (var c = 0; c < cw.length; c++) {
      var block = S.data[cw[c][0]], wc = cw[c][1];
      for (var r = 0; r < iw.length; r++) {
        var base = iw[r][0] * nf, w = wc * iw[r][1];
        for (var f = 0; f < fields.length; f++) out[f] += w * block[base + fields[f]];
      }
      for (var q = 0; q < cell.length; q++) {
        var b2 = cell[q][0] * nf, mk = block[b2 + MASK];
        if (block[b2 + SF] > edge) edge = block[b2 + SF];
        if (block[b2 + SF] < inside) inside = block[b2 + SF];
        if (mask === null) mask = mk; else if (mk !== mask) kinked = true;
      }
    }
    for (var f2 = 0; f2 < fields.length; f2++) {
      out[f2] *= STEPS[fields[f2]];
      var sn = STRENGTH_OF[fields[f2]];
      if (sn) out[f2] *= k[sn];
    }
    out.edge = edge * STEPS[SF];
    out.inside = inside * STEPS[SF];   // the smallest shortfall among the cell's corners
    out.kinked = kinked;
    return out;
  }
  /* The lifted side's forces per body weight: they do not depend on the stance side's strength. */
  function leftValues(k) {
    var nl = S.left_fields.length, out = new Float64Array(nl), nLean = INNER[3];
    var cw = caseWeights(k);
    var c = axisWeights(AX.pelvic_drop_deg.values, k.pelvic_drop_deg, AX.pelvic_drop_deg.interp);
    var d = axisWeights(AX.trunk_lean_deg.values, k.trunk_lean_deg, AX.trunk_lean_deg.interp);
    cw.forEach(function (cc) {
      var block = S.left[cc[0]];
      c.forEach(function (p) { d.forEach(function (q) {
        var w = cc[1] * p[1] * q[1], base = (p[0] * nLean + q[0]) * nl;
        for (var j = 0; j < nl; j++) out[j] += w * block[base + j];
      }); });
    });
    for (var j = 0; j < nl; j++) out[j] *= S.left_step;
    return out;
  }
  var ALL_FIELDS = S.fields.map(function (_, i) { return i; }).filter(function (i) { return i !== MASK; });

  function bodyWeight(k) { return k.mass_kg * G; }
  function maxForces(k) {
    // Maximum isometric force per body weight at the grid masses (linear in mass), times strength.
    var out = {};
    var lw = axisWeights(AX.mass_kg.values, k.mass_kg, AX.mass_kg.interp);
    Object.keys(S.max_force_per_bw[fmt(AX.mass_kg.values[0])]).forEach(function (key) {
      var v = 0;
      lw.forEach(function (m) { v += m[1] * S.max_force_per_bw[fmt(AX.mass_kg.values[m[0]])][key]; });
      var g = key.slice(0, -2), side = key.slice(-1);
      if (side === "r" && g.indexOf("gluteus_medius") === 0) v *= k.gmed_strength;
      if (side === "r" && g.indexOf("gluteus_minimus") === 0) v *= k.gmin_strength;
      out[key] = v * bodyWeight(k);
    });
    return out;
  }
  function fmt(v) { return String(+v); }
  function esc(t) { return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&#39;"); }

  /* Everything the read-outs show, in SI units. */
  function readout(k) {
    var v = values(k, ALL_FIELDS), bw = bodyWeight(k), lv = leftValues(k);
    var forces = {};
    ALL_FIELDS.forEach(function (i, j) { var f = S.fields[i]; if (f.indexOf("f:") === 0) forces[f.slice(2)] = Math.max(0, v[j] * bw); });
    S.left_fields.forEach(function (f, j) { forces[f.slice(2)] = Math.max(0, lv[j] * bw); });
    var sf = Math.max(0, v[FIELD.shortfall_m] * bw);
    var beyond = sf > D.shortfall_threshold_nm;
    return { hcf_bw: v[FIELD.hcf_bw], hcf_n: v[FIELD.hcf_bw] * bw, forces: forces, max: maxForces(k),
             shortfall_nm: sf, beyond: beyond, bw: bw,
             // Some grid points used lie beyond the muscles (the solution jumps there) or some have a
             // fibre group at full activation or off and others not (it bends there): the blend is rough.
             near_limit: v.edge * bw > D.shortfall_threshold_nm || v.kinked, edge: v.edge * bw > D.shortfall_threshold_nm,
             kinked: v.kinked,
             // The cell has corners on both sides of the muscles' limit: the verdict itself is uncertain.
             straddles: v.edge * bw > D.shortfall_threshold_nm && v.inside * bw <= D.shortfall_threshold_nm };
  }
  /* The trunk lean (deg, over the stance hip) at which the abductors' shortfall closes. The shortfall
     is clipped at zero where the muscles suffice, so a blend of it across the grid overstates it near
     the lean that closes it; the lean itself changes smoothly with the other controls. So: at each
     corner of the grid cell around k (body mass, bag, strengths, drop), the lean where that corner's
     shortfall falls to the threshold (from the current lean up; see below); then those leans blended
     with the cell's weights. Where that fails (a corner's shortfall does not fall, or the blend lies
     beyond the grid's leans), the lean is searched on the blended shortfall instead. */
  function compensation(k) {
    var bw = bodyWeight(k), thr = D.shortfall_threshold_nm, nf = S.fields.length;
    var leans = AX.trunk_lean_deg.values, nl = leans.length, top = leans[nl - 1];
    function lw(n) { return axisWeights(AX[n].values, k[n], "linear"); }
    var a = lw("gmed_strength"), b = lw("gmin_strength"), c = lw("pelvic_drop_deg");
    var sum = 0, wsum = 0, missing = false;
    caseWeights(k).forEach(function (cc) {
      var block = S.data[cc[0]];
      a.forEach(function (pa) { b.forEach(function (pb) { c.forEach(function (pc) {
        var w = cc[1] * pa[1] * pb[1] * pc[1];
        if (w === 0) return;
        var base = ((pa[0] * INNER[1] + pb[0]) * INNER[2] + pc[0]) * INNER[3];
        function sf(j) { return block[(base + j) * nf + SF] * STEPS[SF] * bw; }
        var x = k.trunk_lean_deg, found = null, j = 0;
        while (j < nl - 2 && leans[j + 1] < x) j++;
        var t0 = Math.max(0, Math.min(1, (x - leans[j]) / (leans[j + 1] - leans[j])));
        if (sf(j) + t0 * (sf(j + 1) - sf(j)) <= thr) found = x;
        // The first grid lean above x where the shortfall is within the threshold, if any.
        var up = -1;
        for (var i = 0; i < nl && found === null; i++) if (leans[i] > x && sf(i) <= thr) { up = i; break; }
        // Above the threshold the shortfall is the muscles' deficit, close to linear in the lean (the
        // weight's moment changes with it), while below it reserves carry almost nothing: so the
        // crossing follows the line through the two grid leans before it where the deficit is
        // positive; between a single such lean and the next, linear. Against hipsim's own bisection at
        // eight grid corners with weak abductors and bags: 0.5-1.7 degrees early (linear between the
        // grid's leans: up to 5.2 degrees late).
        function line(i1) {   // the deficit line through leans i1 - 1 and i1, at the threshold
          return leans[i1] + (sf(i1) - thr) / (sf(i1 - 1) - sf(i1)) * (leans[i1] - leans[i1 - 1]);
        }
        if (found === null && up > 0) {
          if (up >= 2 && sf(up - 2) > sf(up - 1)) found = Math.max(x, Math.min(leans[up], Math.max(leans[up - 1], line(up - 1))));
          else found = Math.max(x, leans[up - 1] + (sf(up - 1) - thr) / (sf(up - 1) - sf(up)) * (leans[up] - leans[up - 1]));
        } else if (found === null && up < 0 && sf(nl - 2) > sf(nl - 1)) {
          found = line(nl - 1);   // not within the grid's leans: along the last step (used only in the blend)
        }
        if (found === null) missing = true; else { sum += w * found; wsum += w; }
      }); }); });
    });
    if (!missing && wsum > 0 && sum / wsum <= top) return { lean: sum / wsum };
    var sfi = [FIELD.shortfall_m], kk = Object.assign({}, k);
    function short(lean) { kk.trunk_lean_deg = lean; return values(kk, sfi)[0] * bw > thr; }
    // Scan up in 5-degree steps to the first lean that closes the gap, then bisect to 0.1 degree.
    var lo = k.trunk_lean_deg, hi = null;
    for (var lean = Math.min(lo + 5, top); ; lean = Math.min(lean + 5, top)) {
      if (!short(lean)) { hi = lean; break; }
      lo = lean;
      if (lean >= top) break;
    }
    if (hi === null) { kk.trunk_lean_deg = top; return { lean: null, left_nm: values(kk, sfi)[0] * bw, top: top }; }
    while (hi - lo > 0.1) { var mid = 0.5 * (lo + hi); if (short(mid)) lo = mid; else hi = mid; }
    return { lean: hi };
  }

  /* The largest pelvic drop (deg) the model stands in with this bag and trunk lean: hipsim's own
     limit at the grid's bag ratios and leans (solved at build time), interpolated linearly. */
  function dropLimit(k) {
    var L = S.drop_limit, out = 0;
    var lw = linear(AX.load_ratio.values, Math.min(k.load_kg / k.mass_kg, AX.load_ratio.values[AX.load_ratio.values.length - 1]));
    var dw = linear(AX.trunk_lean_deg.values, k.trunk_lean_deg);
    lw.forEach(function (l) {
      var row = L.table[(l[0] === 0 ? S.places[0].key : k.place) + "|" + l[0]];
      dw.forEach(function (d) { out += l[1] * d[1] * row[d[0]]; });
    });
    return out;
  }

  // ------------------------------------------------------------------ geometry
  function parseNames(names) {
    var out = {}, off = 0;
    names.forEach(function (n) {
      var p = n.lastIndexOf(":"), name = n.slice(0, p), cnt = +n.slice(p + 1);
      out[name] = [off, cnt];
      off += 2 * cnt;
    });
    return out;
  }
  function geometry(k) {
    // Drawn at the first body mass: the pose depends on the bag ratio, not on the mass.
    var cw = caseWeights(Object.assign({}, k, { mass_kg: AX.mass_kg.values[0] }), true);
    var c = linear(AX.pelvic_drop_deg.values, k.pelvic_drop_deg), d = linear(AX.trunk_lean_deg.values, k.trunk_lean_deg);
    var nl = AX.trunk_lean_deg.values.length, len = S.geometry[0][0].length;
    var out = new Float64Array(len), wsum = new Float64Array(len);
    cw.forEach(function (cc) {
      var g = S.geometry[cc[0]];
      c.forEach(function (p) { d.forEach(function (q) {
        var w = cc[1] * p[1] * q[1];
        if (w === 0) return;
        var row = g[p[0] * nl + q[0]];
        for (var i = 0; i < len; i++) if (row[i] !== null) { out[i] += w * row[i]; wsum[i] += w; }
      }); });
    });
    // A point absent from some cases (the bag, where no bag is carried) is averaged over those that have it.
    for (var i = 0; i < len; i++) out[i] = wsum[i] > 0 ? S.geometry_step * out[i] / wsum[i] : NaN;
    return out;
  }
  function pts(geo, names, name) {
    var e = names[name], a = [];
    for (var i = 0; i < e[1]; i++) a.push([geo[e[0] + 2 * i], geo[e[0] + 2 * i + 1]]);
    return a;
  }

  // ------------------------------------------------------------------ SVG helpers
  function el(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var a in attrs) e.setAttribute(a, attrs[a]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function View(svg, x0, y0, scale, cx, cy) {   // metres -> SVG px; +y up
    this.svg = svg; this.x0 = x0; this.y0 = y0; this.k = scale; this.cx = cx; this.cy = cy;
  }
  View.prototype.X = function (x) { return this.x0 + (x - this.cx) * this.k; };
  View.prototype.Y = function (y) { return this.y0 - (y - this.cy) * this.k; };
  View.prototype.path = function (p, close) {
    var s = "";
    for (var i = 0; i < p.length; i++) {
      if (!isFinite(p[i][0])) continue;
      s += (s ? "L" : "M") + this.X(p[i][0]).toFixed(1) + " " + this.Y(p[i][1]).toFixed(1);
    }
    return s + (close ? "Z" : "");
  };
  function ramp(stops, t) {
    t = Math.max(0, Math.min(1, t)) * (stops.length - 1);
    var i = Math.min(Math.floor(t), stops.length - 2), f = t - i;
    var a = hex(stops[i]), b = hex(stops[i + 1]);
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + f * (b[j] - a[j])); }).join(",") + ")";
  }
  function hex(h) { return [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)]; }
  function fracColour(fr) { return ramp(D.activation_ramp, (fr + 0.15) / 1.15); }

  /* A frontal figure: whole body (and optionally the hips enlarged), drawn from a geometry vector. */
  function Figure(svg, opts) {
    this.svg = svg; this.o = opts;
    var b = this.body = new View(svg, opts.bx, opts.by, opts.bk, 0, 0);
    var g = el("g", {}, svg);
    this.floor = el("line", { x1: b.X(-0.6), x2: b.X(0.6), y1: b.Y(0), y2: b.Y(0), stroke: "#888", "stroke-width": 1.5 }, g);
    this.pelvis = el("path", { fill: "#efe6d8", stroke: "#555" }, g);
    this.legs = {}; this.arms = {};
    var self = this;
    ["r", "l"].forEach(function (sd) {
      self.legs[sd] = el("path", { fill: "none", stroke: "#555", "stroke-width": 4, "stroke-linecap": "round", "stroke-linejoin": "round" }, g);
      self.arms[sd] = el("path", { fill: "none", stroke: "#888", "stroke-width": 3, "stroke-linecap": "round" }, g);
    });
    this.trunk = el("path", { fill: "none", stroke: "#555", "stroke-width": 4, "stroke-linecap": "round" }, g);
    this.shoulders = el("path", { fill: "none", stroke: "#555", "stroke-width": 4, "stroke-linecap": "round" }, g);
    this.head = el("circle", { fill: "#fff", stroke: "#555", "stroke-width": 2, r: 0.095 * b.k }, g);
    this.fib = {};
    ["r", "l"].forEach(function (sd) { GROUPS.forEach(function (gr) {
      self.fib[gr + "_" + sd] = el("path", { fill: "none", "stroke-width": 2, "stroke-linecap": "round" }, g);
    }); });
    this.com = el("line", { stroke: "#2e86c1", "stroke-dasharray": "5 3" }, g);
    this.w = el("path", { fill: "#2e86c1" }, g);
    this.wtxt = el("text", { fill: "#2e86c1", "font-size": 11 }, g);
    this.load = el("rect", { fill: "#7d3c98", stroke: "#000", width: 0, height: 0 }, g);
    this.loadtxt = el("text", { fill: "#7d3c98", "font-size": 11, "text-anchor": "middle" }, g);
    this.lifttxt = el("text", { fill: "#555", "font-size": 10, "text-anchor": "middle" }, g);
    if (opts.hip) {
      var h = this.hip = new View(svg, opts.hx, opts.hy, opts.hk, 0, 0);
      var gh = el("g", {}, svg);
      el("rect", { x: opts.hx - 0.26 * opts.hk, y: opts.hy - 0.22 * opts.hk, width: 0.52 * opts.hk, height: 0.42 * opts.hk,
                   fill: "#fbfaf7", stroke: "#ddd" }, gh);
      this.hpelvis = el("path", { fill: "#efe6d8", stroke: "#555" }, gh);
      this.hlegs = {}; this.hheads = {};
      ["r", "l"].forEach(function (sd) {
        self.hlegs[sd] = el("path", { fill: "none", stroke: "#555", "stroke-width": 6, "stroke-linecap": "round" }, gh);
        self.hheads[sd] = el("circle", { fill: "#ddd", stroke: "#555", r: 0.022 * opts.hk }, gh);
      });
      this.hfib = {}; this.hlab = {}; this.hlead = {};
      ["r", "l"].forEach(function (sd) { GROUPS.forEach(function (gr) {
        self.hfib[gr + "_" + sd] = el("path", { fill: "none", "stroke-width": 5, "stroke-linecap": "round",
                                                 "data-group": gr + "_" + sd }, gh);
      }); });
      GROUPS.forEach(function (gr) {
        self.hlead[gr] = el("line", { stroke: COLOURS[gr], "stroke-width": 0.8 }, gh);
        self.hlab[gr] = el("text", { fill: COLOURS[gr], "font-size": 11, "font-weight": "bold", "text-anchor": "end" }, gh);
        self.hlab[gr].textContent = SHORT[gr];
      });
      this.hcf = el("path", { fill: "#2e86c1" }, gh);
      this.hcftxt = el("text", { fill: "#2e86c1", "font-size": 11 }, gh);
      this.blever = el("path", { stroke: "#1e8449", "stroke-width": 2, fill: "none" }, gh);
      this.btxt = el("text", { fill: "#1e8449", "font-size": 11, "text-anchor": "middle" }, gh);
      this.aline = el("path", { stroke: "#7d3c98", "stroke-width": 1, "stroke-dasharray": "4 3", fill: "none" }, gh);
      this.alever = el("path", { stroke: "#7d3c98", "stroke-width": 2.5, fill: "none" }, gh);
      this.atxt = el("text", { fill: "#7d3c98", "font-size": 11, "text-anchor": "middle" }, gh);
    }
  }
  function arrowPath(v, x, y, dx, dy, wpx) {   // an arrow in px from (x,y) by (dx,dy)
    var L = Math.hypot(dx, dy) || 1e-9, ux = dx / L, uy = dy / L, nx = -uy, ny = ux, hl = Math.min(12, 0.4 * L);
    var bx = x + dx - ux * hl, by = y + dy - uy * hl;
    return "M" + (x + nx * wpx) + " " + (y + ny * wpx) + "L" + (bx + nx * wpx) + " " + (by + ny * wpx) + "L" + (bx + nx * 3 * wpx) +
      " " + (by + ny * 3 * wpx) + "L" + (x + dx) + " " + (y + dy) + "L" + (bx - nx * 3 * wpx) + " " + (by - ny * 3 * wpx) + "L" +
      (bx - nx * wpx) + " " + (by - ny * wpx) + "L" + (x - nx * wpx) + " " + (y - ny * wpx) + "Z";
  }
  /* Draw one state: geo (geometry vector), names, frac (key -> force / maximum), extra {stance, lifted, loadKg, loadLabel, weightBw}. */
  Figure.prototype.draw = function (geo, names, frac, extra) {
    var b = this.body, self = this, P = function (n) { return pts(geo, names, n); };
    this.pelvis.setAttribute("d", b.path(P("pelvis"), true));
    ["r", "l"].forEach(function (sd) {
      self.legs[sd].setAttribute("d", b.path(P("leg_" + sd)));
      self.legs[sd].setAttribute("stroke-dasharray", sd === extra.lifted ? "7 4" : "none");
      self.legs[sd].setAttribute("stroke", sd === extra.lifted ? "#999" : "#555");
      self.arms[sd].setAttribute("d", b.path(P("arm_" + sd)));
    });
    this.trunk.setAttribute("d", b.path(P("trunk")));
    this.shoulders.setAttribute("d", b.path(P("shoulders")));
    var hd = P("head")[0];
    this.head.setAttribute("cx", b.X(hd[0])); this.head.setAttribute("cy", b.Y(hd[1]));
    Object.keys(this.fib).forEach(function (key) {
      var c = fracColour(frac[key] || 0), p = P("f:" + key);
      self.fib[key].setAttribute("d", b.path(p)); self.fib[key].setAttribute("stroke", c);
      if (self.hip) { self.hfib[key].setAttribute("d", self.hip.path(p)); self.hfib[key].setAttribute("stroke", c); }
    });
    var com = P("com")[0];
    this.com.setAttribute("x1", b.X(com[0])); this.com.setAttribute("x2", b.X(com[0]));
    this.com.setAttribute("y1", b.Y(com[1])); this.com.setAttribute("y2", b.Y(0));
    var wl = 0.25 * (extra.weightBw || 1) * b.k;
    this.w.setAttribute("d", arrowPath(b, b.X(com[0]), b.Y(com[1]) + 4, 0, wl, 2));
    this.wtxt.setAttribute("x", b.X(com[0]) + 6); this.wtxt.setAttribute("y", b.Y(com[1]) - 8);
    this.wtxt.textContent = "weight " + (extra.weightBw || 1).toFixed(2) + " BW";
    var ld = P("load")[0];
    if (extra.loadKg > 0 && isFinite(ld[0])) {
      var s = 0.09 * b.k;
      this.load.setAttribute("x", b.X(ld[0]) - s / 2); this.load.setAttribute("y", b.Y(ld[1]));
      this.load.setAttribute("width", s); this.load.setAttribute("height", s);
      this.loadtxt.setAttribute("x", b.X(ld[0])); this.loadtxt.setAttribute("y", b.Y(ld[1]) + s + 12);
      this.loadtxt.textContent = extra.loadKg.toFixed(1) + " kg, " + extra.loadLabel;
    } else { this.load.setAttribute("width", 0); this.loadtxt.textContent = ""; }
    if (extra.lifted) {
      var foot = P("leg_" + extra.lifted)[4];
      this.lifttxt.setAttribute("x", b.X(foot[0]) + (foot[0] > 0 ? 40 : -40)); this.lifttxt.setAttribute("y", b.Y(0) - 50);
      this.lifttxt.textContent = "lifted leg";
    } else this.lifttxt.textContent = "";
    if (!this.hip) return;
    var h = this.hip, st = extra.stance;
    var hips = [P("hipc_r")[0], P("hipc_l")[0]];
    var cx = (hips[0][0] + hips[1][0]) / 2, cy = (hips[0][1] + hips[1][1]) / 2;
    h.cx = cx; h.cy = cy;
    this.hpelvis.setAttribute("d", h.path(P("pelvis"), true));
    ["r", "l"].forEach(function (sd, i) {
      self.hlegs[sd].setAttribute("d", h.path(P("leg_" + sd).slice(0, 3)));
      self.hheads[sd].setAttribute("cx", h.X(hips[i][0])); self.hheads[sd].setAttribute("cy", h.Y(hips[i][1]));
    });
    Object.keys(this.hfib).forEach(function (key) { self.hfib[key].setAttribute("d", h.path(P("f:" + key))); });
    // Labels in a column at the stance side's edge, each with a leader to its line's middle.
    var mids = GROUPS.map(function (gr) { var p = P("f:" + gr + "_" + st); return [gr, p[Math.floor(p.length / 2)]]; });
    mids.sort(function (a, b2) { return b2[1][1] - a[1][1]; });
    var left = hips[st === "r" ? 0 : 1][0] < cx, xt = h.X(cx + (left ? -0.255 : 0.255));
    mids.forEach(function (m, i) {
      var y = h.Y(cy + 0.17 - i * 0.035);
      var t = self.hlab[m[0]];
      t.setAttribute("x", xt + (left ? 62 : -62)); t.setAttribute("y", y + 4);
      t.setAttribute("text-anchor", left ? "end" : "start");
      var ln = self.hlead[m[0]];
      ln.setAttribute("x1", xt + (left ? 64 : -64)); ln.setAttribute("y1", y);
      ln.setAttribute("x2", h.X(m[1][0])); ln.setAttribute("y2", h.Y(m[1][1]));
    });
    var head = hips[st === "r" ? 0 : 1], f = P("hcf")[0], sc = 0.03 * (extra.hcfScale || 1) * h.k;
    var L = Math.hypot(f[0], f[1]) || 1, mag = extra.hcfBw || L;
    var dx = f[0] / L * mag * sc, dy = -f[1] / L * mag * sc;
    // 3 cm of the enlarged hip per body weight; beyond 16 cm (5.3 BW) the arrow would leave the panel,
    // so it stops there and says so.
    var len = Math.hypot(dx, dy), most = 0.16 * h.k, short = len > most;
    if (short) { dx *= most / len; dy *= most / len; }
    this.hcf.setAttribute("d", arrowPath(h, h.X(head[0]) - dx, h.Y(head[1]) - dy, dx, dy, 2.2));
    this.hcftxt.setAttribute("x", h.X(head[0]) - dx + 6); this.hcftxt.setAttribute("y", h.Y(head[1]) - dy + 4);
    this.hcftxt.textContent = "hip contact " + mag.toFixed(2) + " BW" + (short ? " (arrow shortened)" : "");
    if (names.lev_hip) {
      var hc = P("lev_hip")[0], ca = P("lev_com")[0], ab = P("lev_abd"), lens = P("lev_len")[0];
      var y0 = hc[1] + 0.14;
      this.blever.setAttribute("d", "M" + h.X(hc[0]) + " " + h.Y(hc[1]) + "L" + h.X(hc[0]) + " " + h.Y(y0) + "L" + h.X(ca[0]) + " " + h.Y(y0));
      this.btxt.setAttribute("x", h.X((hc[0] + ca[0]) / 2)); this.btxt.setAttribute("y", h.Y(y0) - 5);
      this.btxt.textContent = "body-weight lever b = " + (100 * lens[0]).toFixed(1) + " cm";
      this.aline.setAttribute("d", h.path([ab[0], ab[1]]));
      this.alever.setAttribute("d", h.path([hc, ab[2]]));
      this.atxt.setAttribute("x", h.X(ab[2][0])); this.atxt.setAttribute("y", h.Y(ab[2][1]) + 26);
      this.atxt.textContent = "abductor lever a = " + (100 * lens[1]).toFixed(1) + " cm";
    }
  };

  // ------------------------------------------------------------------ the stance panel
  var knobs = {};
  var stanceFig, bars = {};
  function controlValues() {
    S.controls.forEach(function (a) { knobs[a.name] = +document.getElementById(a.name).value; });
    knobs.place = document.getElementById("place").value;
    return knobs;
  }
  function setText(id, text, value) {
    var e = document.getElementById(id);
    e.textContent = text;
    if (value !== undefined) e.setAttribute("data-value", value);
  }
  function placeLabel(key) { for (var i = 0; i < S.places.length; i++) if (S.places[i].key === key) return S.places[i].label; return key; }

  function updateStance() {
    var t0 = performance.now();
    var k = controlValues();
    S.controls.forEach(function (a) { setText("v_" + a.name, (+k[a.name]).toFixed(a.name.indexOf("strength") > 0 ? 2 : 1)); });
    var r = readout(k), geo = geometry(k);
    var frac = {};
    Object.keys(r.forces).forEach(function (key) { frac[key] = r.forces[key] / r.max[key]; });
    stanceFig.draw(geo, GEO, frac, { stance: "r", lifted: "l", loadKg: k.load_kg, loadLabel: placeLabel(k.place),
                                     weightBw: 1 + k.load_kg / k.mass_kg, hcfBw: r.hcf_bw });
    setText("hcf-bw", r.hcf_bw.toFixed(2) + " BW", r.hcf_bw);
    setText("hcf-n", Math.round(r.hcf_n) + " N", r.hcf_n);
    var note = document.getElementById("hcf-note");
    note.setAttribute("data-near", r.near_limit ? "1" : "0");
    note.textContent = (r.beyond ? "Beyond the muscles: not a force the muscles can produce (reserve actuators carry the rest). " : "") +
      (r.near_limit ? "Rough: next to the muscles' limit (a fibre group at its maximum or the pelvis about to drop), " +
                      "where hipsim's solution bends or jumps between the grid points these numbers are interpolated from." : "");
    setText("bw-n", Math.round(r.bw) + " N", r.bw);
    var xmax = 0;
    GROUPS.forEach(function (g) { xmax = Math.max(xmax, S.bar_max_n || 0, r.max[g + "_r"]); });
    GROUPS.forEach(function (g) {
      var f = r.forces[g + "_r"], m = r.max[g + "_r"], row = bars[g];
      row.cap.style.width = (100 * m / S.bar_max_n) + "%";
      row.bar.style.width = (100 * Math.min(f, m) / S.bar_max_n) + "%";
      row.bar.style.background = fracColour(f / m);
      setText("force-" + g, Math.round(f) + " of " + Math.round(m) + " N", f);
      document.getElementById("force-" + g).setAttribute("data-max", m);
    });
    var st = document.getElementById("state");
    if (r.beyond) {
      var c = compensation(k);
      st.className = "state beyond";
      st.setAttribute("data-beyond", "1");
      setText("state-text", r.straddles ?
              "At the muscles' limit: interpolated, the abductors are short by " + r.shortfall_nm.toFixed(1) +
              " N m, between grid points where the muscles hold the pelvis and grid points where they cannot; " +
              "hipsim's own solve for exactly these settings may hold it level or let it drop." :
              "Beyond the muscles: the abductors are short by " + r.shortfall_nm.toFixed(1) +
              " N m. The pelvis would drop toward the lifted leg.", r.shortfall_nm);
      if (c.lean !== null) setText("compensation", "To hold it level the trunk would have to lean roughly " +
                                   c.lean.toFixed(0) + "° over the stance hip (compensated Trendelenburg; interpolated " +
                                   "on the grid, a few degrees either way).", c.lean);
      else setText("compensation", "Even a " + c.top + "° trunk lean leaves " + c.left_nm.toFixed(1) +
                   " N m uncovered: the muscles cannot hold this posture.", "none");
    } else {
      st.className = "state ok";
      st.setAttribute("data-beyond", "0");
      setText("state-text", "The abductors hold the pelvis level (shortfall " + r.shortfall_nm.toFixed(1) + " N m).", r.shortfall_nm);
      setText("compensation", "", "");
    }
    var dl = dropLimit(k), L = S.drop_limit, top = AX.pelvic_drop_deg.values[AX.pelvic_drop_deg.values.length - 1];
    setText("drop-limit", "Pelvic drop ends at " + top + "°: the largest drop the model (" + L.model + ", whose hip adducts at most " +
            L.hip_adduction_max_deg + "°) stands balanced in with every bag and trunk lean on this page. With this bag and lean it stands " +
            (dl >= L.rule_max ? "at least " + L.rule_max + "° (hipsim's input limit)" : "up to about " + dl.toFixed(1) + "°") +
            "; beyond that hipsim finds no balance over the stance foot within the joints' ranges and refuses the posture.", dl);
    updateChart(k, r);
    var ms = performance.now() - t0;
    window.hipsimTiming.lastUpdateMs = ms;
    window.hipsimTiming.updates += 1;
  }

  // ------------------------------------------------------------------ body chart
  var chartEls = {};
  function buildChart() {
    var svg = document.getElementById("chart");
    var views = ["front", "side", "back"], sc = 330, w = 150;
    views.forEach(function (v, i) {
      var V = D.chart.shapes[v], x0 = 80 + i * w * 1.45;
      var view = new View(svg, x0, 360, sc, 0, 0);
      var clipId = "clip-" + v;
      var cp = el("clipPath", { id: clipId }, svg);
      el("path", { d: view.path(V.outline, true) }, cp);
      el("path", { d: view.path(V.outline, true), fill: "#d9d9d9" }, svg);
      var g = el("g", { "clip-path": "url(#" + clipId + ")" }, svg);
      Object.keys(V.zones).forEach(function (key) {
        V.zones[key].forEach(function (poly) {
          var grp = key.slice(0, -2);
          var p = el("path", { d: view.path(poly, true), stroke: "#222", "stroke-width": 0.8, "fill-opacity": 0.62,
                               "stroke-dasharray": D.chart.dash[grp] || "none", "data-zone": key }, g);
          (chartEls[key] = chartEls[key] || []).push(p);
        });
      });
      el("path", { d: view.path(V.outline, true), fill: "none", stroke: "#4d4d4d", "stroke-width": 1.1 }, svg);
      if (V.arm) el("path", { d: view.path(V.arm, true), fill: "#d9d9d9", stroke: "#4d4d4d" }, svg);
      V.marks.forEach(function (m) { el("path", { d: view.path(m), fill: "none", stroke: "#4d4d4d", "stroke-opacity": 0.7 }, svg); });
      var t = el("text", { x: x0, y: 18, "text-anchor": "middle", "font-size": 13 }, svg);
      t.textContent = V.title;
      if (v !== "side") {
        [["R", v === "front" ? -0.06 : 0.06], ["L", v === "front" ? 0.06 : -0.06]].forEach(function (q) {
          var tt = el("text", { x: view.X(q[1]), y: view.Y(-0.035), "text-anchor": "middle", "font-size": 11 }, svg);
          tt.textContent = q[0];
        });
      }
    });
  }
  /* % change of peak force per chart zone against standing on one leg with nothing changed (same
     body mass), by hipsim's rule: negligible below 2 % of the muscles' maximum force; "new" from a negligible baseline. */
  var baseCache = {};
  function updateChart(k, r) {
    // The baseline depends on the body mass only: computed once per mass.
    var rb = baseCache[k.mass_kg];
    if (!rb) rb = baseCache[k.mass_kg] = readout(Object.assign({}, k, { load_kg: 0, gmed_strength: 1, gmin_strength: 1,
                                                                        pelvic_drop_deg: 0, trunk_lean_deg: 0 }));
    var table = document.getElementById("chart-table");
    var rows = [];
    Object.keys(D.chart.group_muscles).forEach(function (grp) {
      ["r", "l"].forEach(function (sd) {
        var s = 0, b = 0, f0 = 0;
        D.chart.group_muscles[grp].forEach(function (m) { s += r.forces[m + "_" + sd]; b += rb.forces[m + "_" + sd]; f0 += rb.max[m + "_" + sd]; });
        var floor = D.negligible_fraction * f0, d = s - b, pct, txt;
        if (Math.abs(d) < floor || d === 0) { pct = 0; txt = "negl."; }
        else if (b < floor) { pct = Infinity; txt = "new"; }
        else { pct = 100 * d / Math.abs(b); txt = (pct > 0 ? "+" : "") + pct.toFixed(0) + " %"; }
        var col = ramp(D.diverging_ramp, 0.5 + Math.max(-1, Math.min(1, (isFinite(pct) ? pct : 100) / D.chart.vmax)) / 2);
        (chartEls[grp + "_" + sd] || []).forEach(function (p) { p.setAttribute("fill", col); });
        rows.push("<tr><td>" + D.chart.labels[grp] + "</td><td>" + (sd === "r" ? "right (stance)" : "left (lifted)") +
                  "</td><td data-key='" + grp + "_" + sd + "'>" + txt + "</td></tr>");
      });
    });
    table.innerHTML = rows.join("");
  }

  // ------------------------------------------------------------------ walking panel
  var walkFig, walkPlot = {}, walkIdx = 0, walkFrame = 0, playing = null;
  function buildWalk() {
    var sel = document.getElementById("walk");
    D.walks.forEach(function (w, i) { var o = document.createElement("option"); o.value = i; o.textContent = w.title; sel.appendChild(o); });
    walkFig = new Figure(document.getElementById("walk-fig"), { bx: 150, by: 420, bk: 200 });
    var svg = document.getElementById("walk-plot");
    walkPlot.svg = svg;
    walkPlot.x = function (p) { return 50 + 5.2 * p; };
    walkPlot.lines = {};
    el("line", { x1: 50, x2: 570, y1: 280, y2: 280, stroke: "#444" }, svg);
    el("line", { x1: 50, x2: 50, y1: 20, y2: 280, stroke: "#444" }, svg);
    [0, 20, 40, 60, 80, 100].forEach(function (p) {
      var t = el("text", { x: walkPlot.x(p), y: 296, "text-anchor": "middle", "font-size": 11 }, svg); t.textContent = p;
    });
    var xl = el("text", { x: 310, y: 314, "text-anchor": "middle", "font-size": 11 }, svg);
    xl.textContent = "% of the gait cycle (right heel strike = 0 %)";
    walkPlot.ylab = el("text", { x: 14, y: 150, "font-size": 11, transform: "rotate(-90 14 150)", "text-anchor": "middle" }, svg);
    walkPlot.yt = [];
    for (var i = 0; i <= 4; i++) walkPlot.yt.push(el("text", { x: 45, y: 280 - i * 65 + 4, "text-anchor": "end", "font-size": 10 }, svg));
    GROUPS.forEach(function (g) { walkPlot.lines[g] = el("polyline", { fill: "none", stroke: COLOURS[g], "stroke-width": 1.8 }, svg); });
    walkPlot.cursor = el("line", { y1: 20, y2: 280, stroke: "#000", "stroke-width": 1.2 }, svg);
    sel.addEventListener("change", function () { walkIdx = +sel.value; drawWalkCurves(); drawWalkFrame(); });
    document.getElementById("walk-side").addEventListener("change", function () { drawWalkCurves(); drawWalkFrame(); });
    document.getElementById("walk-pct").addEventListener("input", function () { stop(); walkFrame = +this.value; drawWalkFrame(); });
    document.getElementById("walk-play").addEventListener("click", function () { if (playing) stop(); else play(); });
    drawWalkCurves(); drawWalkFrame();
  }
  function stop() { if (playing) cancelAnimationFrame(playing); playing = null; document.getElementById("walk-play").textContent = "Play"; }
  function play() {
    document.getElementById("walk-play").textContent = "Pause";
    var t0 = null, f0 = walkFrame;
    function step(t) {
      if (t0 === null) t0 = t;
      var n = D.walks[walkIdx].percent.length;
      walkFrame = Math.floor(f0 + (t - t0) / 40) % n;   // 40 ms per percent: one cycle in 4 s
      document.getElementById("walk-pct").value = walkFrame;
      drawWalkFrame();
      playing = requestAnimationFrame(step);
    }
    playing = requestAnimationFrame(step);
  }
  function drawWalkCurves() {
    var w = D.walks[walkIdx], sd = document.getElementById("walk-side").value, top = 0;
    GROUPS.forEach(function (g) { w.forces_n[g + "_" + sd].forEach(function (v) { top = Math.max(top, v); }); });
    top = Math.max(100, Math.ceil(top / 100) * 100);
    walkPlot.top = top;
    GROUPS.forEach(function (g) {
      walkPlot.lines[g].setAttribute("points", w.forces_n[g + "_" + sd].map(function (v, i) {
        return walkPlot.x(w.percent[i]).toFixed(1) + "," + (280 - 260 * v / top).toFixed(1);
      }).join(" "));
    });
    walkPlot.yt.forEach(function (t, i) { t.textContent = Math.round(top * i / 4); });
    walkPlot.ylab.textContent = "fibre force, " + (sd === "r" ? "right" : "left") + " side (N)";
    document.getElementById("walk-pct").max = w.percent.length - 1;
    setText("walk-beyond", w.beyond_text);
  }
  function drawWalkFrame() {
    var w = D.walks[walkIdx], f = Math.min(walkFrame, w.percent.length - 1), sd = document.getElementById("walk-side").value;
    var names = parseNames(w.geometry_names), frac = {};
    Object.keys(w.forces_n).forEach(function (key) { frac[key] = w.forces_n[key][f] / w.max_forces_n[key]; });
    var geo = w.geometry[f].map(function (v) { return v === null ? NaN : v * w.geometry_step; });
    walkFig.draw(geo, names, frac, { stance: w.stance[f], lifted: null, loadKg: 0 });
    walkPlot.cursor.setAttribute("x1", walkPlot.x(w.percent[f])); walkPlot.cursor.setAttribute("x2", walkPlot.x(w.percent[f]));
    var feet = { r: "right foot on the ground", l: "left foot on the ground", both: "both feet on the ground",
                 none: "no foot on the ground" }[w.feet ? w.feet[f] : w.stance[f]];
    setText("walk-now", w.percent[f].toFixed(0) + " % of the gait cycle; " + feet + "; hip contact right " +
            w.hcf_bw.r[f].toFixed(2) + " BW, left " + w.hcf_bw.l[f].toFixed(2) + " BW", w.percent[f]);
    GROUPS.forEach(function (g) {
      setText("wforce-" + g, Math.round(w.forces_n[g + "_" + sd][f]) + " N", w.forces_n[g + "_" + sd][f]);
    });
  }

  // ------------------------------------------------------------------ exercises
  /* The exercise comparison, static: hipsim.compare_exercises on the default model, solved at build time. */
  function buildExercises() {
    var E = D.exercises;
    if (!E) return;
    var top = 0;
    E.rows.forEach(function (r) { r.force_n.forEach(function (v) { top = Math.max(top, v); }); });
    var head = "<thead><tr><th>exercise</th>" + E.groups.map(function (g) {
      return "<th style='color:" + (COLOURS[g] || "#333") + "'>" + E.labels[g] + "</th>"; }).join("") + "</tr></thead>";
    var body = E.rows.map(function (r) {
      return "<tr data-exercise='" + esc(r.key) + "'><td><b>" + esc(r.title) + "</b>" + (r.beyond ? " <span class='beyond-text'>(beyond the muscles)</span>" : "") +
        "<br><span class='small'>" + esc(r.key) + "; targeted: " + esc(r.targeted) + "</span></td>" +
        E.groups.map(function (g, j) {
          var f = r.force_n[j], a = r.activation[j];
          return "<td class='ex-cell' data-group='" + g + "' data-force='" + f + "' data-activation='" + a + "'>" +
            "<span class='ex-bar' style='width:" + (100 * f / (top || 1)).toFixed(1) + "%;background:" + fracColour(a) + "'></span>" +
            "<span class='ex-num'>" + Math.round(f) + " N</span><span class='ex-act'>" + Math.round(100 * a) + " %</span></td>";
        }).join("") + "</tr>";
    }).join("");
    document.getElementById("ex-table").innerHTML = head + "<tbody>" + body + "</tbody>";
    var sc = { gmin_to_tfl_force: "GMin / TFL, force", gmin_to_tfl_activation: "GMin / TFL, activation",
               gmin_posterior_to_anterior_force: "GMin post / ant, force", gmin_posterior_to_anterior_activation: "GMin post / ant, activation" };
    document.getElementById("ex-sel").innerHTML = "<thead><tr><th>exercise</th>" + E.selectivity_columns.map(function (c) {
      return "<th>" + (sc[c] || c) + "</th>"; }).join("") + "</tr></thead><tbody>" + E.rows.map(function (r) {
      return "<tr><td>" + r.key + "</td>" + r.selectivity.map(function (v, j) {
        return "<td data-key='" + r.key + "|" + E.selectivity_columns[j] + "' data-value='" + (v === null ? "" : v) + "'>" +
          (v === null ? "n/a" : v.toFixed(2)) + "</td>"; }).join("") + "</tr>"; }).join("") + "</tbody>";
    setText("ex-how", "Each exercise held as a static pose by the " + E.model + " model (" + E.subject.mass_kg.toFixed(1) + " kg, " +
            E.subject.height_m.toFixed(2) + " m; " + (E.side === "r" ? "right" : "left") + " hip), with its supports, gravity and resistance, " +
            "solved by hipsim.compare_exercises when this page was built. Bars: fibre force (N) on one scale; colour: activation, as in the figure above. " +
            "Most loading exercise per fibre group (by force): " + E.groups.map(function (g) { return E.labels[g] + ": " + E.most_loading[g]; }).join("; ") + ".");
    setText("ex-notes", E.notes.length ? "Notes: " + E.notes.join("; ") + "." : "");
  }

  // ------------------------------------------------------------------ start
  function build() {
    var ctl = document.getElementById("controls");
    S.controls.forEach(function (a) {
      var row = document.createElement("label");
      row.className = "ctl";
      row.innerHTML = "<span>" + a.label + " (" + a.unit + ")</span><input type='range' id='" + a.name + "' min='" + a.min +
        "' max='" + a.max + "' step='" + a.step + "' value='" + a.default + "'><output id='v_" + a.name + "'></output>";
      ctl.appendChild(row);
      if (a.name === "pelvic_drop_deg") {
        var nt = document.createElement("div");
        nt.className = "small"; nt.id = "drop-limit";
        ctl.appendChild(nt);
      }
      if (a.name === "load_kg") {
        var pl = document.createElement("label");
        pl.className = "ctl";
        pl.innerHTML = "<span>bag carried in/on the</span><select id='place'>" + S.places.map(function (p) {
          return "<option value='" + p.key + "'>" + p.label + "</option>"; }).join("") + "</select><output></output>";
        ctl.appendChild(pl);
      }
    });
    ctl.addEventListener("input", updateStance);
    ctl.addEventListener("change", updateStance);
    stanceFig = new Figure(document.getElementById("stance-fig"), { bx: 150, by: 470, bk: 230, hip: true, hx: 600, hy: 230, hk: 1050 });
    var bl = document.getElementById("bars");
    GROUPS.forEach(function (g) {
      var row = document.createElement("div");
      row.className = "barrow";
      row.innerHTML = "<span class='bl' style='color:" + COLOURS[g] + "'>" + SHORT[g] + "</span><span class='track'><span class='cap'></span>" +
        "<span class='bar'></span></span><span class='bv' id='force-" + g + "'></span>";
      bl.appendChild(row);
      bars[g] = { cap: row.querySelector(".cap"), bar: row.querySelector(".bar") };
      var wl = document.getElementById("walk-forces");
      var li = document.createElement("li");
      li.innerHTML = "<span style='color:" + COLOURS[g] + "'>&#9644; " + SHORT[g] + "</span> <span id='wforce-" + g + "'></span>";
      wl.appendChild(li);
    });
    buildChart();
    updateStance();
    buildWalk();
    buildExercises();
    window.hipsimTiming.firstRenderMs = performance.now();
    window.hipsimReady = true;
  }
  window.hipsimTiming = { firstRenderMs: null, lastUpdateMs: null, updates: 0 };
  window.hipsimReadout = readout;   // for checking the page against hipsim
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", build); else build();
})();
