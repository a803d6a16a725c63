/*
 * report.js - renders report.html from its JSON data block (embedded by
 * lockstep; no network, no external code).
 *
 * Every string of the data came from scraped input and is hostile by
 * assumption.  Rules kept throughout this file:
 *  - strings reach the page only through textContent (via el()) and text
 *    nodes; no DOM call that parses HTML is ever used;
 *  - attribute names are literals of this file; attribute values from data
 *    are set only as href (after safeUrl(): http and https only) and title;
 *  - bidi and other invisible control characters are shown as visible
 *    <U+XXXX> marks, so an id cannot reorder the text around it.
 */
(function () {
    'use strict';

    var D = JSON.parse(document.getElementById('lk-data').textContent);

    /* ---- safe DOM helpers ------------------------------------------------ */

    // C0/C1 controls, bidi embeddings/overrides/isolates/marks, zero-width
    // and line/paragraph separators: invisible or able to reorder text
    var INVISIBLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

    function visible(s) {
        if (s === null || s === undefined) return '';
        return String(s).replace(INVISIBLE, function (c) {
            var h = c.charCodeAt(0).toString(16).toUpperCase();
            while (h.length < 4) h = '0' + h;
            return '<U+' + h + '>';
        });
    }

    function el(tag, cls, textValue) {
        var e = document.createElement(tag);
        if (cls) e.className = cls;
        if (textValue !== undefined && textValue !== null) e.textContent = visible(textValue);
        return e;
    }

    function clear(e) {
        while (e.firstChild) e.removeChild(e.firstChild);
        return e;
    }

    function byId(id) {
        return document.getElementById(id);
    }

    // http(s) URLs only; URL keys of the url/domain traces are written
    // without a scheme ("example.com/a"), which gets https://
    function safeUrl(s, trace) {
        if (typeof s !== 'string' || /[\s\u0000-\u001f\u007f-\u009f]/.test(s)) return null;
        if (/^https?:\/\/[^\/?#@]+/i.test(s)) return s;
        if ((trace === 'url' || trace === 'domain') &&
            /^[a-z0-9-]+(\.[a-z0-9-]+)+(:[0-9]+)?([\/?#]|$)/i.test(s))
            return 'https://' + s;
        return null;
    }

    function objectCell(s, trace) {
        var td = el('td', 'id mono');
        var url = safeUrl(s, trace);
        if (url) {
            var a = el('a', null, s);
            a.setAttribute('href', url);
            a.setAttribute('rel', 'noopener noreferrer nofollow');
            a.setAttribute('target', '_blank');
            td.appendChild(a);
        } else {
            td.textContent = visible(s);
        }
        return td;
    }

    function fmt(v) {
        if (v === null || v === undefined) return '';
        if (typeof v !== 'number') return String(v);
        if (Number.isInteger(v)) return String(v);
        return String(Number(v.toPrecision(4)));
    }

    function isoMs(ms) {
        var d = new Date(ms);
        return isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('.000Z', 'Z');
    }

    /* ---- colours ------------------------------------------------------------ */

    var PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                   '#17becf', '#bcbd22', '#7f7f7f'];

    function groupColour(g) {
        if (g >= 1 && g <= PALETTE.length) return PALETTE[g - 1];
        return 'hsl(' + ((g * 137.508) % 360).toFixed(1) + ',55%,45%)';
    }

    function swatch(g) {
        var s = el('span', 'swatch');
        s.style.background = groupColour(g);
        return s;
    }

    /* ---- sortable, paged tables -------------------------------------------- */

    // cols: [{name, num, cell(row) -> td (optional), get(row) -> sort key}]
    function table(host, cols, rows, page) {
        var order = rows.slice();
        var shown = page || 200;
        var sortCol = -1, sortDir = 1;
        var t = el('table');
        var thead = el('thead'), tr = el('tr'), tbody = el('tbody');
        var more = el('div', 'more');
        cols.forEach(function (c, i) {
            var th = el('th', 'sortable', c.name);
            th.setAttribute('scope', 'col');
            th.addEventListener('click', function () {
                sortDir = sortCol === i ? -sortDir : (c.num ? -1 : 1);
                sortCol = i;
                var key = c.get;
                order.sort(function (a, b) {
                    var x = key(a), y = key(b);
                    if (x === y) return 0;
                    if (x === null || x === undefined) return 1;
                    if (y === null || y === undefined) return -1;
                    return (x < y ? -1 : 1) * sortDir;
                });
                Array.prototype.forEach.call(tr.children, function (h, j) {
                    if (j === i) h.setAttribute('aria-sort', sortDir > 0 ? 'ascending' : 'descending');
                    else h.removeAttribute('aria-sort');
                });
                fill();
            });
            tr.appendChild(th);
        });
        thead.appendChild(tr);
        t.appendChild(thead);
        t.appendChild(tbody);

        function fill() {
            clear(tbody);
            var n = Math.min(shown, order.length);
            for (var r = 0; r < n; r++) {
                var row = el('tr');
                cols.forEach(function (c) {
                    var td = c.cell ? c.cell(order[r]) : el('td', c.num ? 'num' : 'id', fmt(c.get(order[r])));
                    row.appendChild(td);
                });
                tbody.appendChild(row);
            }
            clear(more);
            if (order.length > n) {
                more.appendChild(el('span', 'note', 'Showing ' + n + ' of ' + order.length + ' rows. '));
                var b = el('button', null, 'Show ' + Math.min(page || 200, order.length - n) + ' more');
                b.setAttribute('type', 'button');
                b.addEventListener('click', function () {
                    shown += page || 200;
                    fill();
                });
                more.appendChild(b);
            }
        }
        fill();
        host.appendChild(t);
        host.appendChild(more);
        return t;
    }

    function kvTable(host, title, pairs) {
        var box = el('div');
        box.appendChild(el('h3', null, title));
        var t = el('table');
        pairs.forEach(function (p) {
            var tr = el('tr');
            var th = el('th', null, p[0]);
            th.setAttribute('scope', 'row');
            tr.appendChild(th);
            tr.appendChild(el('td', typeof p[1] === 'number' ? 'num' : 'id', fmt(p[1])));
            t.appendChild(tr);
        });
        box.appendChild(t);
        host.appendChild(box);
    }

    function flatten(obj, prefix, out) {
        Object.keys(obj || {}).forEach(function (k) {
            var v = obj[k];
            var key = prefix ? prefix + '.' + k : k;
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
            else out.push([key, Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? String(v) : v]);
        });
        return out;
    }

    /* ---- data ------------------------------------------------------------------ */

    // accounts: [name, group, degree, co_actions, component, strength,
    //            actions, coordinated_actions, coordinated_share, node]
    var A = D.accounts, N = D.nodes, E = D.edges, G = D.groups, S = D.summary || {};
    // groups: [id, size, edges, density, co_actions, objects, component,
    //          mean_dt, median_dt, first_seen, last_seen, traces, detail,
    //          drawn, mean_sync, mean_score]
    var byGroup = {};
    A.forEach(function (a, i) {
        (byGroup[a[1]] = byGroup[a[1]] || []).push(i);
    });

    /* ---- run summary ------------------------------------------------------------ */

    function renderSummary() {
        var host = byId('lk-summary');
        var T = D.totals;
        byId('lk-subtitle').textContent = visible(
            (S.lockstep_version ? 'lockstep ' + S.lockstep_version + ': ' : '') +
            T.accounts + ' coordinated accounts in ' + T.groups + ' groups, ' + T.edges +
            ' coordinated edges.');
        var wrap = el('div', 'tables');
        var skipped = S.rows_skipped || {};
        var acc = [['rows read', S.rows_read], ['rows used', S.rows_used],
                   ['rows skipped', skipped.total]];
        Object.keys(skipped).forEach(function (k) {
            if (k !== 'total' && skipped[k]) acc.push(['  skipped: ' + k, skipped[k]]);
        });
        Object.keys(S.rows_by_format || {}).forEach(function (k) {
            acc.push(['rows as ' + k, S.rows_by_format[k]]);
        });
        Object.keys(S.actions_by_trace || {}).forEach(function (k) {
            acc.push(['actions: ' + k, S.actions_by_trace[k]]);
        });
        kvTable(wrap, 'Input accounting', acc);
        kvTable(wrap, 'Counts', flatten(S.counts, '', []));
        kvTable(wrap, 'Parameters', flatten(S.parameters, '', []));
        if (S.window_auto) kvTable(wrap, 'Window estimate', flatten(S.window_auto, '', []));
        host.appendChild(wrap);

        var inputs = S.inputs || [];
        if (inputs.length) {
            host.appendChild(el('h3', null, 'Input files'));
            table(host, [
                {name: 'file', get: function (f) { return f.path; }},
                {name: 'codec', get: function (f) { return f.codec; }},
                {name: 'format', get: function (f) { return f.format; }},
                {name: 'rows read', num: 1, get: function (f) { return f.rows_read; }},
                {name: 'rows used', num: 1, get: function (f) { return f.rows_used; }},
                {name: 'rows skipped', num: 1, get: function (f) { return (f.rows_skipped || {}).total; }},
                {name: 'skipped by reason', get: function (f) {
                    var s = f.rows_skipped || {};
                    return Object.keys(s).filter(function (k) { return k !== 'total' && s[k]; })
                        .map(function (k) { return k + ' ' + s[k]; }).join(', ');
                }}
            ], inputs, 50);
        }
        var L = D.limits;
        byId('lk-footer').textContent = visible(
            'Generated by ' + D.generator + ' from the detect output folder. Limits: ' +
            L.max_nodes + ' accounts drawn, ' + L.max_edges + ' edges drawn, ' + L.max_accounts +
            ' accounts searchable, ' + L.max_evidence + ' evidence rows per group, ' + L.max_times +
            ' member actions per object. The page loads nothing from the network.');
    }

    /* ---- network ------------------------------------------------------------------ */

    var net = {scale: 1, ox: 0, oy: 0, hover: -1, selected: -1, group: 0};

    function nodeRadius(i) {
        var deg = A[N[i][0]][2] || 0;
        return Math.min(9, 2.5 + 1.1 * Math.sqrt(deg));
    }

    function canvasSize(c) {
        var r = c.getBoundingClientRect();
        var dpr = window.devicePixelRatio || 1;
        var w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
        if (c.width !== w * dpr || c.height !== h * dpr) {
            c.width = w * dpr;
            c.height = h * dpr;
        }
        return {w: w, h: h, dpr: dpr};
    }

    function fitNetwork() {
        var c = byId('lk-net'), s = canvasSize(c);
        net.scale = Math.min(s.w, s.h) / 1060;
        net.ox = (s.w - 1000 * net.scale) / 2;
        net.oy = (s.h - 1000 * net.scale) / 2;
    }

    function toScreen(i) {
        return {x: N[i][1] * net.scale + net.ox, y: N[i][2] * net.scale + net.oy};
    }

    function drawNetwork() {
        var c = byId('lk-net'), s = canvasSize(c), ctx = c.getContext('2d');
        ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
        ctx.clearRect(0, 0, s.w, s.h);
        var focus = net.group;
        ctx.lineCap = 'round';
        E.forEach(function (e) {
            var p = toScreen(e[0]), q = toScreen(e[1]);
            var ga = A[N[e[0]][0]][1], gb = A[N[e[1]][0]][1];
            var on = !focus || ga === focus || gb === focus;
            ctx.globalAlpha = on ? 0.35 : 0.06;
            ctx.strokeStyle = ga === gb ? groupColour(ga) : '#888888';
            ctx.lineWidth = 0.6 + Math.log(1 + (e[2] || 1)) * 0.6;
            ctx.beginPath();
            ctx.moveTo(p.x, p.y);
            ctx.lineTo(q.x, q.y);
            ctx.stroke();
        });
        for (var i = 0; i < N.length; i++) {
            var g = A[N[i][0]][1], p = toScreen(i);
            ctx.globalAlpha = !focus || g === focus ? 1 : 0.15;
            ctx.fillStyle = groupColour(g);
            ctx.beginPath();
            ctx.arc(p.x, p.y, nodeRadius(i), 0, 2 * Math.PI);
            ctx.fill();
        }
        ctx.globalAlpha = 1;
        [net.hover, net.selected].forEach(function (k, j) {
            if (k < 0) return;
            var p = toScreen(k);
            ctx.strokeStyle = j ? '#000000' : '#444444';
            ctx.lineWidth = 2;
            ctx.beginPath();
            ctx.arc(p.x, p.y, nodeRadius(k) + 3, 0, 2 * Math.PI);
            ctx.stroke();
        });
    }

    function nodeAt(x, y) {
        var best = -1, bd = 100;
        for (var i = 0; i < N.length; i++) {
            var p = toScreen(i), dx = p.x - x, dy = p.y - y, d = dx * dx + dy * dy;
            var r = nodeRadius(i) + 4;
            if (d <= r * r && d < bd) {
                bd = d;
                best = i;
            }
        }
        return best;
    }

    function showTip(i, x, y) {
        var tip = byId('lk-tip');
        if (i < 0) {
            tip.hidden = true;
            return;
        }
        var a = A[N[i][0]];
        tip.textContent = visible(a[0]) + '\ngroup ' + a[1] + ', degree ' + fmt(a[2]) +
            ', co-actions ' + fmt(a[3]) + '\nstrength ' + fmt(a[5]) + ', actions ' + fmt(a[6]) +
            ', coordinated share ' + fmt(a[8]);
        tip.hidden = false;
        var wrap = byId('lk-net-wrap').getBoundingClientRect();
        tip.style.left = Math.min(x + 14, wrap.width - 260) + 'px';
        tip.style.top = (y + 14) + 'px';
    }

    function setupNetwork() {
        var c = byId('lk-net');
        var T = D.totals;
        var detailed = G.filter(function (g) { return g[12]; }).length;
        var partial = G.length && G[0][12] === 2;
        byId('lk-net-note').textContent = N.length === 0 ? 'The coordinated network is empty.' :
            'Drawn: ' + N.length + ' of ' + T.accounts + ' accounts (' +
            (partial ? 'the ' + N.length + ' strongest members of group 1, which alone exceeds the limit of ' + D.limits.max_nodes
                     : 'the ' + detailed + ' largest group' + (detailed === 1 ? '' : 's') + ' in full') +
            '), ' + E.length + ' of ' + T.edges + ' edges' +
            (E.length < T.edges ? ' (edges among drawn accounts, heaviest first)' : '') +
            '. Layout: Fruchterman-Reingold (igraph), seeded.';
        if (!N.length) {
            byId('lk-net-wrap').hidden = true;
            return;
        }
        fitNetwork();
        drawNetwork();
        var drag = null;
        c.addEventListener('mousedown', function (ev) {
            drag = {x: ev.clientX, y: ev.clientY, ox: net.ox, oy: net.oy, moved: false};
        });
        window.addEventListener('mouseup', function () {
            setTimeout(function () { drag = null; }, 0);
        });
        c.addEventListener('mousemove', function (ev) {
            var r = c.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
            if (drag && (ev.buttons & 1)) {
                var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
                if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
                net.ox = drag.ox + dx;
                net.oy = drag.oy + dy;
                showTip(-1);
                drawNetwork();
                return;
            }
            var i = nodeAt(x, y);
            if (i !== net.hover) {
                net.hover = i;
                drawNetwork();
            }
            showTip(i, x, y);
        });
        c.addEventListener('mouseleave', function () {
            net.hover = -1;
            showTip(-1);
            drawNetwork();
        });
        c.addEventListener('click', function (ev) {
            if (drag && drag.moved) return;
            var r = c.getBoundingClientRect();
            var i = nodeAt(ev.clientX - r.left, ev.clientY - r.top);
            if (i < 0) {
                net.selected = -1;
                net.group = 0;
                drawNetwork();
                return;
            }
            selectNode(i);
            openGroup(A[N[i][0]][1], true);
        });
        c.addEventListener('wheel', function (ev) {
            ev.preventDefault();
            var r = c.getBoundingClientRect(), x = ev.clientX - r.left, y = ev.clientY - r.top;
            var f = ev.deltaY < 0 ? 1.2 : 1 / 1.2;
            net.ox = x - (x - net.ox) * f;
            net.oy = y - (y - net.oy) * f;
            net.scale *= f;
            drawNetwork();
        }, {passive: false});
        c.addEventListener('dblclick', function () {
            fitNetwork();
            drawNetwork();
        });
        window.addEventListener('resize', function () {
            fitNetwork();
            drawNetwork();
        });
    }

    function selectNode(i) {
        net.selected = i;
        net.group = i >= 0 ? A[N[i][0]][1] : 0;
        drawNetwork();
    }

    /* ---- groups ---------------------------------------------------------------- */

    function parseTraces(s) {
        return (s || '').split(';').filter(Boolean).map(function (p) {
            var k = p.lastIndexOf(':');
            return [p.slice(0, k), Number(p.slice(k + 1)) || 0];
        });
    }

    function groupButton(id) {
        var b = el('button', 'link', 'group ' + id);
        b.setAttribute('type', 'button');
        b.addEventListener('click', function () {
            openGroup(id, true);
        });
        return b;
    }

    function renderGroups() {
        var host = byId('lk-groups');
        var detailed = G.filter(function (g) { return g[12]; }).length;
        byId('lk-groups-note').textContent = G.length === 0 ? 'No coordinated group was found.' :
            D.totals.groups + ' groups, numbered by decreasing size' +
            (G.length < D.totals.groups ? ' (the ' + G.length + ' largest are listed)' : '') +
            '. The ' + detailed + ' drawn in the network have a section below; the others are ' +
            'summarised here.';
        if (!G.length) return;
        table(host, [
            {name: 'group', num: 1, get: function (g) { return g[0]; }, cell: function (g) {
                var td = el('td');
                td.appendChild(swatch(g[0]));
                if (g[12]) td.appendChild(groupButton(g[0]));
                else td.appendChild(el('span', null, String(g[0])));
                return td;
            }},
            {name: 'size', num: 1, get: function (g) { return g[1]; }},
            {name: 'edges', num: 1, get: function (g) { return g[2]; }},
            {name: 'density', num: 1, get: function (g) { return g[3]; }},
            {name: 'co-actions', num: 1, get: function (g) { return g[4]; }},
            {name: 'objects', num: 1, get: function (g) { return g[5]; }},
            {name: 'median |dt| s', num: 1, get: function (g) { return g[8]; }},
            {name: 'mean |dt| s', num: 1, get: function (g) { return g[7]; }},
            {name: 'mean sync', num: 1, get: function (g) { return g[14]; }},
            {name: 'traces', get: function (g) { return g[11]; }},
            {name: 'first seen', get: function (g) { return g[9]; }},
            {name: 'last seen', get: function (g) { return g[10]; }},
            {name: 'shown', get: function (g) {
                return g[12] === 1 ? 'in full' : g[12] === 2 ? 'in part' : 'summary';
            }}
        ], G, 200);
    }

    function renderDetails() {
        var host = byId('lk-details');
        var n = 0;
        G.forEach(function (g) {
            if (!g[12]) return;
            n++;
            var d = el('details', 'group');
            d.id = 'group-' + g[0];
            var s = el('summary');
            s.appendChild(swatch(g[0]));
            s.appendChild(document.createTextNode(
                'Group ' + g[0] + ': ' + g[1] + ' accounts, ' + g[2] + ' edges, median |dt| ' +
                fmt(g[8]) + ' s, ' + visible(g[11])));
            d.appendChild(s);
            var body = el('div');
            d.appendChild(body);
            d.addEventListener('toggle', function () {
                if (d.open && !body.firstChild) renderGroup(g, body);
            });
            host.appendChild(d);
        });
        byId('lk-details-note').textContent = n ? 'Click a group to open its members, binding ' +
            'objects, timeline and evidence.' : 'No group section.';
    }

    function openGroup(id, scroll) {
        var d = byId('group-' + id);
        if (!d) return;
        Array.prototype.forEach.call(document.querySelectorAll('details.group.selected'), function (x) {
            x.classList.remove('selected');
        });
        d.classList.add('selected');
        d.open = true;
        if (!d.lastChild.firstChild) {
            var g = G[id - 1];
            renderGroup(g, d.lastChild);
        }
        if (scroll) d.scrollIntoView({block: 'start'});
    }

    function renderGroup(g, body) {
        var id = g[0];
        var det = D.details[String(id)] || {objects: [], evidence: []};
        var wrap = el('div', 'tables');
        kvTable(wrap, 'Group ' + id, [
            ['accounts', g[1]], ['drawn', g[13]], ['edges', g[2]], ['density', g[3]],
            ['co-actions', g[4]], ['objects', g[5]], ['component', g[6]],
            ['first seen', g[9]], ['last seen', g[10]]
        ]);
        kvTable(wrap, 'Synchrony', [
            ['median |dt| (s)', g[8]], ['mean |dt| (s)', g[7]],
            ['mean sync of its edges', g[14]], ['mean score of its edges', g[15]]
        ]);
        var tr = el('div');
        tr.appendChild(el('h3', null, 'Binding traces (co-actions)'));
        var traces = parseTraces(g[11]);
        var max = Math.max.apply(null, traces.map(function (t) { return t[1]; }).concat([1]));
        traces.forEach(function (t) {
            var bar = el('div', 'bar');
            bar.appendChild(el('span', 'label', t[0]));
            var f = el('span', 'fill');
            f.style.width = Math.max(2, Math.round(240 * t[1] / max)) + 'px';
            bar.appendChild(f);
            bar.appendChild(el('span', 'num', String(t[1])));
            tr.appendChild(bar);
        });
        wrap.appendChild(tr);
        body.appendChild(wrap);

        if (g[12] === 2)
            body.appendChild(el('p', 'note', 'This group is larger than the drawing limit: the ' +
                g[13] + ' strongest of its ' + g[1] + ' members are listed.'));
        body.appendChild(el('h3', null, 'Members'));
        var members = (byGroup[id] || []).map(function (i) { return A[i]; });
        table(body, [
            {name: 'account', get: function (a) { return a[0]; }, cell: function (a) {
                var td = el('td', 'id mono');
                if (a[9] >= 0) {
                    var b = el('button', 'link', a[0]);
                    b.setAttribute('type', 'button');
                    b.setAttribute('title', 'show in the network');
                    b.addEventListener('click', function () {
                        selectNode(a[9]);
                        byId('network').scrollIntoView({block: 'start'});
                    });
                    td.appendChild(b);
                } else {
                    td.textContent = visible(a[0]);
                }
                return td;
            }},
            {name: 'degree', num: 1, get: function (a) { return a[2]; }},
            {name: 'co-actions', num: 1, get: function (a) { return a[3]; }},
            {name: 'strength', num: 1, get: function (a) { return a[5]; }},
            {name: 'actions', num: 1, get: function (a) { return a[6]; }},
            {name: 'coordinated actions', num: 1, get: function (a) { return a[7]; }},
            {name: 'coordinated share', num: 1, get: function (a) { return a[8]; }}
        ], members, 100);

        body.appendChild(el('h3', null, 'Top objects (what binds the group)'));
        // objects: [rank, trace, object, members, first, last, spread_s, n_times, [[acc, ms]...]]
        table(body, [
            {name: 'rank', num: 1, get: function (o) { return o[0]; }},
            {name: 'trace', get: function (o) { return o[1]; }},
            {name: 'object', get: function (o) { return o[2]; }, cell: function (o) { return objectCell(o[2], o[1]); }},
            {name: 'members', num: 1, get: function (o) { return o[3]; }},
            {name: 'first', get: function (o) { return o[4]; }},
            {name: 'last', get: function (o) { return o[5]; }},
            {name: 'spread s', num: 1, get: function (o) { return o[6]; }},
            {name: 'actions', num: 1, get: function (o) { return o[7]; }}
        ], det.objects, 20);
        if (det.objects.length) {
            body.appendChild(el('h3', null, 'Timeline: member actions on each top object'));
            body.appendChild(el('p', 'note', 'One row per object (rank), seconds after its first ' +
                'member action; one dot per action, coloured by account.'));
            body.appendChild(timeline(det.objects));
        }

        body.appendChild(el('h3', null, 'Evidence (closest co-action per edge and object)'));
        if (!D.totals.evidence) {
            body.appendChild(el('p', 'note', 'evidence.csv was not written (--no-evidence).'));
        } else {
            if (det.evidence.length >= D.limits.max_evidence)
                body.appendChild(el('p', 'note', 'The first ' + D.limits.max_evidence +
                    ' rows of evidence.csv for this group.'));
            table(body, [
                {name: 'account a', get: function (r) { return r[0]; }},
                {name: 'account b', get: function (r) { return r[1]; }},
                {name: 'trace', get: function (r) { return r[2]; }},
                {name: 'object', get: function (r) { return r[3]; }, cell: function (r) { return objectCell(r[3], r[2]); }},
                {name: 'time a', get: function (r) { return r[4]; }},
                {name: 'time b', get: function (r) { return r[5]; }},
                {name: 'content a', get: function (r) { return r[6]; }},
                {name: 'content b', get: function (r) { return r[7]; }},
                {name: 'dt s', num: 1, get: function (r) { return r[8]; }},
                {name: 'co-actions', num: 1, get: function (r) { return r[9]; }}
            ], det.evidence, 50);
        }
    }

    function hashColour(s) {
        var h = 0;
        for (var i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
        return 'hsl(' + (((h % 360) + 360) % 360) + ',60%,42%)';
    }

    function timeline(objects) {
        var c = el('canvas', 'timeline');
        var rowH = 22, left = 48, right = 16, top = 8, bottom = 26;
        var height = top + bottom + rowH * objects.length;
        c.style.height = height + 'px';
        var span = 1;
        objects.forEach(function (o) {
            var t = o[8];
            if (t.length) span = Math.max(span, (t[t.length - 1][1] - t[0][1]) / 1000);
        });
        requestAnimationFrame(function () {
            var s = canvasSize(c), ctx = c.getContext('2d');
            ctx.setTransform(s.dpr, 0, 0, s.dpr, 0, 0);
            var w = s.w - left - right;
            ctx.font = '11px sans-serif';
            ctx.fillStyle = '#5b6475';
            ctx.strokeStyle = '#d7dce4';
            objects.forEach(function (o, r) {
                var y = top + rowH * r + rowH / 2;
                ctx.fillText('#' + o[0], 6, y + 4);
                ctx.beginPath();
                ctx.moveTo(left, y);
                ctx.lineTo(left + w, y);
                ctx.stroke();
                var t = o[8], t0 = t.length ? t[0][1] : 0;
                t.forEach(function (p) {
                    ctx.fillStyle = hashColour(p[0]);
                    ctx.beginPath();
                    ctx.arc(left + w * ((p[1] - t0) / 1000) / span, y, 3.5, 0, 2 * Math.PI);
                    ctx.fill();
                });
                ctx.fillStyle = '#5b6475';
            });
            var yb = top + rowH * objects.length + 16;
            ctx.fillText('0 s', left, yb);
            var lab = fmt(span) + ' s';
            ctx.fillText(lab, left + w - ctx.measureText(lab).width, yb);
        });
        return c;
    }

    /* ---- account search ------------------------------------------------------------- */

    function setupSearch() {
        var q = byId('lk-q'), host = byId('lk-results');
        var T = D.totals;
        byId('lk-search-note').textContent = A.length < T.accounts ?
            'Searching ' + A.length + ' of ' + T.accounts + ' accounts (the drawn ones and the ' +
            'first of accounts.csv).' : 'Searching all ' + A.length + ' accounts.';
        var timer = 0;
        q.addEventListener('input', function () {
            clearTimeout(timer);
            timer = setTimeout(run, 120);
        });
        function run() {
            clear(host);
            var s = q.value.toLowerCase();
            if (!s) return;
            var hits = [];
            for (var i = 0; i < A.length && hits.length < 500; i++)
                if (A[i][0].toLowerCase().indexOf(s) >= 0) hits.push(A[i]);
            host.appendChild(el('p', 'note', hits.length >= 500 ? 'The first 500 matches.' :
                hits.length + ' match' + (hits.length === 1 ? '' : 'es') + '.'));
            table(host, [
                {name: 'account', get: function (a) { return a[0]; }, cell: function (a) {
                    var td = el('td', 'id mono', a[0]);
                    return td;
                }},
                {name: 'group', num: 1, get: function (a) { return a[1]; }, cell: function (a) {
                    var td = el('td');
                    td.appendChild(swatch(a[1]));
                    if (G[a[1] - 1] && G[a[1] - 1][12]) {
                        var b = groupButton(a[1]);
                        b.addEventListener('click', function () {
                            if (a[9] >= 0) selectNode(a[9]);
                        });
                        td.appendChild(b);
                    } else {
                        td.appendChild(el('span', null, String(a[1])));
                    }
                    return td;
                }},
                {name: 'degree', num: 1, get: function (a) { return a[2]; }},
                {name: 'strength', num: 1, get: function (a) { return a[5]; }},
                {name: 'actions', num: 1, get: function (a) { return a[6]; }},
                {name: 'coordinated share', num: 1, get: function (a) { return a[8]; }},
                {name: 'drawn', get: function (a) { return a[9] >= 0 ? 'yes' : 'no'; }}
            ], hits, 50);
        }
    }

    /* ---- start -------------------------------------------------------------------- */

    renderSummary();
    setupNetwork();
    setupSearch();
    renderGroups();
    renderDetails();
    if (location.hash && /^#group-[0-9]+$/.test(location.hash))
        openGroup(Number(location.hash.slice(7)), true);

    // for tests and for the curious: where node i is on the page
    window.lockstepReport = {
        nodes: N.length,
        nodeClientPoint: function (i) {
            var r = byId('lk-net').getBoundingClientRect(), p = toScreen(i);
            return {x: r.left + p.x, y: r.top + p.y};
        },
        groupOfNode: function (i) {
            return A[N[i][0]][1];
        }
    };
    document.body.setAttribute('data-ready', '1');
})();
