// kiln report: renders the data embedded in index.html (works from file://, no network).
(function () {
  'use strict';
  var PAGE = 100;
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var state = { env: '', label: '', name: '', page: 0, imagePage: 0, image: '' };
  var shownRoute = null;
  var pairsCache;
  function labelPairs() {
    if (!pairsCache) {
      pairsCache = {};
      data.clusters.forEach(function (c) { Object.keys(c.labels).forEach(function (k) { pairsCache[k + '=' + c.labels[k]] = true; }); });
    }
    return pairsCache;
  }
  var byName = {};
  data.clusters.forEach(function (c) { byName[c.name] = c; });

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (ch) { if (ch != null) e.appendChild(typeof ch === 'string' ? document.createTextNode(ch) : ch); });
    return e;
  }
  function clusterRoute(name, profile) { return 'cluster/' + encodeURIComponent(name) + (profile ? '/' + encodeURIComponent(profile) : ''); }
  function clusterHref(name, profile) { return '#' + clusterRoute(name, profile) + query(); }

  // ---- the URL: the open cluster and the filters live in the hash (`#cluster/a/b?env=prod&label=k%3Dv`),
  // so a copied link shows what its sender saw, a reload keeps it, and back/forward step through it ----
  var FILTERS = ['env', 'label', 'name', 'image'];
  function parseHash() {
    var h = location.hash.replace(/^#/, '');
    var q = h.indexOf('?');
    var params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
    var out = { route: q < 0 ? h : h.slice(0, q) };
    FILTERS.forEach(function (k) { out[k] = params.get(k) || ''; });
    // a link from another fleet (an environment or label this one lacks) filters nothing away
    if (out.env && !data.environments.some(function (e) { return e.name === out.env; })) out.env = '';
    if (out.label && !labelPairs()[out.label]) out.label = '';
    return out;
  }
  function query() {
    var p = new URLSearchParams();
    FILTERS.forEach(function (k) { if (state[k]) p.set(k, state[k]); });
    var s = p.toString();
    return s ? '?' + s : '';
  }
  /** Filters changed by the user: a click or a choice is a step back/forward returns to; typing replaces. */
  function writeUrl(push) {
    var h = '#' + parseHash().route + query();
    if (h === (location.hash || '#')) return;
    if (push) location.hash = h;
    else history.replaceState(null, '', h);
  }
  function short(sha) { return sha ? sha.slice(0, 12) : '—'; }
  function lag(c) {
    if (!c.sourceCommit) return c.renderedCommit ? 'not written by kiln' : 'not published';
    if (c.behind === null || c.ahead === null) return 'source commit unknown to the fleet repo';
    if (c.behind === undefined) return '—';
    if (c.behind === 0) return c.ahead ? c.ahead + ' ahead' : 'up to date';
    return c.behind + ' behind' + (c.ahead ? ', ' + c.ahead + ' ahead' : '');
  }
  function healthCell(h) { return el('td', { class: 'health-' + h, 'data-health': h, text: h }); }

  // ---- pager ----
  function pager(container, page, total, onPage, label) {
    container.textContent = '';
    var pages = Math.max(1, Math.ceil(total / PAGE));
    if (pages <= 1) return;
    var prev = el('button', { type: 'button', 'aria-label': 'Previous page of ' + label, text: '← Previous' });
    var next = el('button', { type: 'button', 'aria-label': 'Next page of ' + label, text: 'Next →' });
    prev.disabled = page <= 0;
    next.disabled = page >= pages - 1;
    prev.addEventListener('click', function () { onPage(page - 1); });
    next.addEventListener('click', function () { onPage(page + 1); });
    container.appendChild(prev);
    container.appendChild(el('span', { text: 'page ' + (page + 1) + ' of ' + pages }));
    container.appendChild(next);
  }

  // ---- matrix ----
  function matches(c) {
    if (state.env && c.environment !== state.env) return false;
    if (state.label) {
      var i = state.label.indexOf('=');
      var k = state.label.slice(0, i), v = state.label.slice(i + 1);
      if (c.labels[k] !== v) return false;
    }
    if (state.name && c.name.toLowerCase().indexOf(state.name.toLowerCase()) < 0) return false;
    return true;
  }
  function renderMatrix() {
    var table = document.getElementById('matrix');
    var head = table.tHead;
    head.textContent = '';
    var hr = el('tr', null, [el('th', { scope: 'col', text: 'Cluster' }), el('th', { scope: 'col', text: 'Environment' })]);
    data.profiles.forEach(function (p) { hr.appendChild(el('th', { scope: 'col', text: p })); });
    hr.appendChild(el('th', { scope: 'col', text: 'Health' }));
    head.appendChild(hr);
    var rows = data.clusters.filter(matches);
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    var body = table.tBodies[0];
    body.textContent = '';
    rows.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (c) {
      var tr = el('tr', { 'data-cluster': c.name, 'data-environment': c.environment }, [
        el('th', { scope: 'row' }, [el('a', { href: clusterHref(c.name), text: c.name })]),
        el('td', { text: c.environment }),
      ]);
      data.profiles.forEach(function (p) {
        var on = c.profiles.indexOf(p) >= 0;
        var td = el('td', { class: on ? 'on' : 'off', 'data-profile': p, 'data-state': on ? 'on' : 'off' });
        if (on) td.appendChild(el('a', { href: clusterHref(c.name, p), 'aria-label': p + ' on ' + c.name + (c.published ? '' : ' (not published)'), text: '✓' }));
        else td.appendChild(el('span', { 'aria-label': p + ' not on ' + c.name, text: '—' }));
        tr.appendChild(td);
      });
      tr.appendChild(healthCell(c.health));
      body.appendChild(tr);
    });
    document.getElementById('matrix-status').textContent = rows.length + ' of ' + data.clusters.length + ' clusters' + (state.env ? ' in ' + state.env : '') + (state.label ? ' with ' + state.label : '');
    pager(document.getElementById('matrix-pager'), state.page, rows.length, function (p) { state.page = p; renderMatrix(); }, 'clusters');
  }
  function setupFilters() {
    var group = document.getElementById('env-filter');
    var envs = [''].concat(data.environments.map(function (e) { return e.name; }));
    envs.forEach(function (name) {
      var b = el('button', { type: 'button', 'data-env': name, 'aria-pressed': name === state.env ? 'true' : 'false', text: name || 'All environments' });
      b.addEventListener('click', function () {
        state.env = name;
        state.page = 0;
        syncControls();
        renderMatrix();
        writeUrl(true);
      });
      group.appendChild(b);
    });
    var sel = document.getElementById('label-filter');
    Object.keys(labelPairs()).sort().forEach(function (p) { sel.appendChild(el('option', { value: p, text: p })); });
    sel.addEventListener('change', function () { state.label = sel.value; state.page = 0; renderMatrix(); writeUrl(true); });
    var name = document.getElementById('name-filter');
    name.addEventListener('input', function () { state.name = name.value; state.page = 0; renderMatrix(); writeUrl(false); });
  }
  /** The controls show the state (after a reload, a pasted link, back/forward). */
  function syncControls() {
    Array.prototype.forEach.call(document.querySelectorAll('#env-filter button'), function (x) { x.setAttribute('aria-pressed', x.getAttribute('data-env') === state.env ? 'true' : 'false'); });
    document.getElementById('label-filter').value = state.label;
    document.getElementById('name-filter').value = state.name;
    document.getElementById('image-filter').value = state.image;
  }

  // ---- environments ----
  function renderEnvironments() {
    var root = document.getElementById('env-tables');
    data.environments.forEach(function (e) {
      var h = el('h3', { id: 'env-' + e.name, text: e.name });
      var cap = e.reference ? 'Compared with ' + e.reference.name + ' at ' + short(e.reference.commit) : 'Nothing to compare with';
      if (e.frozen && e.frozen.length) cap += ' — FROZEN: ' + e.frozen.join('; ');
      var t = el('table', { 'data-environment': e.name }, [
        el('caption', { text: cap }),
        el('thead', null, [el('tr', null, ['Cluster', 'Branch', 'Source commit', 'Lag', 'Health'].map(function (x) { return el('th', { scope: 'col', text: x }); }))]),
      ]);
      var body = el('tbody');
      e.clusters.forEach(function (c) {
        var names = c.cluster.split(',');
        var th = el('th', { scope: 'row' });
        names.forEach(function (n, i) { if (i) th.appendChild(document.createTextNode(', ')); th.appendChild(el('a', { href: clusterHref(n), text: n })); });
        body.appendChild(el('tr', null, [th, el('td', { class: 'mono', text: c.branch }), el('td', { class: 'mono', title: c.sourceCommit || '', text: short(c.sourceCommit) }), el('td', { text: lag(c) }), healthCell(c.health)]));
      });
      t.appendChild(body);
      root.appendChild(h);
      root.appendChild(el('div', { class: 'scroll' }, [t]));
    });
  }

  // ---- images ----
  function renderImages() {
    var q = state.image.toLowerCase();
    var rows = data.images.filter(function (i) { return !q || i.image.toLowerCase().indexOf(q) >= 0; });
    var pages = Math.max(1, Math.ceil(rows.length / PAGE));
    if (state.imagePage >= pages) state.imagePage = pages - 1;
    var body = document.getElementById('image-table').tBodies[0];
    body.textContent = '';
    rows.slice(state.imagePage * PAGE, state.imagePage * PAGE + PAGE).forEach(function (i) {
      var td = el('td');
      i.clusters.forEach(function (n, k) { if (k) td.appendChild(document.createTextNode(', ')); td.appendChild(el('a', { href: clusterHref(n), text: n })); });
      body.appendChild(el('tr', { 'data-image': i.image }, [el('th', { scope: 'row', class: 'mono', text: i.image }), td, el('td', { text: String(i.clusters.length) })]));
    });
    document.getElementById('images-status').textContent = rows.length + ' images';
    pager(document.getElementById('images-pager'), state.imagePage, rows.length, function (p) { state.imagePage = p; renderImages(); }, 'images');
  }

  // ---- one cluster ----
  function table(caption, cols, rows) {
    var t = el('table', null, [el('caption', { text: caption }), el('thead', null, [el('tr', null, cols.map(function (c) { return el('th', { scope: 'col', text: c }); }))])]);
    var body = el('tbody');
    rows.forEach(function (r) {
      body.appendChild(el('tr', null, r.map(function (cell, i) { return i === 0 ? el('th', { scope: 'row', text: cell }) : el('td', { text: cell }); })));
    });
    t.appendChild(body);
    return el('div', { class: 'scroll' }, [t]);
  }
  function renderCluster(name, profile) {
    var section = document.getElementById('cluster-detail');
    var c = byName[name];
    var h = document.getElementById('cluster-h');
    var body = document.getElementById('cluster-body');
    body.textContent = '';
    section.hidden = false;
    if (!c) { h.textContent = 'No cluster named ' + name; h.focus(); return; }
    h.textContent = 'Cluster ' + c.name + (profile ? ' — profile ' + profile : '');
    body.setAttribute('data-cluster', c.name);
    var labels = Object.keys(c.labels).map(function (k) { return k + '=' + c.labels[k]; }).join(', ') || '—';
    body.appendChild(el('dl', { class: 'kv' }, [
      el('dt', { text: 'Environment' }), el('dd', { text: c.environment }),
      el('dt', { text: 'Branch' }), el('dd', { class: 'mono', text: c.branch + (c.published ? '' : ' (not published)') }),
      el('dt', { text: 'Labels' }), el('dd', { text: labels }),
      el('dt', { text: 'Source commit' }), el('dd', { class: 'mono', text: c.sourceCommit || '—' }),
      el('dt', { text: 'Lag' }), el('dd', { text: lag(c) }),
      el('dt', { text: 'Health' }), el('dd', { class: 'health-' + c.health, text: c.health }),
      el('dt', { text: 'Tools' }), el('dd', { text: Object.keys(c.tools).map(function (k) { return k + ' ' + c.tools[k]; }).join(', ') || '—' }),
    ]));
    body.appendChild(el('h3', { text: 'Profiles' }));
    var ul = el('ul');
    c.profiles.forEach(function (p) { ul.appendChild(el('li', null, [el('a', { href: clusterHref(c.name, p), text: p })])); });
    body.appendChild(ul);
    var comps = c.components.filter(function (x) { return !profile || x.profile === profile; });
    body.appendChild(el('h3', { text: 'Components' }));
    body.appendChild(table('Components and the versions they were rendered with', ['Component', 'Profile', 'Engine', 'Chart / version', 'Command'], comps.map(function (x) {
      var chart = [x.chart, x.version].filter(Boolean).join(' ') + (x.charts ? (x.chart ? ' ' : '') + '(' + x.charts.join(', ') + ')' : '');
      return [x.name, x.profile, x.engine || '', chart || '—', x.command.join(' ')];
    })));
    var objs = c.objects.filter(function (o) { return !profile || o.profile === profile; });
    var kinds = {};
    objs.forEach(function (o) { kinds[o.kind] = (kinds[o.kind] || 0) + 1; });
    body.appendChild(el('h3', { text: 'Objects by kind' }));
    body.appendChild(table('Object count per kind', ['Kind', 'Count'], Object.keys(kinds).sort().map(function (k) { return [k, String(kinds[k])]; })));
    var seen = {};
    objs.forEach(function (o) { (o.images || []).forEach(function (i) { seen[i] = true; }); });
    var images = Object.keys(seen).sort();
    body.appendChild(el('h3', { text: 'Container images' + (profile ? ' of profile ' + profile : '') }));
    var il = el('ul', { class: 'images', 'data-images-of': c.name });
    images.forEach(function (i) { il.appendChild(el('li', { class: 'mono', text: i })); });
    if (!images.length) il.appendChild(el('li', { class: 'muted', text: 'none' }));
    body.appendChild(il);
    body.appendChild(el('h3', { text: 'Objects' }));
    var holder = el('div', { id: 'objects-of-cluster' });
    var pagerEl = el('div', { class: 'pager' });
    body.appendChild(holder);
    body.appendChild(pagerEl);
    function showObjects(page) {
      holder.textContent = '';
      holder.appendChild(table(objs.length + ' objects' + (profile ? ' of profile ' + profile : ''), ['Name', 'Kind', 'Namespace', 'Profile', 'Path'], objs.slice(page * PAGE, page * PAGE + PAGE).map(function (o) {
        return [o.name, o.kind, o.namespace || '', o.profile, o.path];
      })));
      pager(pagerEl, page, objs.length, showObjects, 'objects');
    }
    showObjects(0);
    h.focus();
  }
  function route(r) {
    var m = /^cluster\/([^/]+)(?:\/([^/]+))?$/.exec(r);
    if (m) renderCluster(decodeURIComponent(m[1]), m[2] ? decodeURIComponent(m[2]) : undefined);
    else document.getElementById('cluster-detail').hidden = true;
  }
  /** The URL into the page: filters first (the matrix and images redrawn only when they changed), then the open cluster. */
  function applyUrl() {
    var u = parseHash();
    var changed = FILTERS.some(function (k) { return state[k] !== u[k]; });
    FILTERS.forEach(function (k) { state[k] = u[k]; });
    if (changed) {
      state.page = 0;
      state.imagePage = 0;
      syncControls();
      renderMatrix();
      renderImages();
    }
    if (u.route !== shownRoute) {
      shownRoute = u.route;
      route(u.route);
    }
  }

  document.getElementById('summary').textContent = data.clusters.length + ' clusters, ' + data.profiles.length + ' profiles, ' + data.images.length + ' images; remote ' + data.remote + (data.head ? ', fleet HEAD ' + short(data.head) : '');
  var imageFilter = document.getElementById('image-filter');
  imageFilter.addEventListener('input', function () { state.image = imageFilter.value; state.imagePage = 0; renderImages(); writeUrl(false); });
  // a link to a cluster keeps the filters as they are now (links drawn earlier carry the filters of then)
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a[href^="#cluster/"]') : null;
    if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    ev.preventDefault();
    var href = a.getAttribute('href');
    var q = href.indexOf('?');
    location.hash = '#' + (q < 0 ? href.slice(1) : href.slice(1, q)) + query();
  });
  setupFilters();
  var first = parseHash();
  FILTERS.forEach(function (k) { state[k] = first[k]; });
  syncControls();
  renderMatrix();
  renderEnvironments();
  renderImages();
  window.addEventListener('hashchange', applyUrl);
  applyUrl();
})();
