(function () {
  'use strict';
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById('data').textContent);
  var svg = document.getElementById('graph');
  var vp = document.getElementById('vp');
  var wrap = document.getElementById('gwrap');
  var tip = document.getElementById('tip');
  var GW = +svg.getAttribute('data-w'), GH = +svg.getAttribute('data-h');
  var s = 1, tx = 0, ty = 0;
  var fitted = null; // the fit the view is in, kept on resize until the user pans or zooms

  // ---- pan and zoom ----
  function apply() {
    vp.setAttribute('transform', 'translate(' + tx.toFixed(1) + ',' + ty.toFixed(1) + ') scale(' + s.toFixed(4) + ')');
  }
  function box() { return svg.getBoundingClientRect(); }
  function fitWidth() {
    fitted = fitWidth;
    var r = box();
    s = Math.min(1, r.width / GW); tx = (r.width - GW * s) / 2; ty = 36; apply();
  }
  function fitAll() {
    fitted = fitAll;
    var r = box();
    s = Math.min(1, r.width / GW, (r.height - 36) / GH); tx = (r.width - GW * s) / 2; ty = 36; apply();
  }
  function zoomAt(mx, my, f) {
    fitted = null;
    var ns = Math.max(0.02, Math.min(4, s * f));
    tx = mx - (mx - tx) * ns / s; ty = my - (my - ty) * ns / s; s = ns; apply();
  }
  svg.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = box(), k = e.deltaMode === 1 ? 0.05 : e.deltaMode === 2 ? 1 : 0.0015;
    zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * k));
  }, { passive: false });
  var drag = null;
  svg.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    var n = e.target.closest ? e.target.closest('.node') : null;
    drag = { x: e.clientX, y: e.clientY, tx: tx, ty: ty, moved: false, node: n };
    try { svg.setPointerCapture(e.pointerId); } catch (err) { /* synthetic events have no pointer */ }
  });
  svg.addEventListener('pointermove', function (e) {
    if (!drag) { hover(e); return; }
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; svg.classList.add('dragging'); hideTip(); }
    if (drag.moved) { fitted = null; tx = drag.tx + dx; ty = drag.ty + dy; apply(); }
  });
  function endDrag() {
    if (drag && !drag.moved) {
      if (drag.node) selectBox(+drag.node.id.slice(1)); else clearMarks();
    }
    drag = null; svg.classList.remove('dragging');
  }
  svg.addEventListener('pointerup', endDrag);
  svg.addEventListener('pointercancel', function () { drag = null; svg.classList.remove('dragging'); });
  svg.addEventListener('pointerleave', function () { if (!drag) hideTip(); });
  document.getElementById('fitw').onclick = fitWidth;
  document.getElementById('fita').onclick = fitAll;
  document.getElementById('one').onclick = function () { var r = box(); zoomAt(r.width / 2, r.height / 2, 1 / s); };

  // ---- tooltip ----
  var tipBox = -1;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function fillTip(b) {
    tip.textContent = '';
    D.boxes[b].forEach(function (li, k) {
      var L = D.L[li];
      if (k > 0) tip.appendChild(el('hr'));
      tip.appendChild(el('b', null, '#' + li + ' ' + L.n));
      tip.appendChild(document.createTextNode('  ' + L.t + (k > 0 ? '  (in place)' : '') + '\n'));
      if (L.i) { tip.appendChild(el('span', 'k', 'in   ')); tip.appendChild(document.createTextNode(L.i.join(', ') + '\n')); }
      if (L.o) { tip.appendChild(el('span', 'k', 'out  ')); tip.appendChild(document.createTextNode(L.o.join(', ') + '\n')); }
      tip.appendChild(el('span', 'k', L.c + '\n'));
      if (L.p) {
        var f = el('div', 'f');
        L.p.split('\n').forEach(function (kv) { f.appendChild(el('span', null, kv)); });
        tip.appendChild(f);
      }
      if (L.w) tip.appendChild(document.createTextNode(L.w.join('\n') + '\n'));
    });
  }
  function hover(e) {
    var n = e.target.closest ? e.target.closest('.node') : null;
    if (!n) { hideTip(); return; }
    var b = +n.id.slice(1);
    if (b !== tipBox) { fillTip(b); tipBox = b; }
    tip.style.display = 'block';
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var x = e.clientX + 16, y = e.clientY + 16;
    if (x + w > innerWidth - 4) x = Math.max(4, e.clientX - w - 16);
    if (y + h > innerHeight - 4) y = Math.max(4, innerHeight - h - 4);
    tip.style.left = x + 'px'; tip.style.top = y + 'px';
  }
  function hideTip() { tip.style.display = 'none'; tipBox = -1; }

  // ---- selection ----
  var marked = [];
  function clearMarks() {
    marked.forEach(function (e) { e.classList.remove('hl', 'hlt', 'sel'); });
    marked = [];
  }
  function mark(e, c) { if (e) { e.classList.add(c); marked.push(e); } }
  function centerOn(b) {
    var r = box(), q = D.rects[b];
    fitted = null;
    if (s < 0.6) s = 1;
    tx = r.width / 2 - (q[0] + q[2] / 2) * s; ty = r.height / 2 - (q[1] + q[3] / 2) * s; apply();
  }
  function rowOf(li) { return document.querySelector('#layers tr[data-l="' + li + '"]'); }
  // selectBox highlights a node (clicked in the graph) and its layers' rows.
  function selectBox(b) {
    clearMarks();
    mark(document.getElementById('b' + b), 'hl');
    D.boxes[b].forEach(function (li) { mark(rowOf(li), 'sel'); });
  }
  function selectLayer(li) {
    var b = D.boxOf[li];
    clearMarks();
    var g = document.getElementById('b' + b);
    mark(g, 'hl');
    var k = D.boxes[b].indexOf(li);
    if (k > 0 && g) mark(g.querySelectorAll('text')[k + 1], 'hlt');
    mark(rowOf(li), 'sel');
    wrap.scrollIntoView({ block: 'start' });
    centerOn(b);
  }
  document.querySelector('#layers tbody').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (tr) selectLayer(+tr.getAttribute('data-l'));
  });
  document.querySelector('#blocks tbody').addEventListener('click', function (e) {
    var tr = e.target.closest('tr');
    if (!tr) return;
    var bs = D.blocks[+tr.getAttribute('data-k')];
    clearMarks();
    bs.forEach(function (b) { mark(document.getElementById('b' + b), 'hl'); });
    mark(tr, 'sel');
    wrap.scrollIntoView({ block: 'start' });
    if (bs.length) centerOn(bs[0]);
  });

  // ---- sortable tables ----
  function sortTable(t, col, th) {
    var dir = th.classList.contains('asc') ? -1 : 1;
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (c) { c.classList.remove('asc', 'desc'); });
    th.classList.add(dir > 0 ? 'asc' : 'desc');
    var tb = t.tBodies[0], rows = Array.prototype.slice.call(tb.rows);
    var numeric = rows.length > 0 && rows[0].cells[col].hasAttribute('data-v');
    var key = function (r) {
      var c = r.cells[col];
      return numeric ? +c.getAttribute('data-v') : c.textContent.toLowerCase();
    };
    var keyed = rows.map(function (r, i) { return [key(r), i, r]; });
    keyed.sort(function (a, b) { return a[0] < b[0] ? -dir : a[0] > b[0] ? dir : a[1] - b[1]; });
    var f = document.createDocumentFragment();
    keyed.forEach(function (k) { f.appendChild(k[2]); });
    tb.appendChild(f);
  }
  Array.prototype.forEach.call(document.querySelectorAll('table.sortable'), function (t) {
    Array.prototype.forEach.call(t.tHead.rows[0].cells, function (th, i) {
      th.addEventListener('click', function () { sortTable(t, i, th); });
    });
  });

  // #all starts zoomed out; #l=N starts at layer N (links to a layer).
  if (location.hash === '#all') fitAll(); else fitWidth();
  var m = /^#l=(\d+)$/.exec(location.hash);
  if (m && +m[1] < D.L.length) selectLayer(+m[1]);
  window.addEventListener('resize', function () { if (fitted) fitted(); });

  // ---- self-test (file.html#selftest): the checks a headless browser reads back ----
  function selftest() {
    var out = { nodes: 0, rows: 0, overlaps: 0, overlapping: [], textOverflow: [], sums: [0, 0, 0], foot: [], tooltip: '', rowClick: false, sorted: false };
    var ps = s, ptx = tx, pty = ty;
    s = 1; tx = 0; ty = 0; apply();
    var nodes = svg.querySelectorAll('.node'), rects = [];
    out.nodes = nodes.length;
    Array.prototype.forEach.call(nodes, function (n) {
      var rect = n.querySelector('rect'), r = rect.getBoundingClientRect();
      rects.push([r.left, r.top, r.right, r.bottom, n.id]);
      var w = +rect.getAttribute('width');
      Array.prototype.forEach.call(n.querySelectorAll('text'), function (t) {
        var bb = t.getBBox();
        if (bb.x + bb.width > w + 0.5) out.textOverflow.push(n.id + ': ' + t.textContent);
      });
    });
    rects.sort(function (a, b) { return a[1] - b[1]; });
    for (var i = 0; i < rects.length; i++) {
      for (var j = i + 1; j < rects.length && rects[j][1] < rects[i][3]; j++) {
        var a = rects[i], b = rects[j];
        if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) {
          out.overlaps++;
          if (out.overlapping.length < 10) out.overlapping.push(a[4] + '/' + b[4]);
        }
      }
    }
    var rows = document.querySelectorAll('#layers tbody tr');
    out.rows = rows.length;
    Array.prototype.forEach.call(rows, function (r) {
      for (var k = 0; k < 3; k++) out.sums[k] += +r.cells[7 + k].getAttribute('data-v');
    });
    var foot = document.querySelector('#layers tfoot tr').cells;
    for (var k = 1; k < 4; k++) out.foot.push(+foot[k].getAttribute('data-v'));
    // Hover the first node: the tooltip must name its layer.
    var first = nodes[0];
    if (first) {
      var rr = first.getBoundingClientRect();
      first.querySelector('rect').dispatchEvent(new PointerEvent('pointermove', { bubbles: true, clientX: rr.left + 2, clientY: rr.top + 2 }));
      out.tooltip = tip.style.display === 'block' ? tip.textContent : '';
      hideTip();
    }
    // Click the last row: its node must be highlighted.
    var last = rows[rows.length - 1];
    if (last) {
      last.cells[1].click();
      var g = document.getElementById('b' + D.boxOf[+last.getAttribute('data-l')]);
      out.rowClick = !!g && g.classList.contains('hl');
      clearMarks();
    }
    // Sort by MACs descending (two clicks) and check the order.
    var th = document.querySelectorAll('#layers thead th')[7];
    th.click(); th.click();
    var sorted = Array.prototype.map.call(document.querySelectorAll('#layers tbody tr'), function (r) { return +r.cells[7].getAttribute('data-v'); });
    out.sorted = sorted.every(function (v, i) { return i === 0 || sorted[i - 1] >= v; });
    th = document.querySelectorAll('#layers thead th')[0];
    th.click();
    s = ps; tx = ptx; ty = pty; apply();
    window.scrollTo(0, 0);
    out.errors = window.__errs;
    out.initMs = Math.round(initMs);
    var pre = document.getElementById('selftest');
    pre.textContent = JSON.stringify(out);
  }
  var initMs = performance.now() - t0;
  if (location.hash === '#selftest') selftest();
})();
